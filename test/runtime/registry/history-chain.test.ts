import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ModelRegistry, appendEvent, canonicalJson, eventHash, listEvents, verifyHistory } from "../../../runtime/src/registry/index.ts";
import { registryLayout as keys } from "../../../runtime/src/registry/registry-layout.ts";
import { runMlops } from "../../helpers/run-cli.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function registryWithHistory(events = 5): Promise<{ dir: string; registry: ModelRegistry }> {
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-chain-"));
  dirs.push(dir);
  const registry = ModelRegistry.open(dir);
  for (let i = 1; i <= events; i++) await appendEvent(registry, "m", { type: "alias-moved", version: 1, actor: "cli", reason: `move ${i}`, details: { alias: "champion", i } });
  return { dir, registry };
}

const rewrite = async (registry: ModelRegistry, seq: number, change: (e: Record<string, unknown>) => Record<string, unknown>) => {
  const key = keys.event("m", seq);
  const event = JSON.parse((await registry.storage.get(key))!.data.toString("utf8")) as Record<string, unknown>;
  await registry.storage.put(key, `${JSON.stringify(change(event))}\n`);
};

test("canonical JSON sorts keys at every level and ignores undefined members", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined }, s: "x" }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1,"s":"x"}');
});

test("every appended event links to the one before it and an untouched history verifies", async () => {
  const { registry } = await registryWithHistory(4);
  const events = await listEvents(registry, "m");
  assert.equal(events[0]!.prevHash, null);
  for (let i = 1; i < events.length; i++) assert.equal(events[i]!.prevHash, events[i - 1]!.hash);
  for (const e of events) assert.equal(eventHash(e as unknown as Record<string, unknown>), e.hash);
  const r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken, undefined);
  assert.deepEqual([r.chained, r.chainStart, r.chainEnd, r.head], [4, 1, 4, events[3]!.hash]);
});

test("a changed event is named as the first broken seq, even with its hash left as it was", async () => {
  const { registry } = await registryWithHistory(5);
  await rewrite(registry, 3, (e) => ({ ...e, reason: "nothing to see here" }));
  const r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken?.seq, 3);
  assert.match(r.firstBroken!.message, /seq 3 \(alias-moved\) was changed after it was written/);
});

test("a changed event whose hash was recomputed breaks the link from the next event", async () => {
  const { registry } = await registryWithHistory(5);
  await rewrite(registry, 2, (e) => {
    const changed = { ...e, reason: "forged" };
    return { ...changed, hash: eventHash(changed) };
  });
  const r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken?.seq, 3);
  assert.match(r.firstBroken!.message, /seq 3 \(alias-moved\) does not link to seq 2/);
});

test("a deleted event and a stripped hash are broken; the CLI exits 1 naming the first broken seq", async () => {
  const { dir, registry } = await registryWithHistory(6);
  await registry.storage.delete(keys.event("m", 4));
  await rewrite(registry, 5, ({ hash: _h, prevHash: _p, ...rest }) => rest);
  const r = await verifyHistory(registry, "m");
  assert.deepEqual(r.findings.filter((f) => f.kind === "broken").map((f) => f.seq), [4, 5, 6]);
  assert.match(r.findings[0]!.message, /seq 4 is missing: the event was deleted/);
  assert.match(r.findings[1]!.message, /seq 5 has no hash, but the chain started at seq 1/);
  const run = await runMlops(["models", "history", "m", "--verify", "--registry", dir]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /fails its hash chain at seq 4: seq 4 is missing.*\[MLOPS_ERR_REGISTRY_HISTORY_BROKEN\]/);
  assert.match(run.stdout, /BROKEN  seq 4 is missing/);
});

test("events written before the chain are unchained legacy, not failures, and the chain anchors on the last of them", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-chain-"));
  dirs.push(dir);
  const registry = ModelRegistry.open(dir);
  for (let seq = 1; seq <= 2; seq++) {
    const legacy = { seq, time: new Date(0).toISOString(), model: "m", type: "registered", version: 1, actor: "train", reason: `old ${seq}`, details: {} };
    await registry.storage.put(keys.event("m", seq), `${JSON.stringify(legacy)}\n`, { ifNoneMatch: "*" });
  }
  await appendEvent(registry, "m", { type: "alias-moved", version: 1, actor: "cli", reason: "new", details: {} });
  let r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken, undefined);
  assert.deepEqual(r.findings.map((f) => [f.seq, f.kind]), [[1, "legacy"], [2, "legacy"]]);
  assert.equal(r.chainStart, 3);
  const run = await runMlops(["models", "history", "m", "--verify", "--registry", dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /3 events; 1 chained \(seq 3-3\); 2 unchained legacy \(seq 1-2/);
  // Rewriting the legacy event the chain anchors on is caught by the first chained event.
  await rewrite(registry, 2, (e) => ({ ...e, reason: "rewritten" }));
  r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken?.seq, 3);
});

test("concurrent writers never fork the chain: every event links to the one stored before it", async () => {
  const { registry } = await registryWithHistory(1);
  // Separate registry objects on the same directory race like separate processes.
  const writers = Array.from({ length: 4 }, () => ModelRegistry.open(registry.storage.url));
  await Promise.all(writers.flatMap((w, i) => Array.from({ length: 10 }, (_, j) => appendEvent(w, "m", { type: "canary-step", version: 1, actor: `w${i}`, reason: `${i}.${j}`, details: {} }))));
  const events = await listEvents(registry, "m");
  assert.equal(events.length, 41);
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 41 }, (_, i) => i + 1));
  const r = await verifyHistory(registry, "m");
  assert.equal(r.firstBroken, undefined, r.firstBroken?.message);
  assert.equal(r.chained, 41);
});
