import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { LocalProcessExecutor } from "../../../runtime/src/controller/local-process-executor.ts";
import { FEEDBACK_ID_COLUMN } from "../../../runtime/src/controller/training-data.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { type ModelEvent, listEvents, readRollout } from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, mlops, policy, sandbox } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));
const executor = new LocalProcessExecutor({ env: { MLOPS_BACKEND: "wasm" } });

/** The controller's events, without the registration events of the tiny models. */
const controllerEvents = async (box: Sandbox): Promise<ModelEvent[]> => (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");

test("drift held for persistChecks checks retrains in a child process, passes the gate, walks the canary steps and promotes", async () => {
  const box = await sandbox();
  boxes.push(box);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  const p = policy(box);
  const controller = new RetrainingController({ registry: box.registry, policy: p, executor, clock, workDir: box.workDir });

  // The world moves: x1 and x2 drift on both instances, labels of the new region come back.
  fleet.behaviour.set(1, { drifted: ["x1", "x2"], quality: { metric: "rmse", value: 6.7, labelled: 120 } });
  await writeDriftedFeedback(box.registry, MODEL, 1, 300, clock);
  await fleet.serve(1);
  const first = await controller.runOnce();
  assert.equal(first.outcome, "idle");
  assert.equal(first.check?.consecutive, 1);
  assert.equal(first.check?.signal.holds, true);

  // During the canary the challenger is healthy and better on live labels.
  fleet.behaviour.set(2, { quality: { metric: "rmse", value: 1.2, labelled: 40 }, p99Ms: 21 });
  clock.onSleep = () => fleet.serve(1);
  clock.advance(10_000);
  await fleet.serve(1);
  const second = await controller.runOnce();
  assert.equal(second.outcome, "promoted", JSON.stringify(await controllerEvents(box), null, 2));

  const events = await controllerEvents(box);
  assert.deepEqual(
    events.map((e) => e.type),
    ["drift-detected", "retrain-started", "retrain-finished", "gate-passed", "canary-step", "canary-step", "promoted"],
  );
  for (const e of events) assert.ok(e.reason.length > 20, `${e.type} has a reason: ${e.reason}`);
  const [drift, started, finished, gate, step1, step2, promoted] = events as [ModelEvent, ModelEvent, ModelEvent, ModelEvent, ModelEvent, ModelEvent, ModelEvent];
  assert.match(drift.reason, /^retraining: dataset drift on 2 of 2 instance\(s\), holding 100% of 1000 window rows; drifted columns: x1, x2 .* held for 2 consecutive checks$/);
  assert.deepEqual((drift.details?.dataset as { drifted: string[] }).drifted, ["x1", "x2"]);
  assert.deepEqual(started.details?.rows, { reference: 300, feedback: 200, duplicates: 0, total: 500, holdout: 100 });
  assert.equal(finished.version, 2);
  const g = gate.details as { metric: string; champion: number; challenger: number; rows: number; improvement: number };
  assert.equal(g.metric, "rmse");
  assert.equal(g.rows, 100);
  assert.ok(g.challenger < g.champion / 2, `challenger rmse ${g.challenger} vs champion ${g.champion}`);
  assert.deepEqual([step1.details?.weight, step2.details?.weight], [0.25, 1]);
  for (const s of [step1, step2]) {
    assert.equal(s.details?.healthy, true);
    assert.equal(s.details?.errorRate, 0);
    assert.ok((s.details?.requests as number) >= 20);
    assert.ok((s.details?.seconds as number) >= 30);
  }
  assert.equal(promoted.version, 2);
  assert.deepEqual([promoted.details?.from, promoted.details?.to], [1, 2]);

  // The registry: new champion, no challenger, traffic back to one version, lineage recorded.
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  const v2 = await box.registry.getVersion(MODEL, 2);
  assert.equal(v2.parent, 1);
  assert.equal(v2.dataset.rows, 500);
  const table = await readTable(v2.dataset.source);
  assert.equal(v2.dataset.snapshot?.url, v2.dataset.source, "the staged table in the registry is the version's snapshot");
  assert.ok(table.columns.includes(FEEDBACK_ID_COLUMN));
  assert.equal(table.rows.filter((r) => r[table.columns.indexOf(FEEDBACK_ID_COLUMN)] !== null).length, 200);
  const loaded = await LoadedModel.load(box.registry, MODEL, 2);
  loaded.dispose();

  // The story, as `mlops models history` tells it.
  const json = await mlops(["models", "history", MODEL, "--json", "--registry", box.registryDir]);
  assert.equal(json.code, 0, json.stderr);
  const story = (JSON.parse(json.stdout) as ModelEvent[]).map((e) => `${e.type}:${e.version ?? "-"}:${e.champion ?? "-"}`);
  assert.deepEqual(story, [
    "registered:1:-",
    "alias-moved:1:1",
    "drift-detected:1:1",
    "retrain-started:1:1",
    "registered:2:1",
    "retrain-finished:2:1",
    "gate-passed:2:1",
    "canary-step:2:1",
    "canary-step:2:1",
    "promoted:2:2",
  ]);
  const text = await mlops(["models", "history", MODEL, "--registry", box.registryDir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^tiny-regression\nTIME +EVENT +VERSION +CHAMPION +ACTOR +REASON\n/);
  assert.match(text.stdout, /promoted +2 +2 +controller +version 2 replaced version 1 as champion/);
});
