import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { rollback } from "../../../runtime/src/controller/rollback.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { type ModelEvent, appendEvent, listEvents, readRollout, writeRollout } from "../../../runtime/src/registry/index.ts";
import { trainAnotherVersion } from "../../helpers/tiny-models.ts";
import { FakeClock, SimulatedFleet } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, fixture, mlops, policy, run, sandbox, writePolicy } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));

/** A sandbox whose model has an unpromoted version 2, a fake clock and a fleet serving on every sleep. */
async function withChallenger() {
  const box = await sandbox();
  boxes.push(box);
  const version = await trainAnotherVersion(box.registryDir, MODEL);
  assert.equal(version, 2);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  clock.onSleep = () => fleet.serve(1);
  return { box, clock, fleet };
}

const controllerEvents = async (box: Sandbox): Promise<ModelEvent[]> => (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");

test("a canary step whose challenger fails too many requests is rolled back; the champion never changes", async () => {
  const { box, clock, fleet } = await withChallenger();
  fleet.behaviour.set(2, { errorRate: 0.08 });
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box), clock });
  assert.equal(await controller.rollOut(2), "rolled-back");
  const events = await controllerEvents(box);
  assert.deepEqual(events.map((e) => e.type), ["canary-failed", "rolled-back"]);
  const [failed, rolledBack] = events as [ModelEvent, ModelEvent];
  assert.match(failed.reason, /canary step 1\/2 \(25% of traffic to version 2\) failed: error rate 8% \(4 of 50 requests\) is above 1%/);
  assert.equal(failed.details?.weight, 0.25);
  assert.equal(failed.details?.errorRate, 0.08);
  assert.equal(failed.details?.healthy, false);
  assert.equal(rolledBack.version, 2);
  assert.equal(rolledBack.champion, 1);
  assert.equal(rolledBack.details?.phase, "canary");
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  const { rollout } = await readRollout(box.registry, MODEL);
  assert.equal(rollout.mode, "none");
  assert.match(rollout.reason, /rolled back version 2/);
});

test("a challenger slower than maxP99LatencyMs, or worse on live labels, is rolled back", async () => {
  const { box, clock, fleet } = await withChallenger();
  fleet.behaviour.set(2, { p99Ms: 900 });
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box), clock });
  assert.equal(await controller.rollOut(2), "rolled-back");
  assert.match((await controllerEvents(box))[0]!.reason, /p99 latency 900\.0 ms is above 250 ms/);

  fleet.behaviour.set(1, { quality: { metric: "rmse", value: 0.4, labelled: 200 } });
  fleet.behaviour.set(2, { quality: { metric: "rmse", value: 0.9, labelled: 60 } });
  assert.equal(await controller.rollOut(2), "rolled-back");
  const failed = (await controllerEvents(box)).filter((e) => e.type === "canary-failed")[1]!;
  assert.match(failed.reason, /live rmse 0\.9000 is worse than the champion's 0\.4000 by 0\.5000 \(allowed 0\.05\)/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
});

test("a step that never gets minRequestsPerStep requests is rolled back for lack of evidence after maxStepSeconds", async () => {
  const { box, clock } = await withChallenger();
  clock.onSleep = undefined; // no traffic at all
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box, { rollout: { maxStepSeconds: 120 } }), clock });
  assert.equal(await controller.rollOut(2), "rolled-back");
  const failed = (await controllerEvents(box))[0]!;
  assert.equal(failed.type, "canary-failed");
  assert.match(failed.reason, /only 0 of the 20 requests a step needs after 120 s/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
});

test("a shadow phase runs before the canary and reports the shadow comparison", async () => {
  const { box, clock } = await withChallenger();
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box, { rollout: { shadowSeconds: 40 } }), clock });
  assert.equal(await controller.rollOut(2), "promoted");
  const events = await controllerEvents(box);
  assert.deepEqual(events.map((e) => e.type), ["shadow-started", "shadow-finished", "canary-step", "canary-step", "promoted"]);
  const shadow = events[1]!;
  assert.equal(shadow.details?.passed, true);
  assert.equal(shadow.details?.rows, 800); // 4 polls × 2 instances × 100 copied requests
  assert.equal(shadow.details?.meanAbsDiff, 0.8);
  assert.match(shadow.reason, /shadow phase healthy after 40 s: 800 rows compared, mean absolute difference 0\.8000/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
});

test("a canary in progress when the controller stopped is resumed at its step on restart", async () => {
  const { box, clock } = await withChallenger();
  const p = policy(box, { rollout: { steps: [0.1, 0.5, 1] } });
  // What a controller that stopped during step 2 leaves behind.
  await appendEvent(box.registry, MODEL, { type: "gate-passed", version: 2, champion: 1, actor: "controller", reason: "challenger rmse 0.2 vs champion 0.3", details: {} });
  await box.registry.setAlias(MODEL, "challenger", 2);
  await writeRollout(box.registry, MODEL, { mode: "canary", challenger: 2, weight: 0.5, reason: "canary step 2/3" });
  const pass = await new RetrainingController({ registry: box.registry, policy: p, clock }).runOnce();
  assert.deepEqual(pass.reconciled, ["resuming the canary rollout of version 2 at step 2/3 (50%)"]);
  assert.equal(pass.outcome, "promoted");
  const steps = (await controllerEvents(box)).filter((e) => e.type === "canary-step").map((e) => e.details?.weight);
  assert.deepEqual(steps, [0.5, 1]);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
});

test("a rollout naming a version that is not the challenger is cleared at start, and the champion keeps serving", async () => {
  const { box, clock } = await withChallenger();
  await writeRollout(box.registry, MODEL, { mode: "canary", challenger: 2, weight: 0.5, reason: "left over" });
  const pass = await new RetrainingController({ registry: box.registry, policy: policy(box), clock }).runOnce();
  assert.match(pass.reconciled[0]!, /rollout\.json sent traffic to version 2, which is not the challenger \(none\); cleared it/);
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  assert.equal((await controllerEvents(box)).at(-1)?.type, "rolled-back");
});

test("a controller killed right after the promotion's alias swap leaves a servable champion, and a restart finishes the promotion", async () => {
  const { box } = await withChallenger();
  const file = await writePolicy(box, { ...policy(box), rollout: { steps: [0.5, 1], dwellSeconds: 20, minRequestsPerStep: 10 } });
  const crashed = await run(fixture("crash-after-promotion.ts"), [box.registryDir, file, "2"]);
  assert.equal(crashed.signal, "SIGKILL", crashed.stderr);
  assert.match(crashed.stdout, /crashing after the champion alias moved to 2/);
  // The state the crash left: both aliases on version 2, rollout.json still sending all traffic to it.
  assert.deepEqual(await box.registry.getAliases(MODEL), { challenger: 2, champion: 2 });
  assert.deepEqual((({ mode, challenger, weight }) => ({ mode, challenger, weight }))((await readRollout(box.registry, MODEL)).rollout), { mode: "canary", challenger: 2, weight: 1 });
  (await LoadedModel.load(box.registry, MODEL, 2)).dispose();

  const restarted = await mlops(["controller", "--policy", file, "--registry", box.registryDir, "--once", "--work-dir", box.workDir]);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.match(restarted.stdout, /cleared the canary rollout of version 2, which is already champion/);
  assert.match(restarted.stdout, /recorded the promotion of version 2/);
  assert.match(restarted.stdout, /tiny-regression: idle; trigger 0\/2 checks/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  const last = (await controllerEvents(box)).at(-1)!;
  assert.equal(last.type, "promoted");
  assert.deepEqual(last.details, { from: 1, to: 2, finishedOnStart: true });
  const champion = await box.registry.resolve(MODEL, "champion");
  const loaded = await LoadedModel.load(box.registry, MODEL, champion.version);
  assert.equal(loaded.version, 2);
  loaded.dispose();
});

test("manual rollback restores the previous champion, stops a canary, and refuses when there is no earlier champion", async () => {
  const { box, clock } = await withChallenger();
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box), clock });
  assert.equal(await controller.rollOut(2), "promoted");
  const version3 = await trainAnotherVersion(box.registryDir, MODEL);
  await box.registry.setAlias(MODEL, "challenger", version3);
  await writeRollout(box.registry, MODEL, { mode: "canary", challenger: version3, weight: 0.1, reason: "canary step 1/2" });

  const cli = await mlops(["models", "rollback", MODEL, "--registry", box.registryDir]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout, `${MODEL}: champion rolled back from version 2 to version 1 (rollout stopped, challenger alias removed from version 3)\n`);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  const event = (await listEvents(box.registry, MODEL)).at(-1)!;
  assert.equal(event.type, "rolled-back");
  assert.equal(event.actor, "cli");
  assert.deepEqual([event.version, event.champion], [2, 1]);
  assert.match(event.reason, /champion rolled back by cli from version 2 to the previous champion, version 1; canary rollout of version 3 stopped/);

  await assert.rejects(rollback(box.registry, MODEL, "test"), { code: "MLOPS_ERR_CONTROLLER_NO_PREVIOUS_CHAMPION" });
  const again = await mlops(["models", "rollback", MODEL, "--registry", box.registryDir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /has no previous champion to roll back to \(champion: 1\)/);

  // A champion moved by hand is part of the lineage too.
  await mlops(["models", "alias", MODEL, "champion", "3", "--registry", box.registryDir]);
  assert.deepEqual(await rollback(box.registry, MODEL, "test"), { from: 3, to: 1, clearedRollout: false, removedChallenger: null });
});

test("a rollback cut short (traffic back, challenger alias still set) is finished on start", async () => {
  const { box, clock } = await withChallenger();
  await box.registry.setAlias(MODEL, "challenger", 2);
  await appendEvent(box.registry, MODEL, { type: "canary-failed", version: 2, champion: 1, actor: "controller", reason: "canary step 1/2 failed: error rate 9%", details: {} });
  await writeRollout(box.registry, MODEL, { mode: "none", challenger: null, weight: 0, reason: "rolled back version 2" });
  const pass = await new RetrainingController({ registry: box.registry, policy: policy(box), clock }).runOnce();
  assert.deepEqual(pass.reconciled, ["finished rolling back version 2"]);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  const last = (await controllerEvents(box)).at(-1)!;
  assert.equal(last.type, "rolled-back");
  assert.match(last.reason, /rollback was finished on start/);
});

test("a challenger promoted by hand mid-canary makes the controller step aside, then tidy up on its next pass", async () => {
  const { box, clock, fleet } = await withChallenger();
  let polls = 0;
  clock.onSleep = async () => {
    await fleet.serve(1);
    if (++polls === 2) await box.registry.setAlias(MODEL, "champion", 2);
  };
  const controller = new RetrainingController({ registry: box.registry, policy: policy(box), clock });
  assert.equal(await controller.rollOut(2), "interrupted");
  assert.deepEqual(await box.registry.getAliases(MODEL), { challenger: 2, champion: 2 }, "nothing touched while stepping aside");
  const next = await controller.runOnce();
  assert.deepEqual(next.reconciled, ["cleared the canary rollout of version 2, which is already champion", "removed the challenger alias from version 2, which is already champion"]);
  assert.ok(!(await controllerEvents(box)).some((e) => e.type === "promoted"), "the controller does not claim a promotion it did not make");
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
});
