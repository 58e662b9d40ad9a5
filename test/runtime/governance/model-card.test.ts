import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { renderModelCard } from "../../../runtime/src/governance/model-card.ts";
import { redactArgument } from "../../../runtime/src/model/trained-by.ts";
import { ModelRegistry, appendEvent } from "../../../runtime/src/registry/index.ts";
import { runMlops } from "../../helpers/run-cli.ts";

const HOSTILE = `<img src=x onerror=alert(1)>|**bold**`;
let dir: string;
let registryDir: string;
let registry: ModelRegistry;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-card-"));
  registryDir = path.join(dir, "registry");
  // The data's path (and so its lineage) carries markup: the card must show it as text.
  const dataDir = path.join(dir, "evil<script>alert(1)<");
  await mkdir(dataDir);
  const rows = ["x1,x2,y"];
  for (let i = 0; i < 200; i++) {
    const x1 = (i % 17) / 17;
    const x2 = (i % 7) / 7;
    rows.push(`${x1},${x2},${(2 * x1 - x2 + 0.01 * (i % 3)).toFixed(4)}`);
  }
  await writeFile(path.join(dataDir, "train.csv"), `${rows.join("\n")}\n`);
  const run = await runMlops(["train", "--data", path.join(dataDir, "train.csv"), "--target", "y", "--model", "card-test", "--registry", registryDir], {
    env: { GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octocat", GITHUB_REPOSITORY: "acme/platform", GITHUB_SHA: "abc123", GITHUB_RUN_ID: "42", GITHUB_SERVER_URL: "https://github.example", GITLAB_CI: "" },
  });
  assert.equal(run.code, 0, run.stderr);
  registry = ModelRegistry.open(registryDir);
  const v1 = await registry.getVersion("card-test", 1);
  // Version 2: a retrain of 1 with what later layers record (baselines, intervals, global importance).
  await appendEvent(registry, "card-test", { type: "drift-detected", version: 1, champion: 1, actor: "controller", reason: "dataset drift: 2 of 2 columns drifted", details: { share: 1 } });
  const v2 = await registry.createVersion("card-test", {
    files: {
      "model.json": Buffer.from("{}"),
      "importance.json": Buffer.from(JSON.stringify({ method: "permutation", global: [{ feature: "x2", importance: 0.2 }, { feature: HOSTILE, importance: 0.9 }] })),
    },
    parent: 1,
    dataset: v1.dataset,
    backend: "wasm",
    config: v1.config,
    metrics: { rmse: 0.05, mae: 0.04 },
    extra: { baselines: { rmse: { name: "mean", value: 0.61 } }, intervals: { rmse: { low: 0.04, high: 0.06, level: 0.95 } } },
  });
  await appendEvent(registry, "card-test", { type: "registered", version: v2.version, champion: 1, actor: "train", reason: `retrained ${HOSTILE}`, details: {} });
});
after(() => rm(dir, { recursive: true, force: true }));

test("training records who and what trained a version: user, host, command, and the CI run", async () => {
  const by = (await registry.getVersion("card-test", 1)).extra?.trainedBy as Record<string, any>;
  assert.ok(by.user && by.host);
  assert.match(by.command, /^mlops train --data .*train\.csv"? --target y --model card-test --registry /);
  assert.deepEqual(by.ci, { provider: "github", actor: "octocat", repository: "acme/platform", commit: "abc123", runUrl: "https://github.example/acme/platform/actions/runs/42" });
  assert.equal(redactArgument("az://acct/c/data.csv?sv=1&sig=SECRET"), "az://acct/c/data.csv?***");
  assert.equal(redactArgument("https://user:pw@host/x.csv"), "https://***@host/x.csv");
});

test("the Markdown card of a fresh version: lineage, features, metrics with training's baselines and intervals, explanations, trained by; no sections it has no data for", async () => {
  const card = await renderModelCard(registry, "card-test", 1, "md");
  assert.match(card, /^# Model card: card-test version 1\n/);
  assert.match(card, /\| Aliases \| champion \|/);
  assert.match(card, /\| User \| /);
  assert.match(card, /\| CI \| provider: github, actor: octocat, repository: acme\/platform/);
  assert.match(card, /\| Command \| mlops train --data /);
  assert.match(card, /## Features\n\n\| Feature \| Kind \| Type in data \|\n\|---\|---\|---\|\n\| x1 \| numerical \| string \|/);
  // `mlops train` records baselines (by baseline: majority, linear) and bootstrap intervals, and importance.json.
  assert.match(card, /\| Metric \| Value \| Baseline \| Interval \|/);
  assert.match(card, /\| rmse \| [\d.]+ \| majority [\d.]+; linear [\d.]+ \| \\\[[\d.]+, [\d.]+\\\] \|/);
  assert.match(card, /## Explanations/);
  assert.doesNotMatch(card, /## Drift at training time|## Parent versions/);
  // The data path's markup is escaped, never raw.
  assert.match(card, /evil\\<script\\>alert\(1\)\\</);
  assert.doesNotMatch(card, /<script>/);
});

test("the card of a retrained version shows baselines, intervals, importance, the drift behind it and its parent", async () => {
  const card = await renderModelCard(registry, "card-test", 2, "md");
  assert.match(card, /\| Metric \| Value \| Baseline \| Interval \|\n\|---\|---\|---\|---\|\n\| rmse \| 0\.05 \| 0\.61 \(mean\) \| \\\[0\.04, 0\.06\\\] \(95%\) \|/);
  assert.match(card, /\| mae \| 0\.04 \| - \| - \|/);
  assert.match(card, /## Explanations\n\nGlobal feature importance from importance\.json \(permutation\)/);
  const imp = card.slice(card.indexOf("## Explanations"));
  assert.ok(imp.indexOf("onerror") < imp.indexOf("| x2 |"), "sorted by importance");
  assert.match(card, /## Drift at training time\n\nRetrained after: dataset drift: 2 of 2 columns drifted/);
  assert.match(card, /## Parent versions\n\nparent: version 1 \(/);
  assert.match(card, /\| User, host, command \| not recorded \(registered before versions recorded who trained them\) \|\n\| Registered by \| train \(history seq 4\) \|/);
  assert.doesNotMatch(card, /(?<!\\)<img/);
});

test("the HTML card escapes every value and is a standalone page; the CLI writes it to --out", async () => {
  const out = path.join(dir, "card.html");
  const run = await runMlops(["models", "card", "card-test", "2", "--format", "html", "--out", out, "--registry", registryDir]);
  assert.equal(run.code, 0, run.stderr);
  const page = await readFile(out, "utf8");
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /<td>&lt;img src=x onerror=alert\(1\)&gt;\|\*\*bold\*\*<\/td>/);
  assert.doesNotMatch(page, /<img|<script|src="http|href="http/);
  const md = await runMlops(["models", "card", "card-test", "--registry", registryDir]);
  assert.match(md.stdout, /^# Model card: card-test version 1/);
  const bad = await runMlops(["models", "card", "card-test", "--format", "pdf", "--registry", registryDir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format must be md or html, got "pdf"/);
});
