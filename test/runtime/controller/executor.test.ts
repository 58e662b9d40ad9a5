import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { LocalProcessExecutor } from "../../../runtime/src/controller/local-process-executor.ts";
import type { TrainingJob } from "../../../runtime/src/controller/training-executor.ts";
import { listEvents, readRollout } from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { MODEL, type Sandbox, fixture, policy, sandbox } from "./setup.ts";

let dir: string;
const boxes: Sandbox[] = [];
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-executor-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true })));
});

const job = (overrides: Partial<TrainingJob> = {}): TrainingJob => ({
  model: "churn",
  dataPath: path.join(dir, "train.csv"),
  configPath: path.join(dir, "model-config.json"),
  registry: path.join(dir, "registry"),
  parent: 1,
  workDir: dir,
  timeoutSeconds: 30,
  ...overrides,
});
const fake = (mode: string, extra: Record<string, string> = {}) => new LocalProcessExecutor({ bin: fixture("fake-train.ts"), env: { FAKE_TRAIN: mode, ...extra }, killGraceMs: 200 });
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidsIn = async (file: string): Promise<number[]> => [...(await readFile(file, "utf8")).matchAll(/^pid (\d+)$/gm)].map((m) => Number(m[1]));

test("a successful run reports the version `mlops train` registered", async () => {
  assert.deepEqual(await fake("ok", { FAKE_VERSION: "12" }).run(job(), new AbortController().signal), { version: 12, logTail: "registered churn version 12\n  task      regression on y; backend wasm" });
});

test("a non-zero exit fails with the output's tail, naming the error", async () => {
  await assert.rejects(fake("fail").run(job(), new AbortController().signal), (err: Error & { code: string; params: { reason: string; logTail: string } }) => {
    assert.equal(err.code, "MLOPS_ERR_CONTROLLER_TRAINING_FAILED");
    assert.equal(err.params.reason, "exited with code 3");
    assert.match(err.message, /^training run for model "churn" failed: exited with code 3; last output:\n.*MLOPS_ERR_DATA_TOO_SMALL/s);
    return true;
  });
});

test("a run past its timeout gets SIGTERM, then SIGKILL when it ignores it, and fails", async () => {
  // Long enough for the child to start and install its SIGTERM handler even on a loaded machine.
  await assert.rejects(fake("hang").run(job({ timeoutSeconds: 3 }), new AbortController().signal), (err: Error & { code: string; params: { reason: string; logTail: string } }) => {
    assert.equal(err.code, "MLOPS_ERR_CONTROLLER_TRAINING_FAILED");
    assert.equal(err.params.reason, "timed out after 3 s and was killed (SIGKILL)");
    assert.match(err.params.logTail, /ignoring SIGTERM/);
    return true;
  });
  const [pid] = await pidsIn(path.join(dir, "train.log"));
  assert.ok(pid !== undefined && !alive(pid), `pid ${pid} is gone`);
});

test("aborting stops the run and rejects with the abort reason", async () => {
  const stop = new AbortController();
  const running = fake("hang").run(job({ workDir: await mkdtemp(path.join(dir, "abort-")) }), stop.signal);
  await sleep(300);
  stop.abort(new Error("shutting down"));
  await assert.rejects(running, /shutting down/);
});

async function hangingSetup() {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const clock = new FakeClock();
  const fleet = new SimulatedFleet(box.registry, MODEL, clock);
  fleet.behaviour.set(1, { drifted: ["x1", "x2"] });
  await writeDriftedFeedback(box.registry, MODEL, 1, 200, clock);
  await fleet.serve(1);
  const p = policy(box, { trigger: { persistChecks: 1 }, executor: { timeoutSeconds: 1.5, retries: 2, backoffSeconds: 10 } });
  const controller = new RetrainingController({ registry: box.registry, policy: p, executor: fake("hang"), clock, workDir: box.workDir });
  return { box, clock, controller };
}

test("a training run that hangs is killed, retried with doubling backoff, then recorded as failed; serving is untouched", async () => {
  const { box, clock, controller } = await hangingSetup();
  const before = await box.registry.listVersions(MODEL);
  assert.equal((await controller.runOnce()).outcome, "retrain-failed");
  assert.deepEqual(clock.sleeps, [10_000, 20_000]);
  const events = (await listEvents(box.registry, MODEL)).filter((e) => e.actor === "controller");
  assert.deepEqual(events.map((e) => e.type), ["drift-detected", "retrain-started", "retrain-failed", "retrain-started", "retrain-failed", "retrain-started", "retrain-failed"]);
  const failures = events.filter((e) => e.type === "retrain-failed");
  assert.deepEqual(failures.map((e) => [e.details?.attempt, e.details?.willRetry, e.details?.backoffSeconds]), [[1, true, 10], [2, true, 20], [3, false, null]]);
  assert.match(failures[0]!.reason, /^training attempt 1\/3 failed: timed out after 1\.5 s and was killed \(SIGKILL\); retrying in 10 s$/);
  assert.match(failures[2]!.reason, /giving up until the next trigger$/);
  assert.deepEqual(await box.registry.listVersions(MODEL), before);
  assert.deepEqual(await box.registry.getAliases(MODEL), { champion: 1 });
  assert.equal((await readRollout(box.registry, MODEL)).rollout.mode, "none");
  const logDir = String(events[1]!.details?.workDir);
  // Each attempt prints its pid once Node has started; on a loaded machine a start-up can take
  // longer than the timeout, so not every killed attempt gets to print one.
  const pids = await pidsIn(path.join(logDir, "train.log"));
  assert.ok(pids.length >= 1 && pids.length <= 3, `pids ${pids}`);
  for (const pid of pids) assert.ok(!alive(pid), `training process ${pid} was killed`);
});

test("stopping the controller mid-training kills the run and records why", async () => {
  const { box, controller } = await hangingSetup();
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  while (!(await listEvents(box.registry, MODEL)).some((e) => e.type === "retrain-started")) await sleep(20);
  await sleep(100);
  stop.abort(new Error("received SIGTERM"));
  await running;
  const last = (await listEvents(box.registry, MODEL)).at(-1)!;
  assert.equal(last.type, "retrain-failed");
  assert.match(last.reason, /stopped: the controller is shutting down/);
  // A restarted controller finds nothing half-done to record.
  const pass = await new RetrainingController({ registry: box.registry, policy: policy(box), executor: fake("hang"), clock: new FakeClock(), workDir: box.workDir }).start();
  assert.deepEqual(pass, []);
});
