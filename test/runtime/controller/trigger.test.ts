import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { LocalProcessExecutor } from "../../../runtime/src/controller/local-process-executor.ts";
import { triggerPolicy } from "../../../runtime/src/controller/policy.ts";
import { evaluateTrigger } from "../../../runtime/src/controller/trigger-signal.ts";
import { type MonitorSnapshot, appendEvent, listEvents } from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, tinyDrift, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, fixture, policy, sandbox } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));
const NOW = new Date("2030-01-01T00:10:00.000Z");

function snap(instance: string, rows: number, drifted: string[], updatedAt = NOW, quality: MonitorSnapshot["quality"] = null): MonitorSnapshot {
  return {
    model: MODEL,
    version: 1,
    instance,
    updatedAt: updatedAt.toISOString(),
    traffic: { requests: rows, errors: 0, rows, latencyP50Ms: 3, latencyP99Ms: 12 },
    window: { rows, capacity: 1000 },
    drift: tinyDrift(drifted),
    quality,
    shadow: null,
  };
}

test("instances are combined by a rows-weighted majority: one drifted replica of three does not make dataset drift", () => {
  const t = triggerPolicy.parse({});
  const one = evaluateTrigger([snap("a", 500, ["x1", "x2"]), snap("b", 500, []), snap("c", 500, [])], t, NOW);
  assert.equal(one.holds, false);
  assert.equal(one.evidence, true);
  assert.ok(Math.abs(one.details.dataset!.rowsShare - 1 / 3) < 1e-12);
  const two = evaluateTrigger([snap("a", 500, ["x1", "x2"]), snap("b", 500, ["x1", "color"]), snap("c", 500, [])], t, NOW);
  assert.equal(two.holds, true);
  assert.deepEqual(two.details.dataset!.drifted, ["x1"]);
  assert.match(two.reasons[0]!, /^dataset drift on 2 of 3 instance\(s\), holding 66\.7% of 1500 window rows; drifted columns: x1 \(average drifted share 44\.4%, dataset drift at 50%\)$/);
  // A big window outweighs two small ones.
  assert.equal(evaluateTrigger([snap("a", 900, ["x1", "x2"]), snap("b", 200, []), snap("c", 200, [])], t, NOW).holds, true);
});

test("stale snapshots and windows under minWindowRows are not evidence", () => {
  const t = triggerPolicy.parse({ minWindowRows: 200, maxSnapshotAgeSeconds: 60 });
  const stale = evaluateTrigger([snap("a", 500, ["x1", "x2"], new Date(NOW.getTime() - 61_000))], t, NOW);
  assert.deepEqual([stale.holds, stale.evidence, stale.observed], [false, false, ""]);
  const small = evaluateTrigger([snap("a", 150, ["x1", "x2"])], t, NOW);
  assert.deepEqual([small.holds, small.evidence], [false, false]);
});

test("a listed feature triggers on its own, and so does live quality past its bound", () => {
  const features = triggerPolicy.parse({ datasetDrift: false, features: ["x2"] });
  const s = evaluateTrigger([snap("a", 500, ["x2"])], features, NOW);
  assert.equal(s.details.dataset!.detected, false);
  assert.equal(s.holds, true);
  assert.match(s.reasons[0]!, /^feature x2 drifted on 1 of 1 instance\(s\) \(ks statistic 0\.4100\)$/);

  const quality = triggerPolicy.parse({ datasetDrift: false, qualityDrop: { metric: "rmse", threshold: 2, minLabelled: 100 } });
  const few = evaluateTrigger([snap("a", 500, [], NOW, { metric: "rmse", value: 5, labelled: 60 })], quality, NOW);
  assert.equal(few.holds, false, "60 labelled rows are not enough");
  const bad = evaluateTrigger([snap("a", 500, [], NOW, { metric: "rmse", value: 5, labelled: 60 }), snap("b", 500, [], NOW, { metric: "rmse", value: 2.5, labelled: 60 })], quality, NOW);
  assert.equal(bad.holds, true);
  assert.deepEqual(bad.details.quality, { metric: "rmse", value: 3.75, labelled: 120, threshold: 2, crossed: true });
  const accuracy = triggerPolicy.parse({ datasetDrift: false, qualityDrop: { metric: "accuracy", threshold: 0.8 } });
  assert.equal(evaluateTrigger([snap("a", 500, [], NOW, { metric: "accuracy", value: 0.85, labelled: 300 })], accuracy, NOW).holds, false);
  assert.equal(evaluateTrigger([snap("a", 500, [], NOW, { metric: "accuracy", value: 0.7, labelled: 300 })], accuracy, NOW).holds, true);
});

async function setup(overrides: Parameters<typeof policy>[1] = {}) {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  const executor = new LocalProcessExecutor({ bin: fixture("fake-train.ts"), env: { FAKE_TRAIN: "fail" } });
  const make = () => new RetrainingController({ registry: box.registry, policy: policy(box, { trigger: { persistChecks: 3 }, ...overrides }), executor, clock, workDir: box.workDir });
  /** The servers report (drifted or not), time moves on by one interval, the controller runs one pass. */
  const tick = async (controller: RetrainingController, drifted: boolean) => {
    fleet.behaviour.set(1, { drifted: drifted ? ["x1", "x2"] : [] });
    await fleet.serve(1);
    const pass = await controller.runOnce();
    clock.advance(10_000);
    return pass;
  };
  return { box, clock, fleet, make, tick };
}

test("the trigger fires only after persistChecks consecutive drifted checks, and the count survives a restart", async () => {
  const { make, tick } = await setup();
  const first = await tick(make(), true);
  assert.deepEqual([first.outcome, first.check?.consecutive], ["idle", 1]);
  const second = await tick(make(), true); // a new controller: the count is in the registry
  assert.deepEqual([second.outcome, second.check?.consecutive], ["idle", 2]);
  const third = await tick(make(), true);
  assert.equal(third.check?.triggered, true);
  assert.equal(third.outcome, "waiting-for-labels", "no labelled feedback yet");
});

test("alternating drift never triggers (no flapping), and a check without new snapshots does not count", async () => {
  const { make, tick, box } = await setup();
  const controller = make();
  const counts: number[] = [];
  for (let i = 0; i < 8; i++) counts.push((await tick(controller, i % 2 === 0)).check!.consecutive);
  assert.deepEqual(counts, [1, 0, 1, 0, 1, 0, 1, 0]);
  await tick(controller, true);
  const same = await controller.runOnce(); // the servers wrote nothing new
  const again = await controller.runOnce();
  assert.deepEqual([same.check?.counted, same.check?.consecutive, again.check?.consecutive], [false, 1, 1]);
  assert.equal((await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller").length, 0);
});

test("after a retraining cycle the controller waits cooldownSeconds before the next, however long drift persists", async () => {
  const { box, clock, make, tick } = await setup({ trigger: { persistChecks: 1 }, cooldownSeconds: 600 });
  await writeDriftedFeedback(box.registry, MODEL, 1, 200, clock);
  const controller = make();
  assert.equal((await tick(controller, true)).outcome, "retrain-failed");
  const outcomes: string[] = [];
  for (let i = 0; i < 5; i++) outcomes.push((await tick(controller, true)).outcome);
  assert.deepEqual(outcomes, ["cooldown", "cooldown", "cooldown", "cooldown", "cooldown"]);
  clock.advance(600_000);
  assert.equal((await tick(controller, true)).outcome, "retrain-failed");
  const types = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller").map((e) => e.type);
  assert.deepEqual(types, ["drift-detected", "retrain-started", "retrain-failed", "drift-detected", "retrain-started", "retrain-failed"]);
  const failed = (await listEvents(box.registry, MODEL)).at(-1)!;
  assert.match(failed.reason, /training attempt 1\/1 failed: exited with code 3; giving up until the next trigger/);
  assert.match(String(failed.details?.logTail), /MLOPS_ERR_DATA_TOO_SMALL/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
});

test("a policy that cannot apply to the champion is refused at start: unknown features, a metric for another task", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box, { trigger: { features: ["x1", "age"], qualityDrop: { metric: "accuracy", threshold: 0.9 } } }), clock: new FakeClock() });
  await assert.rejects(controller.start(), (err: Error & { code: string; params: { issues: string[] } }) => {
    assert.equal(err.code, "MLOPS_ERR_CONFIG_INVALID");
    assert.deepEqual(err.params.issues, [
      "trigger.qualityDrop.metric: accuracy cannot score a regression model",
      'trigger.features[1]: "age" is not a feature of tiny-regression version 1 (x1, x2, color)',
    ]);
    return true;
  });
});

test("a training attempt left unfinished by a controller that died is recorded as failed on start", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  await appendEvent(box.registry, MODEL, { type: "retrain-started", version: 1, champion: 1, actor: "controller", reason: "training attempt 1/3", details: { attempt: 1 } });
  const actions = await new RetrainingController({ registry: box.registry, policy: policy(box), clock: new FakeClock() }).start();
  assert.deepEqual(actions, ["recorded the unfinished training attempt as failed"]);
  const last = (await listEvents(box.registry, MODEL)).at(-1)!;
  assert.deepEqual([last.type, last.details?.attempt, last.details?.willRetry], ["retrain-failed", 1, false]);
});
