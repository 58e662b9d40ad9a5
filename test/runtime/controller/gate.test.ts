import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { LocalProcessExecutor } from "../../../runtime/src/controller/local-process-executor.ts";
import { evaluateGate } from "../../../runtime/src/controller/quality-gate.ts";
import { modelConfig } from "../../../runtime/src/data/model-config.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { seededRandom, shuffleInPlace } from "../../../runtime/src/model/random.ts";
import { registerModel, trainModel } from "../../../runtime/src/model/train-model.ts";
import { type FeedbackRow, appendEvent, listEvents, readRollout } from "../../../runtime/src/registry/index.ts";
import { TINY_FEATURES, TINY_MODELS, tinyRows, tinyTargets, trainAnotherVersion } from "../../helpers/tiny-models.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, policy, sandbox } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));
const open = async () => {
  const box = await sandbox();
  boxes.push(box);
  return box;
};

/** Labelled rows from the world the tiny models were trained for. */
const holdout = (n: number, target: "y" | "label"): FeedbackRow[] =>
  tinyRows(n, 99).map((r, i) => ({ id: `h${i}`, index: 0, time: "2030-01-01T00:00:00.000Z", version: 1, features: { ...r }, prediction: [0], label: tinyTargets(r)[target] }));

test("a challenger trained on scrambled labels fails the gate, with both versions' metric on the same holdout", async () => {
  const box = await open();
  const file = path.join(box.dir, "scrambled.csv");
  const rows = tinyRows(300, 1).map((r): Cell[] => [r.x1, r.x2, r.color, tinyTargets(r).y]);
  const ys = rows.map((r) => r[3]);
  shuffleInPlace(ys, seededRandom(3));
  await writeTable(file, [...TINY_FEATURES, "y"], rows.map((r, i) => [...r.slice(0, 3), ys[i]!]));
  const table = await readTable(file);
  const config = modelConfig.parse({ name: MODEL, target: "y", task: "regression", network: { hiddenLayers: [16], epochs: 30, learningRate: 0.02, patience: 0 } });
  const { metadata } = await registerModel(box.registry, await trainModel({ table, config, defaultName: MODEL }), table, 1);

  const gate = policy(box).gate;
  const result = await evaluateGate(box.registry, MODEL, { champion: 1, challenger: metadata.version }, holdout(120, "y"), gate);
  assert.equal(result.passed, false);
  assert.equal(result.metric, "rmse");
  assert.equal(result.rows, 120);
  assert.ok(result.champion < 1 && result.challenger > 2, `champion ${result.champion}, challenger ${result.challenger}`);
  assert.ok(result.improvement < 0);
  assert.match(result.reason, /^challenger rmse \d+\.\d{4} vs champion \d+\.\d{4} on 120 holdout rows: worse by \d+\.\d{4}, at least 0 needed$/);

  const few = await evaluateGate(box.registry, MODEL, { champion: 1, challenger: metadata.version }, holdout(30, "y"), gate);
  assert.equal(few.passed, false);
  assert.match(few.reason, /only 30 usable holdout rows, the gate needs 50/);
});

test("classifiers are gated on ROC AUC by default; rows with a class a version never saw are left out", async () => {
  const box = await open();
  const version = await trainAnotherVersion(box.registryDir, TINY_MODELS.binary);
  const rows = holdout(100, "label");
  rows[0]!.label = "maybe";
  const result = await evaluateGate(box.registry, TINY_MODELS.binary, { champion: 1, challenger: version }, rows, policy(box).gate);
  assert.equal(result.metric, "rocAuc");
  assert.equal(result.higherIsBetter, true);
  assert.deepEqual([result.rows, result.skippedRows], [99, 1]);
  assert.ok(result.champion > 0.95 && result.challenger > 0.95);
});

test("a retrained version that cannot beat the champion by minImprovement is recorded as gate-failed and never served", async () => {
  const box = await open();
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  fleet.behaviour.set(1, { drifted: ["x1", "x2"] });
  await writeDriftedFeedback(box.registry, MODEL, 1, 300, clock);
  await fleet.serve(1);
  const controller = new RetrainingController({
    registry: box.registry,
    policy: policy(box, { trigger: { persistChecks: 1 }, gate: { minImprovement: 1000 } }),
    executor: new LocalProcessExecutor({ env: { MLOPS_BACKEND: "wasm" } }),
    clock,
    workDir: box.workDir,
  });
  assert.equal((await controller.runOnce()).outcome, "gate-failed");
  const events = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");
  assert.deepEqual(events.map((e) => e.type), ["drift-detected", "retrain-started", "retrain-finished", "gate-failed"]);
  const gate = events[3]!;
  assert.equal(gate.version, 2);
  assert.equal(gate.champion, 1);
  assert.match(gate.reason, /^challenger rmse \d+\.\d{4} vs champion \d+\.\d{4} on 100 holdout rows: better by only \d+\.\d{4}, at least 1000 needed$/);
  for (const key of ["metric", "champion", "challenger", "improvement", "minImprovement", "rows", "skippedRows", "championVersion", "challengerVersion", "higherIsBetter"]) {
    assert.ok(Object.hasOwn(gate.details ?? {}, key), `gate details carry ${key}`);
  }
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  assert.equal((await box.registry.getVersion(MODEL, 2)).parent, 1);
});

test("a version trained before a restart but never gated is gated by the next controller", async () => {
  const box = await open();
  const clock = new FakeClock();
  const version = await trainAnotherVersion(box.registryDir, MODEL);
  await writeDriftedFeedback(box.registry, MODEL, 1, 200, clock);
  await appendEvent(box.registry, MODEL, { type: "retrain-started", version: 1, champion: 1, actor: "controller", reason: "training attempt 1/1", details: { attempt: 1 } });
  await appendEvent(box.registry, MODEL, { type: "retrain-finished", version, champion: 1, actor: "controller", reason: "trained", details: { attempt: 1 } });
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box, { gate: { minImprovement: 1000 } }), clock, workDir: box.workDir });
  const pass = await controller.runOnce();
  assert.deepEqual(pass.reconciled, [`gating version ${version}, trained before a restart`]);
  assert.equal(pass.outcome, "gate-failed");
  assert.equal((await listEvents(box.registry, MODEL)).at(-1)?.details?.rows, 100);
});
