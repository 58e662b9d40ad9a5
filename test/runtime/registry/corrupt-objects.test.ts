// Issue 17 items 2-4: one corrupt object of each kind the registry holds, and what survives it.
// Nothing stops the rest: a reader skips it and says which key and why, the controller sets it
// aside under quarantine/ and keeps going, the CLI reports it.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, describe, test } from "node:test";
import { RetrainingController } from "../../../runtime/src/controller/controller.ts";
import { LocalProcessExecutor } from "../../../runtime/src/controller/local-process-executor.ts";
import { readTriggerState } from "../../../runtime/src/controller/trigger-state.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import {
  collectGarbage,
  LeaderLease,
  listEvents,
  ModelRegistry,
  readFeedback,
  readMonitorSnapshots,
  readRollout,
  writeFeedback,
} from "../../../runtime/src/registry/index.ts";
import { FakeClock, SimulatedFleet, writeDriftedFeedback } from "../../fixtures/controller/simulated-fleet.ts";
import { runMlops } from "../../helpers/run-cli.ts";
import { MODEL, type Sandbox, policy, sandbox } from "../controller/setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));
const box = async (trained = false) => {
  const b = await sandbox({ trained });
  boxes.push(b);
  return b;
};
const file = (b: Sandbox, key: string) => path.join(b.registryDir, ...key.split("/"));
const isCorrupt = (key: string) => (err: MlopsError) => {
  assert.equal(err.code, "MLOPS_ERR_REGISTRY_CORRUPT");
  assert.match(err.message, new RegExp(`registry object ${key.replace(/[.]/g, "\\.")} is corrupt`));
  return true;
};

describe("every registry object kind, corrupt", () => {
  test("versions/<n>/version.json: the version is skipped and reported, the others stay readable, numbers go on", async () => {
    const b = await box(true);
    const reported: string[] = [];
    const registry = ModelRegistry.open(b.registryDir, { onCorrupt: (e) => reported.push(e.message) });
    const v2 = await registry.createVersion(MODEL, { files: { "model.json": Buffer.from("{}") }, parent: 1, dataset: (await registry.getVersion(MODEL, 1)).dataset, backend: "wasm", config: {}, metrics: {} });
    const key = `models/${MODEL}/versions/${v2.version}/version.json`;
    await writeFile(file(b, key), '{"model": "tiny-regression", "version": "two"}');
    assert.deepEqual((await registry.listVersions(MODEL)).map((v) => v.version), [1]);
    assert.match(reported.join("\n"), /versions\/2\/version\.json is corrupt: version: Invalid input/);
    await assert.rejects(registry.getVersion(MODEL, v2.version), isCorrupt(key));
    const [problem, ...more] = await registry.verifyVersion(MODEL, v2.version);
    assert.deepEqual(more, []);
    assert.match(problem!, new RegExp(`^registry object ${key} is corrupt: version: Invalid input: expected number, received string; createdAt: `));
    const v3 = await registry.createVersion(MODEL, { files: { "model.json": Buffer.from("{}") }, dataset: v2.dataset, backend: "wasm", config: {}, metrics: {} });
    assert.equal(v3.version, 3);
  });

  for (const artifact of ["model.json", "weights.bin", "preprocessor.json", "reference-profile.json"]) {
    test(`versions/<n>/${artifact}: reading it fails naming the key, and verifyVersion (models list/show) finds it`, async () => {
      const b = await box(true);
      const key = `models/${MODEL}/versions/1/${artifact}`;
      const bytes = await readFile(file(b, key));
      await writeFile(file(b, key), Buffer.concat([bytes, Buffer.from(" ")]));
      await assert.rejects(b.registry.readFile(MODEL, 1, artifact), isCorrupt(key));
      const problems = await b.registry.verifyVersion(MODEL, 1);
      assert.deepEqual(problems, [`registry object ${key} is corrupt: it has ${bytes.length + 1} bytes, version.json says ${bytes.length}`]);
    });
  }

  test("claims/<n>: a garbage claim never blocks a new version, and gc keeps the half-written version it dates", async () => {
    const b = await box();
    await b.registry.storage.put(`models/${MODEL}/claims/2`, Buffer.from([0xff, 0x00, 0x13]));
    await b.registry.storage.put(`models/${MODEL}/versions/2/model.json`, "{}");
    const v = await b.registry.createVersion(MODEL, { files: { "model.json": Buffer.from("{}") }, dataset: (await b.registry.getVersion(MODEL, 1)).dataset, backend: "wasm", config: {}, metrics: {} });
    assert.equal(v.version, 3);
    const gc = await collectGarbage(b.registry, { olderThanMs: 0 });
    assert.deepEqual(gc.kept, [{ model: MODEL, version: 2, why: "its claim tells no age" }]);
    assert.deepEqual(gc.orphanVersions, []);
  });

  test("aliases.json: reads fail naming it; the controller refuses to act on it; an alias move repairs it, keeping the bytes", async () => {
    const b = await box();
    const key = `models/${MODEL}/aliases.json`;
    await writeFile(file(b, key), '{"aliases": {"champion": "one"}}');
    await assert.rejects(b.registry.readAliases(MODEL), isCorrupt(key));
    await assert.rejects(new RetrainingController({ registry: b.registry, policy: policy(b), clock: new FakeClock() }).start(), isCorrupt(key));
    const { replacedCorrupt } = await b.registry.setAlias(MODEL, "champion", 1, { replaceCorrupt: { actor: "test" } });
    assert.ok(replacedCorrupt);
    assert.equal(await readFile(file(b, replacedCorrupt.copy), "utf8"), '{"aliases": {"champion": "one"}}');
    const record = JSON.parse(await readFile(file(b, `${replacedCorrupt.copy}.reason.json`), "utf8"));
    assert.deepEqual([record.key, record.actor], [key, "test"]);
    assert.match(record.reason, /aliases\.champion: Invalid input: expected number, received string/);
    assert.deepEqual(await b.registry.getAliases(MODEL), { champion: 1 });
    // Without the repair flag a corrupt table is never silently overwritten.
    await writeFile(file(b, key), "{");
    await assert.rejects(b.registry.setAlias(MODEL, "challenger", 1), isCorrupt(key));
  });

  test("rollout.json: the controller sets it aside and resets traffic to the champion alone, and says so", async () => {
    const b = await box();
    const key = `models/${MODEL}/rollout.json`;
    await writeFile(file(b, key), '{"mode": "canary", "challenger": 2, "weight": "half"}');
    const actions = await new RetrainingController({ registry: b.registry, policy: policy(b), clock: new FakeClock() }).start();
    assert.match(actions[0]!, /^rollout\.json was unreadable \(weight: Invalid input: expected number, received string; updatedAt: .*\); set aside as models\/tiny-regression\/quarantine\/rollout\.json\.\d{8}T\d{9}Z and reset to all traffic on the champion, version 1$/);
    assert.equal((await readRollout(b.registry, MODEL)).rollout.mode, "none");
    const event = (await listEvents(b.registry, MODEL)).at(-1)!;
    assert.equal(event.type, "quarantined");
  });

  test("events/<seq>.json: history readers skip it and say so; the controller sets it aside and keeps going", async () => {
    const b = await box();
    const events = await b.registry.storage.list(`models/${MODEL}/events/`);
    const key = events[0]!;
    await writeFile(file(b, key), "{ torn");
    const skipped: string[] = [];
    assert.equal((await listEvents(b.registry, MODEL, { onSkip: (p) => skipped.push(`${p.key}: ${p.reason}`) })).length, events.length - 1);
    assert.match(skipped[0]!, new RegExp(`^${key}: not valid JSON`));
    const history = await runMlops(["models", "history", MODEL, "--registry", b.registryDir]);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stderr, new RegExp(`skipped unreadable history event ${key}: not valid JSON`));
    assert.match(history.stdout, /alias-moved/);
    const actions = await new RetrainingController({ registry: b.registry, policy: policy(b), clock: new FakeClock() }).start();
    assert.match(actions.join("\n"), new RegExp(`1 unreadable history event set aside: ${key} \\(not valid JSON`));
    assert.equal(await b.registry.storage.get(key), undefined, "removed from the history");
    assert.equal((await b.registry.storage.list(`models/${MODEL}/quarantine/events/`)).length, 2, "its bytes and why");
    const clean = await runMlops(["models", "history", MODEL, "--registry", b.registryDir]);
    assert.equal(clean.stderr, "");
  });

  test("feedback/*.jsonl: an unreadable line is skipped, the rest read", async () => {
    const b = await box();
    const clock = new FakeClock();
    await writeDriftedFeedback(b.registry, MODEL, 1, 100, clock);
    const [first] = await b.registry.storage.list(`models/${MODEL}/feedback/`);
    const text = await readFile(file(b, first!), "utf8");
    await writeFile(file(b, first!), text.replace(/\n/, '\n{"id": "half a line\n'));
    const skipped: string[] = [];
    const rows = await readFeedback(b.registry, MODEL, undefined, { onSkip: (p) => skipped.push(`${p.key}:${p.line} ${p.reason}`) });
    assert.equal(rows.length, 100);
    assert.match(skipped[0]!, new RegExp(`^${first}:2 not valid JSON`));
  });

  test("monitor/<n>/<server>.json: a corrupt snapshot is advisory and skipped", async () => {
    const b = await box();
    const fleet = new SimulatedFleet(b.registry, MODEL, new FakeClock());
    await fleet.serve(1);
    const [snap] = await b.registry.storage.list(`models/${MODEL}/monitor/1/`);
    await writeFile(file(b, snap!), "nope");
    assert.equal((await readMonitorSnapshots(b.registry, MODEL, 1)).length, 1, "the other instance's snapshot");
  });

  test("controller/trigger.json: a corrupt count starts again from 0", async () => {
    const b = await box();
    await b.registry.storage.put(`models/${MODEL}/controller/trigger.json`, "{");
    assert.deepEqual((await readTriggerState(b.registry, MODEL, 1)).consecutive, 0);
  });

  test("controller/lease.json: a corrupt lease is taken over at once", async () => {
    const b = await box();
    await b.registry.storage.put(`models/${MODEL}/controller/lease.json`, "[]");
    const r = await new LeaderLease(b.registry, MODEL, { leaseMs: 15_000, autoRenew: false }).tryAcquire();
    assert.deepEqual([r.acquired, r.acquired && r.how], [true, "unreadable"]);
  });
});

describe("poison feedback in the store", () => {
  test("a {$gt: 1} feature, a 1e308 label, a text label and a torn line are set aside; the retrain trains on the rest", async () => {
    const b = await box(true);
    const clock = new FakeClock();
    const fleet = new SimulatedFleet(b.registry, MODEL, clock);
    fleet.behaviour.set(1, { drifted: ["x1", "x2"] });
    const good = await writeDriftedFeedback(b.registry, MODEL, 1, 300, clock);
    const row = good[0]!;
    const poisonKey = await writeFeedback(b.registry, MODEL, [
      { ...row, id: "poison-gt", features: { ...row.features, x1: { $gt: 1 } as never } },
      { ...row, id: "poison-huge", label: 1e308 },
      { ...row, id: "fine-1" },
      { ...row, id: "poison-text", label: "fast" },
    ], "old-server", clock.now());
    await writeFile(file(b, poisonKey!), `${await readFile(file(b, poisonKey!), "utf8")}{"id": "torn\n`);
    await fleet.serve(1);
    const controller = new RetrainingController({
      registry: b.registry,
      policy: policy(b, { trigger: { persistChecks: 1 }, gate: { minHoldoutRows: 50 } }),
      executor: new LocalProcessExecutor({ env: { MLOPS_BACKEND: "wasm" } }),
      clock,
      workDir: b.workDir,
    });
    const pass = await controller.runOnce();
    assert.notEqual(pass.outcome, "retrain-failed");
    const events = (await listEvents(b.registry, MODEL)).filter((e) => e.actor === "controller");
    assert.ok(events.some((e) => e.type === "retrain-finished"), events.map((e) => `${e.type}: ${e.reason}`).join("\n"));
    const quarantined = events.find((e) => e.type === "quarantined")!;
    assert.equal(quarantined.details?.lines, 4);
    const reasons = (quarantined.details?.reasons as string[]).join("\n");
    assert.match(reasons, /line 1: not a feedback row: features\.x1: Invalid input/);
    assert.match(reasons, /poison row \(poison-huge#0\): label 1e\+308 is .* training standard deviations/);
    assert.match(reasons, /poison row \(poison-text#0\): label must be a finite number for a regression model, got "fast"/);
    assert.match(reasons, /line 5: not valid JSON/);
    // The object keeps its good line; the bad ones are in the quarantine, with why.
    const left = (await readFeedback(b.registry, MODEL)).filter((r) => r.id.startsWith("poison") || r.id === "fine-1");
    assert.deepEqual(left.map((r) => r.id), ["fine-1"]);
    const copies = await b.registry.storage.list(`models/${MODEL}/quarantine/feedback/`);
    assert.equal(copies.length, 2);
    // The next pass finds nothing more to set aside.
    await controller.runOnce();
    assert.equal((await listEvents(b.registry, MODEL)).filter((e) => e.type === "quarantined").length, 1);
  });
});
