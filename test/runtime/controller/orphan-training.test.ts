// Issue 17 item 7: kill -9 of the controller takes its `mlops train` child with it, and a version a
// training attempt registered that the controller never took up is recorded, never silently left.
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { loadPolicy } from "../../../runtime/src/controller/policy.ts";
import { appendEvent, listEvents, ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { isAlive, startMlops } from "../../helpers/mlops-process.ts";
import { MODEL, type Sandbox, policy, sandbox, writePolicy } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));

/** Pids of the direct children of `pid`, from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const cmdline = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").join(" ");

test("kill -9 of the controller at random moments of training never leaves `mlops train` running (5 runs)", { skip: process.platform !== "linux" ? "reads /proc" : false }, async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  // A champion whose config trains for long enough (thousands of epochs) to be killed mid-run.
  const registry = ModelRegistry.open(box.registryDir);
  const champion = await registry.getVersion(MODEL, 1);
  const config = champion.config as { network: Record<string, unknown> };
  const v = await registry.createVersion(MODEL, {
    files: { "model.json": Buffer.from("{}"), "weights.bin": Buffer.alloc(0), "preprocessor.json": Buffer.from("{}") },
    dataset: champion.dataset,
    backend: "wasm",
    config: { ...config, network: { ...config.network, epochs: 10_000, patience: 0 } },
    metrics: champion.metrics,
  });
  await registry.setAlias(MODEL, "champion", v.version);
  const clock = new FakeClock(new Date().toISOString());
  const fleet = new SimulatedFleet(registry, MODEL, clock);
  fleet.behaviour.set(v.version, { drifted: ["x1", "x2"] });
  await writeDriftedFeedback(registry, MODEL, v.version, 200, clock);
  const file = await writePolicy(box, {
    model: MODEL,
    intervalSeconds: 0.3,
    cooldownSeconds: 0,
    trigger: { persistChecks: 1 },
    training: { referenceData: box.reference, recentRows: 300, holdoutRows: 100 },
    gate: { minHoldoutRows: 50 },
    executor: { timeoutSeconds: 600, retries: 0 },
    leadership: { leaseSeconds: 2 },
  });
  const survivors: string[] = [];
  const runs = 5;
  for (let run = 0; run < runs; run++) {
    // New snapshots, so each run's trigger check counts.
    clock.advance(10_000);
    await fleet.serve(v.version);
    const controller = startMlops(["controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir, "--once"], { env: { MLOPS_BACKEND: "wasm" } });
    const pid = controller.child.pid!;
    let train: number | undefined;
    const end = Date.now() + 60_000;
    while (train === undefined && Date.now() < end && controller.child.exitCode === null) {
      for (const c of await childrenOf(pid)) if ((await cmdline(c)).includes(" train ")) train = c;
      await sleep(50);
    }
    assert.ok(train !== undefined, `run ${run}: the controller started no training child:\n${(await listEvents(registry, MODEL)).map((e) => `${e.type} ${e.reason}`).join("\n")}\n${controller.stdout()}\n${controller.stderr().slice(-2000)}`);
    await sleep(200 + Math.random() * 1500); // anywhere from start-up to mid-epochs
    controller.child.kill("SIGKILL");
    await controller.exited;
    // The child notices at once (its pipe to the parent closes); allow a loaded machine a few seconds.
    const deadline = Date.now() + 10_000;
    while (isAlive(train) && Date.now() < deadline) await sleep(50);
    if (isAlive(train)) {
      survivors.push(`run ${run}: pid ${train}`);
      process.kill(train, "SIGKILL");
    }
  }
  assert.deepEqual(survivors, [], `training children outlived their killed controller in ${survivors.length} of ${runs} runs`);
  const versions = await registry.listVersions(MODEL);
  assert.deepEqual(versions.map((x) => x.version), [1, 2], "no killed attempt registered a version");
  // What the last killed controller left is recorded by the next one.
  const actions = await new RetrainingController({ registry, policy: await loadPolicy(file), clock: new FakeClock() }).start();
  assert.deepEqual(actions, ["recorded the unfinished training attempt as failed"]);
});

test("a version registered by an attempt the controller abandoned is recorded as ignored, once", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const registry = box.registry;
  await appendEvent(registry, MODEL, { type: "retrain-started", version: 1, champion: 1, actor: "controller", reason: "training attempt 1/1", details: { attempt: 1 } });
  // The orphaned `mlops train` finished after its controller died: a complete version 2 of parent 1.
  const v1 = await registry.getVersion(MODEL, 1);
  const v2 = await registry.createVersion(MODEL, { files: { "model.json": Buffer.from("{}") }, parent: 1, dataset: v1.dataset, backend: "wasm", config: v1.config, metrics: v1.metrics });
  await appendEvent(registry, MODEL, { type: "registered", version: v2.version, champion: 1, actor: "train", reason: "trained", details: { parent: 1 } });
  const actions = await new RetrainingController({ registry, policy: policy(box), clock: new FakeClock() }).start();
  assert.deepEqual(actions, [`recorded version ${v2.version}, registered by an abandoned training attempt, as ignored`, "recorded the unfinished training attempt as failed"]);
  const abandoned = (await listEvents(registry, MODEL)).filter((e) => e.type === "retrain-abandoned");
  assert.equal(abandoned.length, 1);
  assert.equal(abandoned[0]!.version, v2.version);
  assert.match(abandoned[0]!.reason, /was registered by a training attempt the controller abandoned .*; it was never gated and is ignored/);
  // Also when the attempt's failure was recorded before the version landed (an orphan that outlived its parent).
  const again = await new RetrainingController({ registry, policy: policy(box), clock: new FakeClock() }).start();
  assert.deepEqual(again, [], "recorded once");
  const v3 = await registry.createVersion(MODEL, { files: { "model.json": Buffer.from("{}") }, parent: 1, dataset: v1.dataset, backend: "wasm", config: v1.config, metrics: v1.metrics });
  const late = await new RetrainingController({ registry, policy: policy(box), clock: new FakeClock() }).start();
  assert.deepEqual(late, [`recorded version ${v3.version}, registered by an abandoned training attempt, as ignored`]);
  assert.deepEqual(await registry.getAliases(MODEL), { champion: 1 }, "never promoted");
});
