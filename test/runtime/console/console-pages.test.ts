import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { html, raw } from "../../../runtime/src/console/html.ts";
import { createConsoleServer } from "../../../runtime/src/console/index.ts";
import type { ModelView, VersionView } from "../../../runtime/src/console/console-data.ts";
import { modelListPage, modelPage, versionPage } from "../../../runtime/src/console/console-pages.ts";
import { driftPanel, driftSeries } from "../../../runtime/src/console/panels/drift-panel.ts";
import { experimentsPanel } from "../../../runtime/src/console/panels/experiments-panel.ts";
import { importancePanel } from "../../../runtime/src/console/panels/importance-panel.ts";
import { learningCurvePanel } from "../../../runtime/src/console/panels/learning-curve-panel.ts";
import { metricsPanel } from "../../../runtime/src/console/panels/metrics-panel.ts";
import { envProfile, envSwitch } from "../../../runtime/src/cli/serve-command.ts";
import { type ModelEvent, ModelRegistry, type MonitorSnapshot, type VersionMetadata, appendEvent, writeMonitorSnapshot, writeRollout } from "../../../runtime/src/registry/index.ts";
import { createModelServer } from "../../../runtime/src/serve/server.ts";
import { runMlops } from "../../helpers/run-cli.ts";

const HOSTILE = [`<script>alert(1)</script>`, `"onmouseover="alert(2)`, `'><img src=x onerror=alert(3)>`, "`${x}`", "&amp;"];
const FRAME = { registry: "file:///tmp/<b>reg</b>", models: HOSTILE };

function meta(version: number, over: Partial<VersionMetadata> = {}): VersionMetadata {
  return {
    model: HOSTILE[0]!,
    version,
    createdAt: "2026-01-02T03:04:05.000Z",
    parent: version > 1 ? version - 1 : null,
    dataset: { digest: "a".repeat(64), rows: 10, source: HOSTILE[2]!, files: [{ url: HOSTILE[2]!, sha256: "b".repeat(64), bytes: 5 }], schema: [{ name: HOSTILE[1]!, type: "number" }] },
    backend: "wasm",
    config: { target: HOSTILE[1], task: "binary", features: [{ name: HOSTILE[0], kind: "numerical" }] },
    metrics: { accuracy: 0.9, [HOSTILE[1]!]: 0.5 },
    files: {},
    ...over,
  };
}

function snapshot(version: number, updatedAt: string, features: MonitorSnapshot["drift"] extends infer D ? (D extends { features: infer F } ? F : never) : never): MonitorSnapshot {
  return {
    model: "m",
    version,
    instance: HOSTILE[3]!,
    updatedAt,
    traffic: { requests: 5, errors: 0, rows: 100, latencyP50Ms: 1, latencyP99Ms: 2 },
    window: { rows: 100, capacity: 1000 },
    drift: { detected: features.some((f) => f.drifted), share: 0.5, driftShare: 0.5, columns: features.length, drifted: features.filter((f) => f.drifted).length, features },
    quality: null,
    shadow: null,
  };
}

const event = (seq: number, over: Partial<ModelEvent> = {}): ModelEvent => ({ seq, time: "2026-01-02T03:04:05.000Z", model: "m", type: "registered", version: 1, actor: HOSTILE[1]!, reason: HOSTILE[0]!, details: { why: HOSTILE[2] }, ...over });

function hostileView(): ModelView {
  return {
    name: HOSTILE[0]!,
    versions: [meta(1), meta(2)],
    aliases: { champion: 2 },
    rollout: { mode: "canary", challenger: 2, weight: 0.25, updatedAt: "2026-01-02T03:04:05.000Z", reason: HOSTILE[2]! },
    events: [event(1), event(2, { type: "drift-detected" })],
    snapshots: [
      snapshot(1, "2026-01-02T03:00:00.000Z", [{ name: HOSTILE[1]!, test: "ks", statistic: 0.3, pValue: 0.001, threshold: 0.05, drifted: true }]),
      snapshot(2, "2026-01-02T04:00:00.000Z", [{ name: HOSTILE[1]!, test: "wasserstein", statistic: 0.02, pValue: null, threshold: 0.1, drifted: false }]),
    ],
    experiments: [{ id: HOSTILE[4]!, key: "k", data: { status: HOSTILE[0], variants: [{ name: HOSTILE[2], version: 1, stats: { rate: 0.1 } }] } }],
    problems: [HOSTILE[0]!],
  };
}

/** Every start tag in the markup (`<name ...>`). */
const tags = (markup: string): string[] => markup.match(/<[a-zA-Z][^>]*>/g) ?? [];

function assertInert(markup: string): void {
  assert.doesNotMatch(markup, /<script|<img|<iframe/i, "no element made from registry text");
  for (const tag of tags(markup)) assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, `no event-handler attribute in ${tag}`);
  assert.doesNotMatch(markup, /style=|javascript:/i, "no inline style or script URL (the CSP forbids them)");
  assert.match(markup, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, "the hostile name is there, as text");
}

describe("html", () => {
  test("escapes interpolated text, keeps safe fragments, flattens lists and drops nullish values", () => {
    const s = html`<p title="${`"x'`}">${"<b>"}${raw("<i>ok</i>")}${["<", html`<br>`]}${null}${undefined}${false}${0}</p>`;
    assert.equal(s.value, `<p title="&quot;x&#39;">&lt;b&gt;<i>ok</i>&lt;<br>0</p>`);
  });
});

describe("pages", () => {
  test("the model page escapes hostile model names, feature names, reasons, URLs and experiment fields", () => {
    const markup = modelPage(FRAME, hostileView());
    assertInert(markup);
    assert.ok(markup.includes(`href="/ui/models/${encodeURIComponent(HOSTILE[0]!)}/versions/2"`), "links encode the name");
    assert.ok(markup.includes("&#96;${x}&#96;"));
  });

  test("the version and list pages are inert too", () => {
    const view: VersionView = { model: hostileView(), meta: meta(2, { ...({ baselines: { [HOSTILE[0]!]: { accuracy: 0.5 } } } as object) }), learningCurve: undefined, importance: { method: HOSTILE[0], features: [{ name: HOSTILE[1]!, meanAbsAttribution: 0.2 }] } };
    assertInert(versionPage(FRAME, view));
    assertInert(modelListPage(FRAME, [{ name: HOSTILE[0]!, versions: 2, latest: meta(2), aliases: { champion: 1 }, rollout: undefined, problems: [] }]));
  });

  test("drift over time: one chart per feature, one line per version, p-values as -log10 p against the threshold", () => {
    const view = hostileView();
    const series = driftSeries(view.snapshots);
    assert.deepEqual([...series.keys()], [HOSTILE[1]]);
    const markup = driftPanel(view.snapshots).value;
    assert.equal((markup.match(/<article/g) ?? []).length, 1);
    assert.equal((markup.match(/<circle/g) ?? []).length, 2);
    assert.equal((markup.match(/class="pt s\d drifted"/g) ?? []).length, 1);
    assert.match(markup, /version 1[\s\S]*version 2/);
    assert.match(driftPanel([]).value, /No monitoring snapshot recorded/);
  });

  test("optional panels say 'not recorded' when their data is absent and draw when it is there", () => {
    const m = meta(1);
    assert.match(learningCurvePanel(m, undefined).value, /Learning curve not recorded/);
    assert.match(importancePanel(undefined).value, /Feature importance not recorded/);
    assert.match(metricsPanel(m).value, /Baselines not recorded[\s\S]*Confidence intervals not recorded/);
    assert.match(experimentsPanel([]).value, /No experiment recorded/);
    const curve = learningCurvePanel(m, { epochs: [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, valLoss: 1.1 / epoch, valMetric: 0.5 + epoch / 10 })), bestEpoch: 2 }).value;
    assert.equal((curve.match(/<polyline/g) ?? []).length, 3, "loss, validation loss, validation metric");
    assert.equal((curve.match(/class="ref-line best"/g) ?? []).length, 2, "the best epoch marked on both charts");
    const importance = importancePanel({ features: [{ name: "small", meanAbsAttribution: 0.1 }, { name: "big", meanAbsAttribution: 0.9, permutationImportance: 0.4 }] }).value;
    assert.ok(importance.indexOf(">big<") < importance.indexOf(">small<"), "largest first");
    assert.equal((importance.match(/<rect/g) ?? []).length, 3);
    const withBaselines = metricsPanel(meta(1, { ...({ baselines: { majority: { accuracy: 0.5 } }, intervals: { accuracy: { low: 0.85, high: 0.95 } } } as object) })).value;
    assert.match(withBaselines, /Baseline: majority/);
    assert.match(withBaselines, /0\.85 – 0\.95/);
    assert.equal((withBaselines.match(/<rect/g) ?? []).length, 3, "accuracy for the version and the baseline, the other metric for the version only");
  });
});

describe("routes", () => {
  let dir: string;
  let registry: ModelRegistry;
  let server: ReturnType<typeof createConsoleServer>;
  const tree = async (): Promise<string> => {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(`${p} ${createHash("sha256").update(await readFile(p)).digest("hex")}`);
      }
    };
    await walk(dir);
    return out.sort().join("\n");
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "console-routes-"));
    registry = ModelRegistry.open(dir);
    const v = meta(1);
    for (const n of [1, 2]) {
      await registry.createVersion("cars", { files: { "model.json": Buffer.from("{}") }, parent: n === 2 ? 1 : null, dataset: v.dataset, backend: "wasm", config: v.config, metrics: { accuracy: 0.8 + n / 100 } });
    }
    await registry.setAlias("cars", "champion", 1);
    await appendEvent(registry, "cars", { type: "registered", version: 1, actor: "train", reason: HOSTILE[0]! });
    await writeRollout(registry, "cars", { mode: "shadow", challenger: 2, weight: 0, reason: "shadowing" });
    await writeMonitorSnapshot(registry, { ...snapshot(1, new Date().toISOString(), [{ name: "x", test: "ks", statistic: 0.1, pValue: 0.5, threshold: 0.05, drifted: false }]), model: "cars" });
    server = createConsoleServer(registry);
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("serves every page with a CSP that allows nothing from elsewhere, and writes nothing to the registry", async () => {
    const before = await tree();
    for (const url of ["/ui/", "/ui/models/cars", "/ui/models/cars/versions/1", "/ui/models/cars/versions/2/card"]) {
      const r = await server.app.inject({ method: "GET", url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.headers["content-security-policy"], "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      assert.match(String(r.headers["content-type"]), /^text\/html/);
      assert.doesNotMatch(r.body, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, `${url} links nothing outside`);
    }
    const css = await server.app.inject({ method: "GET", url: "/ui/console.css" });
    assert.match(String(css.headers["content-type"]), /^text\/css/);
    assert.equal((await server.app.inject({ method: "GET", url: "/" })).headers.location, "/ui/");
    assert.equal(await tree(), before, "the console never writes the registry");
  });

  test("answers 404 pages for unknown models, bad names and bad version numbers", async () => {
    for (const url of ["/ui/models/nope", "/ui/models/%3Cscript%3E", "/ui/models/cars/versions/0", "/ui/models/cars/versions/01", "/ui/models/cars/versions/9", "/ui/elsewhere"]) {
      const r = await server.app.inject({ method: "GET", url });
      assert.equal(r.statusCode, 404, url);
      assert.match(r.body, /<h1>Not found<\/h1>/);
      assert.doesNotMatch(r.body, /<script/);
    }
  });

  test("the model page shows the shadow rollout, the versions and the snapshot", async () => {
    const r = await server.app.inject({ method: "GET", url: "/ui/models/cars" });
    assert.match(r.body, /Shadow: a copy of the traffic/);
    assert.equal((r.body.match(/<tr>\s*<th scope="row"><a href="\/ui\/models\/cars\/versions\/\d"/g) ?? []).length, 2);
    assert.match(r.body, /<h3 id="drift-f0">x /);
  });

  test("the model server mounts the console only when asked, and refuses it in production unless allowed", async () => {
    const off = createModelServer(registry, { grpcPort: null, inferenceGrpcPort: null, feedbackLogDir: null });
    assert.equal((await off.app.inject({ method: "GET", url: "/ui/" })).statusCode, 404);
    await off.app.close();
    const on = createModelServer(registry, { grpcPort: null, inferenceGrpcPort: null, feedbackLogDir: null, console: true });
    const page = await on.app.inject({ method: "GET", url: "/ui/models/cars" });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    assert.equal((await on.app.inject({ method: "GET", url: "/ui" })).statusCode, 200, "the server ignores trailing slashes");
    await on.app.close();
    assert.throws(() => createModelServer(registry, { console: true, profile: "production" }), (e: Error & { code?: string }) => e.code === "MLOPS_ERR_SERVER_CONSOLE_REFUSED" && /production profile/.test(e.message));
    const allowed = createModelServer(registry, { grpcPort: null, inferenceGrpcPort: null, feedbackLogDir: null, console: true, profile: "production", consoleInProduction: true });
    assert.equal((await allowed.app.inject({ method: "GET", url: "/ui/" })).statusCode, 200);
    await allowed.app.close();
  });
});

describe("cli", () => {
  test("MLOPS_UI and MLOPS_PROFILE are read strictly", () => {
    assert.equal(envSwitch("MLOPS_UI", {}), false);
    assert.equal(envSwitch("MLOPS_UI", { MLOPS_UI: "on" }), true);
    assert.equal(envSwitch("MLOPS_UI", { MLOPS_UI: "0" }), false);
    assert.throws(() => envSwitch("MLOPS_UI", { MLOPS_UI: "yes please" }), /MLOPS_UI must be 1\/true\/on or 0\/false\/off/);
    assert.equal(envProfile({}), "dev");
    assert.equal(envProfile({ MLOPS_PROFILE: "production" }), "production");
    assert.throws(() => envProfile({ MLOPS_PROFILE: "prod" }), /MLOPS_PROFILE must be dev or production, got "prod"/);
  });

  test("mlops serve --ui in the production profile exits 2 naming the opt-in; mlops ui rejects a bad port", async () => {
    const refused = await runMlops(["serve", "--ui", "--registry", tmpdir(), "--port", "0"], { env: { MLOPS_PROFILE: "production" } });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--ui-in-production[\s\S]*MLOPS_ERR_SERVER_CONSOLE_REFUSED/);
    const bad = await runMlops(["ui", "--port", "http"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port must be an integer from 0 to 65535/);
  });
});
