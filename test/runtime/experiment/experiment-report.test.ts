import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { experimentStatus, startExperiment, summarize, welchTTest } from "../../../runtime/src/experiment/index.ts";
import { type FeedbackRow, ModelRegistry, listEvents, readActiveExperiment, writeExperimentTraffic, writeFeedback } from "../../../runtime/src/registry/index.ts";
import { seededRandom } from "../../../runtime/src/model/random.ts";
import { trainAnotherVersion, trainTinyModels } from "../../helpers/tiny-models.ts";

let dir: string;
let registry: ModelRegistry;
let model: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mlops-exp-report-"));
  model = (await trainTinyModels(path.join(dir, "registry"))).regression;
  await trainAnotherVersion(path.join(dir, "registry"), model);
  registry = ModelRegistry.open(path.join(dir, "registry"));
});
after(() => rm(dir, { recursive: true, force: true }));

describe("experiment report for a regressor", () => {
  test("tests absolute error with Welch's t, reports latency and errors, and concludes for the better variant", async () => {
    const t0 = new Date("2026-12-03T12:00:00Z");
    const e = await startExperiment(registry, model, { variants: [{ version: 1, weight: 1 }, { version: 2, weight: 1 }], minSamples: 50, actor: "test", id: "exp-reg" }, t0);
    assert.equal(e.metric, "absoluteError");
    const random = seededRandom(5);
    const errs: Record<number, number[]> = { 1: [], 2: [] };
    const rows: FeedbackRow[] = [];
    for (let i = 0; i < 120; i++) {
      const version = i % 2 === 0 ? 1 : 2;
      // Version 2 is off by about half as much.
      const err = (random() - 0.5) * (version === 1 ? 4 : 2);
      errs[version]!.push(Math.abs(err));
      rows.push({ id: `p${i}`, index: 0, time: t0.toISOString(), version, features: { x1: 0, x2: 0, color: "red" }, prediction: [10 + err], label: 10, experiment: "exp-reg" });
    }
    // A row outside the experiment never counts.
    rows.push({ id: "other", index: 0, time: t0.toISOString(), version: 1, features: { x1: 0, x2: 0, color: "red" }, prediction: [100], label: 10 });
    await writeFeedback(registry, model, rows, "test");
    await writeExperimentTraffic(registry, model, "exp-reg", "server-a", { "1": { requests: 70, errors: 1, latencySumMs: 70 * 3, latencySumSquaresMs: 70 * 10 }, "2": { requests: 60, errors: 0, latencySumMs: 60 * 2, latencySumSquaresMs: 60 * 5 } });
    await writeExperimentTraffic(registry, model, "exp-reg", "server-b", { "1": { requests: 30, errors: 0, latencySumMs: 30 * 3, latencySumSquaresMs: 30 * 10 } });

    const interim = await experimentStatus(registry, model, { actor: "test", conclude: false }, t0);
    assert.equal(interim.concluded, false);
    const { report, concluded, experiment } = await experimentStatus(registry, model, { actor: "test" }, t0);
    assert.equal(concluded, true);
    assert.equal(experiment.status, "concluded");
    assert.deepEqual(report.variants.map((v) => v.labelled), [60, 60]);
    assert.deepEqual(report.variants.map((v) => v.requests), [100, 60]);
    assert.equal(report.variants[0]!.errorRate!.value, 0.01);
    assert.ok(Math.abs(report.variants[0]!.latencyMs!.mean - 3) < 1e-12);
    const expected = welchTTest(summarize(errs[2]!), summarize(errs[1]!));
    const c = report.comparisons[0]!;
    assert.equal(c.quality!.test, "welch-t");
    assert.ok(Math.abs(c.quality!.pValue - expected.pValue) < 1e-12);
    assert.ok(c.quality!.better && c.quality!.significant, JSON.stringify(c.quality));
    assert.equal(c.latency!.test, "welch-t");
    assert.equal(report.recommendation!.winner, 2);
    assert.equal((await readActiveExperiment(registry, model)).experiment, undefined);
    const ev = (await listEvents(registry, model)).filter((x) => x.type.startsWith("experiment-"));
    assert.deepEqual(ev.map((x) => x.type), ["experiment-started", "experiment-concluded"]);
    assert.equal(ev[1]!.version, 2);
  });

  test("the time budget ends routing at endsAt and then concludes", async () => {
    const t0 = new Date("2026-12-03T13:00:00Z");
    const e = await startExperiment(registry, model, { variants: [{ version: 1, weight: 1 }, { version: 2, weight: 1 }], maxDurationMs: 60_000, actor: "test", id: "exp-time" }, t0);
    assert.equal(e.minSamples, null);
    assert.equal(e.endsAt, "2026-12-03T13:01:00.000Z");
    assert.equal((await experimentStatus(registry, model, { actor: "test" }, new Date(t0.getTime() + 30_000))).concluded, false);
    const late = await experimentStatus(registry, model, { actor: "test" }, new Date(t0.getTime() + 61_000));
    assert.equal(late.concluded, true);
    assert.match(late.report.budget.why, /time budget ended/);
    // No labelled rows: nothing is significant, so the control stays.
    assert.equal(late.report.recommendation!.winner, 1);
  });
});
