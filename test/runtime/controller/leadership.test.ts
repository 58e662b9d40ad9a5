// Issue 17 item 6: two `mlops controller` processes for one model: one leads (trains, gates,
// records), the other stands by and takes over when the leader dies.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { listEvents } from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { type MlopsProcess, isAlive, startMlops } from "../../helpers/mlops-process.ts";
import { trainAnotherVersion } from "../../helpers/tiny-models.ts";
import { MODEL, type Sandbox, policy, sandbox, writePolicy } from "./setup.ts";

const boxes: Sandbox[] = [];
const procs: MlopsProcess[] = [];
after(async () => {
  for (const p of procs) await p.stop(2000);
  await Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true })));
});

const leaseHolder = async (box: Sandbox): Promise<{ holder: string; pid: number; term: number } | undefined> => {
  try {
    return JSON.parse(await readFile(path.join(box.registryDir, "models", MODEL, "controller", "lease.json"), "utf8"));
  } catch {
    return undefined;
  }
};

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("two controllers for one model: one retrains once and records once, the other stands by, then takes over when the leader is killed", async () => {
  const box = await sandbox();
  boxes.push(box);
  // Real time: the controllers compare snapshot ages with their own clock.
  const clock = new FakeClock(new Date().toISOString());
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  fleet.behaviour.set(1, { drifted: ["x1", "x2"] });
  await writeDriftedFeedback(box.registry, MODEL, 1, 200, clock);
  await fleet.serve(1);
  const file = await writePolicy(box, {
    model: MODEL,
    intervalSeconds: 0.3,
    cooldownSeconds: 3600,
    trigger: { persistChecks: 1 },
    training: { referenceData: box.reference, recentRows: 300, holdoutRows: 100 },
    // A gate nothing passes ends the cycle right after training: one cycle to count.
    gate: { minHoldoutRows: 50, minImprovement: 1000 },
    executor: { timeoutSeconds: 300, retries: 0 },
    leadership: { leaseSeconds: 2 },
  });
  const start = (name: string) => {
    const p = startMlops(["controller", "--policy", file, "--registry", box.registryDir, "--work-dir", path.join(box.workDir, name)], { env: { MLOPS_BACKEND: "wasm" } });
    procs.push(p);
    return p;
  };
  const first = start("a");
  await until(async () => (await leaseHolder(box)) !== undefined, "the first controller to take the lease");
  const second = start("b");
  await second.waitFor(/standing by: held by /);
  await until(async () => (await listEvents(box.registry, MODEL)).some((e) => e.type === "gate-failed"), "the cycle to end at the gate");
  await sleep(2000); // several more passes of both
  const events = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");
  assert.deepEqual(events.map((e) => e.type), ["drift-detected", "retrain-started", "retrain-finished", "gate-failed"]);
  assert.equal(first.child.pid, (await leaseHolder(box))!.pid, "the first controller still leads");
  assert.doesNotMatch(second.stderr(), /"event":"/, "the standby recorded nothing");

  // The leader dies without a word; the standby sees its process is gone and takes over.
  first.child.kill("SIGKILL");
  await first.exited;
  await until(async () => (await leaseHolder(box))?.pid === second.child.pid, "the standby to take the lease");
  const takeover = (await listEvents(box.registry, MODEL)).findLast((e) => e.type === "leader-elected");
  assert.ok(takeover, "the takeover is in the history");
  assert.match(takeover.reason, /took over from .*: its process is gone/);
  assert.equal((await leaseHolder(box))!.term, 2);
  // It leads from here: no new cycle (cooldown), no false training failure for the old leader's finished cycle.
  await sleep(1500);
  const after = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller").map((e) => e.type);
  assert.deepEqual(after, ["drift-detected", "retrain-started", "retrain-finished", "gate-failed", "leader-elected"]);
  const code = (await second.stop()).code;
  assert.equal(code, 0);
  assert.equal(JSON.parse(await readFile(path.join(box.registryDir, "models", MODEL, "controller", "lease.json"), "utf8")).released, true, "a clean stop hands the lease over");
  assert.ok(!isAlive(first.child.pid!));
});

test("controller --once stands by while another controller leads, and says who leads", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const file = await writePolicy(box, { model: MODEL, intervalSeconds: 0.3, leadership: { leaseSeconds: 2 } });
  const leader = startMlops(["controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir]);
  procs.push(leader);
  await until(async () => (await leaseHolder(box)) !== undefined, "the leader's lease");
  const once = await startMlops(["controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir, "--once"]);
  const r = await once.exited;
  assert.equal(r.code, 0);
  assert.match(once.stdout(), new RegExp(`^${MODEL}: standby \\(held by \\S+-${leader.child.pid}-[0-9a-f]+ \\(term 1\\)`, "m"));
  await leader.stop();
  // Stopped cleanly, it released the lease: --once now leads at once.
  const again = startMlops(["controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir, "--once"]);
  await again.exited;
  assert.match(again.stdout(), new RegExp(`^${MODEL}: idle`, "m"));
});

test("a controller that was only started (or ran one pass) and then dropped stops writing its lease", async () => {
  // start() used to leave the lease renewing in the background every third of leaseSeconds, so a
  // dropped controller kept writing lease.json (a test deleting the registry met ENOTEMPTY).
  const b = await sandbox({ trained: true });
  boxes.push(b);
  const controller = new RetrainingController({ registry: b.registry, policy: policy(b, { leadership: { leaseSeconds: 1.5 } }), clock: new FakeClock() });
  const leaseFile = path.join(b.registryDir, "models", MODEL, "controller", "lease.json");
  const writes = async (call: () => Promise<unknown>) => {
    await call();
    const after = await readFile(leaseFile, "utf8");
    await sleep(1_200); // more than two renewal periods (0.5 s each)
    return (await readFile(leaseFile, "utf8")) === after;
  };
  assert.equal(await writes(() => controller.start()), true, "no renewal after start() returned");
  assert.equal(await writes(() => controller.runOnce()), true, "no renewal after runOnce() returned");

  // rollOut() and gateAndRollOut() take the lease too (a CI pipeline's candidate): the same holds.
  assert.equal(await trainAnotherVersion(b.registryDir, MODEL), 2);
  assert.equal(await trainAnotherVersion(b.registryDir, MODEL), 3);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(b.registry, MODEL, clock);
  clock.onSleep = () => fleet.serve(1);
  const rolling = new RetrainingController({ registry: b.registry, policy: policy(b, { leadership: { leaseSeconds: 1.5 } }), clock });
  assert.equal(await writes(() => rolling.rollOut(2)), true, "no renewal after rollOut() returned");
  assert.equal(await writes(() => rolling.gateAndRollOut(3)), true, "no renewal after gateAndRollOut() returned");
});
