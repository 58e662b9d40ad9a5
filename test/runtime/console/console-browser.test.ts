import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { startMlops } from "../../helpers/mlops-process.ts";
import { decodePng, inkPixels } from "../../helpers/png.ts";
import { runMlops } from "../../helpers/run-cli.ts";

const CHROMIUM = "/usr/bin/chromium";
// Free text the registry does not validate: column names, a file name (the dataset source, and
// so the history's reasons), experiment variant names.
const SCRIPT_COLUMN = "<script>alert(1)</script>";
const ATTR_COLUMN = `"onmouseover="alert(2)`;
const DATA_FILE = "cars<img src=x onerror=alert(3)>.csv";

function csv(rows: number, seed: number, shift: number): string {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const lines = [`x1,"${SCRIPT_COLUMN}","${ATTR_COLUMN.replaceAll('"', '""')}",y`];
  for (let i = 0; i < rows; i++) {
    const a = gauss() + shift;
    const b = gauss();
    lines.push(`${a.toFixed(3)},${b.toFixed(3)},${["red", "blue", "green"][Math.floor(rand() * 3)]},${a + b > shift ? 1 : 0}`);
  }
  return `${lines.join("\n")}\n`;
}

async function waitForFiles(dir: string, count: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(dir) && (await readdir(dir)).length >= count) return;
    await sleep(100);
  }
  throw new Error(`no monitoring snapshot under ${dir}`);
}

test("in headless Chromium: mlops ui over a trained, served registry shows every panel, draws its charts, and keeps hostile strings inert", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (apt-get install chromium)`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "console-browser-"));
  const registryDir = join(dir, "registry");
  const stops: (() => Promise<unknown>)[] = [];
  try {
    await writeFile(join(dir, DATA_FILE), csv(300, 7, 0));
    await writeFile(join(dir, "shifted.csv"), csv(300, 11, 1));
    const train = async (args: string[]) => {
      const r = await runMlops(["train", "--target", "y", "--model", "cars", "--registry", registryDir, ...args], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
    };
    await train(["--data", DATA_FILE]);
    // Version 2 trains while the first server starts (it loads v2 on demand when asked for it).
    const secondVersion = train(["--data", "shifted.csv", "--parent", "1"]).then(async () => assert.equal((await runMlops(["models", "alias", "cars", "challenger", "2", "--registry", registryDir])).code, 0));

    // Real servers write the monitoring snapshots: shifted traffic to v1 (the champion) and to v2;
    // a second server instance later adds a second point in time for v1.
    const rows = (shift: number) => Array.from({ length: 200 }, (_, i) => ({ x1: shift + ((i % 20) - 10) / 5, [SCRIPT_COLUMN]: ((i % 7) - 3) / 2, [ATTR_COLUMN]: i % 3 ? "red" : "blue" }));
    const serveArgs = ["serve", "--registry", registryDir, "--port", "0", "--grpc-port", "off", "--inference-grpc-port", "off", "--monitor-interval-ms", "100", "--feedback-log-dir", "none", "--log-level", "warn", "--ui"];
    const monitor1 = join(registryDir, "models/cars/monitor/1");
    for (const [round, traffic] of [[1, [["/v1/models/cars:predict", 2.5], ["/v1/models/cars/versions/2:predict", 0]]], [2, [["/v1/models/cars:predict", 0.3]]]] as const) {
      const serve = startMlops(serveArgs, { cwd: dir });
      stops.push(() => serve.stop());
      const [, serveUrl] = await serve.waitFor(/serving cars on (http:\/\/\S+)/, 60_000);
      if (round === 1) await secondVersion;
      for (const [path, shift] of traffic) {
        const res = await fetch(`${serveUrl}${path}`, { method: "POST", body: JSON.stringify({ instances: rows(shift) }) });
        assert.equal(res.status, 200, await res.text());
      }
      await waitForFiles(monitor1, round);
      if (round === 1) {
        await waitForFiles(join(registryDir, "models/cars/monitor/2"), 1);
        // The server's own /ui/ route answers when asked for with --ui.
        const fromServer = await fetch(`${serveUrl}/ui/models/cars`);
        assert.equal(fromServer.status, 200);
        assert.match(fromServer.headers.get("content-security-policy") ?? "", /default-src 'self'/);
      }
      await serve.stop();
    }

    // The formats other parts of the product write (learning curve, importance, baselines,
    // intervals, experiments), on a copy of version 2's real artifacts.
    const registry = ModelRegistry.open(registryDir);
    const v2 = await registry.getVersion("cars", 2);
    const files: Record<string, Buffer> = {};
    for (const f of Object.keys(v2.files)) files[f] = await registry.readFile("cars", 2, f);
    files["learning-curve.json"] = Buffer.from(JSON.stringify({ epochs: Array.from({ length: 12 }, (_, i) => ({ epoch: i + 1, loss: 0.7 / (i + 1), valLoss: 0.75 / (i + 1) + 0.01 * i, valMetric: 0.6 + 0.03 * i })), bestEpoch: 8 }));
    files["importance.json"] = Buffer.from(JSON.stringify({ method: "ig", features: [{ name: "x1", meanAbsAttribution: 0.4, permutationImportance: 0.3 }, { name: SCRIPT_COLUMN, meanAbsAttribution: 0.2, permutationImportance: 0.1 }, { name: ATTR_COLUMN, meanAbsAttribution: 0.05, permutationImportance: 0.01 }] }));
    await registry.createVersion("cars", {
      files,
      parent: 2,
      dataset: v2.dataset,
      backend: v2.backend,
      config: v2.config,
      metrics: v2.metrics,
      extra: { ...v2.extra, baselines: { majority: { accuracy: 0.52, logLoss: 0.69 }, linear: { accuracy: 0.9, logLoss: 0.3 } }, intervals: { accuracy: { low: 0.9, high: 1 } } },
    });
    await mkdir(join(registryDir, "models/cars/experiments"), { recursive: true });
    await writeFile(
      join(registryDir, "models/cars/experiments/exp-1.json"),
      JSON.stringify({ id: "exp-1", status: "running", variants: [{ name: `<b onmouseover=alert(4)>A</b>`, version: 1, weight: 0.5, requests: 120, accuracy: 0.91 }, { name: "B", version: 2, weight: 0.5, requests: 118, accuracy: 0.94 }] }),
    );

    const ui = startMlops(["ui", "--registry", registryDir, "--port", "0"], { cwd: dir });
    stops.push(() => ui.stop());
    const [, url] = await ui.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+\/ui\/)/, 20_000);
    const origin = new URL(url!).origin;

    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      viewport: { width: 1366, height: 768 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    stops.push(() => context.close());
    // Runs before any page script (the CSP does not apply to it): collects every violation report.
    await context.addInitScript(`window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`);
    const page = await context.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    const foreign: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("request", (r) => !r.url().startsWith(origin) && foreign.push(r.url()));
    const inert = async (where: string) => {
      assert.equal(await page.locator("script, img, iframe, object, embed, b").count(), 0, `${where}: no element made from registry text`);
      assert.equal(await page.locator("[onmouseover], [onerror]").count(), 0, `${where}: no handler attribute`);
      assert.deepEqual(await page.evaluate("window.__csp"), [], `${where}: no CSP violation`);
      // Hovering over every chart point and table cell fires nothing.
      await page.mouse.move(400, 400);
    };
    const chartInk = async (where: string, selector: string, min: number) => {
      const charts = page.locator(selector);
      const n = await charts.count();
      assert.ok(n >= min, `${where}: ${n} charts, wanted at least ${min}`);
      for (let i = 0; i < n; i++) {
        const chart = charts.nth(i);
        await chart.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        assert.ok(box && box.width > 200 && box.height > 100, `${where}: chart ${i} has a size`);
        const px = inkPixels(decodePng(await chart.screenshot()), [255, 255, 255], 40);
        assert.ok(px.ink / px.total > 0.01, `${where}: chart ${i} is not blank (${px.ink} of ${px.total} pixels drawn)`);
        assert.ok(px.colour > 30, `${where}: chart ${i} has coloured marks (${px.colour} pixels)`);
      }
    };

    // Models list, and the keyboard: the first Tab reaches the skip link.
    await page.goto(url!, { waitUntil: "load" });
    assert.equal(await page.title(), "Models — mlops console");
    assert.equal(await page.locator("main h1").innerText(), "Models");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate("document.activeElement?.textContent"), "Skip to content");
    await page.screenshot({ path: join(dir, "models.png") });
    await inert("models");

    // The model page: aliases and rollout, versions, drift over time, experiments, history.
    await page.locator("main a", { hasText: "cars" }).first().click();
    await page.waitForURL(/\/ui\/models\/cars$/);
    assert.equal(await page.locator("main h1").innerText(), "cars");
    assert.equal(await page.locator("#versions-h + .table-wrap tbody tr").count(), 3);
    assert.match(await page.locator("section[aria-labelledby=aliases-h]").innerText(), /champion\s+version 1[\s\S]*challenger\s+version 2/i);
    const driftHeadings = await page.locator("section[aria-labelledby=drift-h] article h3").allInnerTexts();
    assert.ok(driftHeadings.some((h) => h.startsWith(SCRIPT_COLUMN)), `the hostile column is a heading's text: ${driftHeadings.join(" | ")}`);
    assert.ok(driftHeadings.some((h) => h.startsWith(ATTR_COLUMN)));
    assert.ok(driftHeadings.some((h) => /x1\s+drift in/.test(h)), `x1 drifted under shifted traffic: ${driftHeadings.join(" | ")}`);
    await chartInk("model page drift", "section[aria-labelledby=drift-h] svg.chart", 3);
    assert.match(await page.locator("section[aria-labelledby=experiments-h]").innerText(), /exp-1[\s\S]*<b onmouseover=alert\(4\)>A<\/b>/);
    const history = await page.locator("ol.timeline > li").allInnerTexts();
    assert.ok(history.length >= 4, `history has the registrations and alias moves: ${history.length}`);
    assert.ok(history.some((h) => h.includes(DATA_FILE)), "the reason naming the hostile file is text");
    await page.screenshot({ path: join(dir, "model.png"), fullPage: true });
    await inert("model");

    // Version 3: metrics with baselines and intervals, learning curve, importance, lineage.
    await page.goto(`${origin}/ui/models/cars/versions/3`, { waitUntil: "load" });
    assert.match(await page.locator("main h1").innerText(), /cars · version 3/);
    assert.match(await page.locator("section[aria-labelledby=metrics-h] thead").innerText(), /Baseline: linear[\s\S]*Baseline: majority/i);
    assert.match(await page.locator("section[aria-labelledby=lineage-h]").innerText(), /Parent\s+version 2/i);
    await chartInk("version page", "section[aria-labelledby=metrics-h] svg.chart, section[aria-labelledby=curve-h] svg.chart, section[aria-labelledby=importance-h] svg.chart", 4);
    for (const svg of await page.locator("svg.chart").all()) assert.ok((await svg.getAttribute("aria-labelledby"))?.length, "every chart is labelled");
    await page.screenshot({ path: join(dir, "version.png"), fullPage: true });
    await inert("version 3");

    // Version 1 comes from a real `mlops train`: training itself records its learning curve,
    // baselines, intervals and importance (absent panels are covered by console-pages.test.ts).
    await page.goto(`${origin}/ui/models/cars/versions/1`, { waitUntil: "load" });
    const v1 = await page.locator("main").innerText();
    for (const none of ["Learning curve not recorded", "Feature importance not recorded", "Baselines not recorded", "Confidence intervals not recorded"]) assert.ok(!v1.includes(none), `version 1: ${none}`);
    assert.match(v1, /Baseline: linear/i);
    assert.ok((await page.locator("section[aria-labelledby=lineage-h]").innerText()).includes(DATA_FILE), "the hostile dataset file name is text");
    assert.ok((await page.locator("section[aria-labelledby=lineage-h] table").last().innerText()).includes(SCRIPT_COLUMN), "the schema lists the hostile column as text");
    await page.locator("a", { hasText: "Model card" }).click();
    await page.waitForURL(/\/versions\/1\/card$/);
    assert.match(await page.locator("main").innerText(), /Model card: cars version 1[\s\S]*Predicts\s+y/i);
    await inert("card");

    assert.deepEqual(errors, []);
    // Not found is a page, not a crash.
    const missing = await page.goto(`${origin}/ui/models/cars/versions/99`);
    assert.equal(missing?.status(), 404);

    // CONSOLE_SCREENSHOTS=<dir> keeps the screenshots.
    if (process.env.CONSOLE_SCREENSHOTS) for (const f of ["models.png", "model.png", "version.png"]) await cp(join(dir, f), join(process.env.CONSOLE_SCREENSHOTS, f));
    assert.deepEqual(dialogs, []);
    assert.deepEqual(foreign, []);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
