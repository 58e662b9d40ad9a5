import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { approve, reject } from "../../../runtime/src/controller/approval.ts";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { listEvents, readRollout, verifyHistory } from "../../../runtime/src/registry/index.ts";
import { trainAnotherVersion } from "../../helpers/tiny-models.ts";
import { FakeClock, SimulatedFleet } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, mlops, policy, sandbox } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));

/** A model with an unpromoted version 2, served by a simulated fleet, and a controller whose policy wants approval. */
async function awaitingApproval() {
  const box = await sandbox();
  boxes.push(box);
  assert.equal(await trainAnotherVersion(box.registryDir, MODEL), 2);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  clock.onSleep = () => fleet.serve(1);
  const p = policy(box, { promotion: { requireApproval: true } });
  const controller = new RetrainingController({ registry: box.registry, policy: p, clock });
  assert.equal(await controller.rollOut(2), "awaiting-approval");
  return { box, clock, fleet, p, controller };
}

test("with requireApproval the controller holds the canary below 100% and records awaiting-approval", async () => {
  const { box, controller } = await awaitingApproval();
  const events = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");
  assert.deepEqual(events.map((e) => e.type), ["canary-step", "awaiting-approval"]);
  const waiting = events[1]!;
  assert.equal(waiting.version, 2);
  assert.equal(waiting.details?.nextStep, 1);
  assert.match(waiting.reason, /mlops models approve tiny-regression 2 --by <name> --reason <why>/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1, challenger: 2 });
  const { rollout } = await readRollout(box.registry, MODEL);
  assert.deepEqual([rollout.mode, rollout.challenger, rollout.weight], ["canary", 2, 0.25]);
  // Passes without a decision keep waiting and do not start another cycle.
  const pass = await controller.runOnce();
  assert.equal(pass.outcome, "awaiting-approval");
  assert.equal(pass.check, null);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1, challenger: 2 });
});

test("an approval lets the next pass finish the canary and promote; the history says who approved", async () => {
  const { box, controller } = await awaitingApproval();
  await assert.rejects(approve(box.registry, MODEL, 2, { by: "", reason: "ok" }), /--by must name who decides/);
  const approved = await approve(box.registry, MODEL, 2, { by: "alice", reason: "reviewed the card" });
  assert.equal(approved.type, "approved");
  assert.equal(approved.details?.by, "alice");
  assert.equal((await controller.runOnce()).outcome, "promoted");
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
  const promoted = (await listEvents(box.registry, MODEL)).findLast((e) => e.type === "promoted")!;
  assert.match(promoted.reason, /approved by alice/);
  assert.deepEqual(promoted.details?.approval, { by: "alice", reason: "reviewed the card", seq: approved.seq });
  await assert.rejects(approve(box.registry, MODEL, 2, { by: "bob", reason: "again" }), { code: "MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL" });
  assert.equal((await verifyHistory(box.registry, MODEL)).firstBroken, undefined);
});

test("a rejection rolls the canary back at once; the controller then reports rolled-back", async () => {
  const { box, controller } = await awaitingApproval();
  await reject(box.registry, MODEL, 2, { by: "carol", reason: "fairness review failed" });
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  const tail = (await listEvents(box.registry, MODEL)).slice(-2);
  assert.deepEqual(tail.map((e) => [e.type, e.actor]), [["rejected", "cli"], ["rolled-back", "cli"]]);
  assert.match(tail[1]!.reason, /rejected by carol: fairness review failed/);
  assert.equal((await controller.runOnce()).outcome, "rolled-back");
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
});

test("a restarted controller resumes the wait, and the CLI approves; `controller --once` then promotes", async () => {
  const { box, p, controller } = await awaitingApproval();
  await controller.release();
  const policyFile = `${box.dir}/policy.json`;
  const { writeFile } = await import("node:fs/promises");
  await writeFile(policyFile, JSON.stringify({ ...p, rollout: { ...p.rollout, dwellSeconds: 0, minRequestsPerStep: 0 }, intervalSeconds: 0.01 }));
  let run = await mlops(["controller", "--policy", policyFile, "--registry", box.registryDir, "--once"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /waiting for approval of version 2 \(asked at seq \d+\); the canary stays at 25%/);
  assert.match(run.stdout, /tiny-regression: awaiting-approval/);
  run = await mlops(["models", "approve", MODEL, "2", "--registry", box.registryDir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /needs --by <name> and --reason <text>/);
  run = await mlops(["models", "approve", MODEL, "2", "--by", "dave", "--reason", "ship it", "--registry", box.registryDir]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /approved for promotion by dave: ship it/);
  run = await mlops(["controller", "--policy", policyFile, "--registry", box.registryDir, "--once"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /tiny-regression: promoted/);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 2 });
});
