import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ModelRegistry, readFeedback, readMonitorSnapshots, writeRollout } from "../../../runtime/src/registry/index.ts";
import type { ModelServer } from "../../../runtime/src/serve/server.ts";
import { type TinyServer, startTinyServer, waitFor } from "../../helpers/tiny-server.ts";
import { tinyRows, tinyTargets, trainAnotherVersion } from "../../helpers/tiny-models.ts";

let dir: string;
let registry: ModelRegistry;
let server: ModelServer;
let base: string;
let names: { binary: string; multiclass: string; regression: string };

async function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}${url}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}
const metricsText = async () => (await fetch(`${base}/metrics`)).text();

let tiny: TinyServer;
before(async () => {
  // The monitor ticks only when the test asks (monitor.tick()), so every assertion sees a known state.
  tiny = await startTinyServer("mlops-monitor-", { pollIntervalMs: 50, monitorIntervalMs: 3_600_000, minDriftRows: 50 });
  ({ dir, registry, server, base, names } = tiny);
});
after(() => tiny?.stop());

describe("prediction ids and feedback", () => {
  test("every prediction carries an id; labels sent back for it feed live quality and become stored training rows", async () => {
    const rows = tinyRows(40, 21);
    const r = await post(`/v1/models/${names.binary}:predict`, { instances: rows });
    assert.equal(r.status, 200);
    assert.match(r.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get("x-mlops-prediction-id"), r.body.id);
    const feedback = rows.map((row, index) => ({ id: r.body.id, index, label: tinyTargets(row).label }));
    const f = await post(`/v1/models/${names.binary}/feedback`, { feedback });
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, { accepted: 40, unknown: [] });
    await server.monitor.tick();
    const stored = await readFeedback(registry, names.binary);
    assert.equal(stored.length, 40);
    assert.deepEqual(stored[3]!.features, { x1: rows[3]!.x1, x2: rows[3]!.x2, color: rows[3]!.color });
    assert.equal(stored[3]!.label, tinyTargets(rows[3]!).label);
    assert.equal(stored[3]!.version, 1);
    assert.equal(stored[3]!.prediction.length, 1);
    const text = await metricsText();
    const accuracy = Number(/mlops_live_quality\{model="tiny-binary",version="1",metric="accuracy"\} ([\d.]+)/.exec(text)?.[1]);
    assert.ok(accuracy > 0.8, `live accuracy ${accuracy}`);
    assert.match(text, /mlops_feedback_total\{model="tiny-binary",version="1"\} 40/);
    const [snapshot] = await readMonitorSnapshots(registry, names.binary, 1);
    assert.equal(snapshot!.quality!.metric, "accuracy");
    assert.equal(snapshot!.quality!.labelled, 40);
  });

  test("OIP infer uses the request id as the prediction id", async () => {
    const rows = tinyRows(2, 22);
    const r = await post(`/v2/models/${names.regression}/infer`, {
      id: "order-17",
      inputs: [
        { name: "x1", shape: [2], datatype: "FP32", data: rows.map((x) => x.x1) },
        { name: "x2", shape: [2], datatype: "FP32", data: rows.map((x) => x.x2) },
        { name: "color", shape: [2], datatype: "BYTES", data: rows.map((x) => x.color) },
      ],
    });
    assert.equal(r.body.id, "order-17");
    const f = await post(`/v1/models/${names.regression}/feedback`, { feedback: [{ id: "order-17", index: 1, label: tinyTargets(rows[1]!).y }] });
    assert.deepEqual(f.body, { accepted: 1, unknown: [] });
  });

  test("unknown ids are reported back; with features they are still kept as training rows", async () => {
    const f = await post(`/v1/models/${names.regression}/feedback`, {
      feedback: [
        { id: "never-seen", index: 0, label: 3.5 },
        { id: "offline-1", label: 12.5, features: { x1: 1, x2: 0, color: "red" } },
      ],
    });
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, { accepted: 1, unknown: [{ id: "never-seen", index: 0 }] });
  });

  test("rejects malformed feedback with 400 naming the item, and changes nothing", async () => {
    const r = await post(`/v1/models/${names.binary}:predict`, { instances: tinyRows(1, 23) });
    const cases: [unknown, RegExp][] = [
      [{}, /"feedback": a non-empty list/],
      [{ feedback: [] }, /"feedback": a non-empty list/],
      [{ feedback: [{ index: 0, label: "yes" }] }, /feedback\[0\]\.id must be the prediction id/],
      [{ feedback: [{ id: r.body.id, index: -1, label: "yes" }] }, /feedback\[0\]\.index must be a non-negative integer/],
      [{ feedback: [{ id: r.body.id, label: null }] }, /feedback\[0\]\.label must be the true value/],
      [{ feedback: [{ id: r.body.id, label: "yes" }, { id: r.body.id, label: "maybe" }] }, /feedback\[1\]\.label "maybe" is not one of the model's classes \(no, yes\)/],
    ];
    const before = (await metricsText()).match(/mlops_feedback_total\{model="tiny-binary",version="1"\} (\d+)/)?.[1];
    for (const [body, message] of cases) {
      const f = await post(`/v1/models/${names.binary}/feedback`, body);
      assert.equal(f.status, 400, JSON.stringify(body));
      assert.match(f.body.error, message);
    }
    const reg = await post(`/v1/models/${names.regression}/feedback`, { feedback: [{ id: "x", label: "tall", features: { x1: 1, x2: 1, color: "red" } }] });
    assert.equal(reg.status, 400);
    assert.match(reg.body.error, /must be a finite number for a regression model/);
    const after = (await metricsText()).match(/mlops_feedback_total\{model="tiny-binary",version="1"\} (\d+)/)?.[1];
    assert.equal(after, before, "a rejected request stores no row");
  });
});

describe("drift in the served window", () => {
  test("traffic like the training data shows no drift; shifted traffic does, per feature and for the dataset", async () => {
    for (let i = 0; i < 3; i++) await post(`/v1/models/${names.multiclass}:predict`, { instances: tinyRows(40, 100 + i) });
    await server.monitor.tick();
    let text = await metricsText();
    assert.match(text, /mlops_dataset_drift\{model="tiny-multiclass",version="1"\} 0/);
    assert.match(text, /mlops_feature_drift\{model="tiny-multiclass",version="1",feature="x1",test="ks"\} 0\.\d+/);
    // Move x1 up by 3 and make every row blue: a window of 5000 fills with shifted rows.
    const shifted = tinyRows(400, 7).map((r) => ({ ...r, x1: r.x1 + 3, color: "blue" }));
    for (let i = 0; i < 400; i += 100) await post(`/v1/models/${names.multiclass}:predict`, { instances: shifted.slice(i, i + 100) });
    await server.monitor.tick();
    text = await metricsText();
    assert.match(text, /mlops_dataset_drift\{model="tiny-multiclass",version="1"\} 1/);
    const [snapshot] = await readMonitorSnapshots(registry, names.multiclass, 1);
    assert.equal(snapshot!.drift!.detected, true);
    const byName = Object.fromEntries(snapshot!.drift!.features.map((f) => [f.name, f]));
    assert.equal(byName.x1!.drifted, true);
    assert.equal(byName.x2!.drifted, false);
    assert.equal(snapshot!.window.rows, 520);
    assert.equal(snapshot!.traffic.requests, 7);
    assert.equal(snapshot!.traffic.rows, 520);
  });
});

describe("rollouts", () => {
  test("a canary rollout sends its weight of unlabelled traffic to the challenger; labelled routes are unaffected", async () => {
    const v2 = await trainAnotherVersion(path.join(dir, "registry"), names.regression);
    await writeRollout(registry, names.regression, { mode: "canary", challenger: v2, weight: 0.3, reason: "test" });
    await waitFor(async () => (await metricsText()).includes(`mlops_traffic_weight{model="tiny-regression",version="${v2}",mode="canary"} 0.3`));
    const answers = await Promise.all(Array.from({ length: 200 }, () => post(`/v1/models/${names.regression}:predict`, { instances: tinyRows(1, 5) })));
    const byChallenger = answers.filter((a) => a.headers.get("x-mlops-model-version") === String(v2)).length;
    assert.ok(byChallenger > 30 && byChallenger < 95, `${byChallenger} of 200 went to the challenger`);
    const pinned = await post(`/v1/models/${names.regression}/versions/1:predict`, { instances: tinyRows(1, 5) });
    assert.equal(pinned.headers.get("x-mlops-model-version"), "1");
    await writeRollout(registry, names.regression, { mode: "canary", challenger: v2, weight: 1, reason: "test" });
    await waitFor(async () => (await post(`/v1/models/${names.regression}:predict`, { instances: tinyRows(1, 5) })).headers.get("x-mlops-model-version") === String(v2));
  });

  test("in shadow mode the champion answers and the challenger scores a copy that is only compared", async () => {
    const v2 = await trainAnotherVersion(path.join(dir, "registry"), names.binary);
    await writeRollout(registry, names.binary, { mode: "shadow", challenger: v2, weight: 0, reason: "test" });
    await waitFor(async () => (await metricsText()).includes(`mlops_traffic_weight{model="tiny-binary",version="${v2}",mode="shadow"} 1`));
    const rows = tinyRows(30, 31);
    const answers = await Promise.all(rows.map((row) => post(`/v1/models/${names.binary}:predict`, { instances: [row] })));
    assert.ok(answers.every((a) => a.headers.get("x-mlops-model-version") === "1"));
    await new Promise((r) => setTimeout(r, 50));
    const f = await post(`/v1/models/${names.binary}/feedback`, { feedback: answers.map((a, i) => ({ id: a.body.id, label: tinyTargets(rows[i]!).label })) });
    assert.equal(f.body.accepted, 30);
    await server.monitor.tick();
    const [shadow] = await readMonitorSnapshots(registry, names.binary, v2);
    assert.equal(shadow!.shadow!.rows, 30);
    assert.ok(shadow!.shadow!.agreement! > 0.7, `agreement ${shadow!.shadow!.agreement}`);
    assert.equal(shadow!.quality!.labelled, 30, "labels for shadowed predictions grade the shadow version too");
    assert.equal(shadow!.traffic.requests, 0, "the shadow answered no request");
  });
});

test("after close() the monitor never ticks again, even when close() lands while a tick is under way", async () => {
  // A tick in flight at close used to schedule the next one from its `finally`, so a closed server
  // kept writing snapshots into a registry its owner was deleting (ENOTEMPTY in rm -r).
  const own = await startTinyServer("mlops-monitor-close-", { pollIntervalMs: 50, monitorIntervalMs: 50 });
  const monitor = own.server.monitor;
  const realTick = monitor.tick.bind(monitor);
  let ticks = 0;
  let inTick = false;
  let overlapped = false;
  monitor.tick = async () => {
    if (inTick) overlapped = true;
    inTick = true;
    ticks++;
    await new Promise((r) => setTimeout(r, 120));
    try {
      return await realTick();
    } finally {
      inTick = false;
    }
  };
  await waitFor(async () => inTick);
  await own.server.close(); // during the first tick
  const atClose = ticks;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(ticks, atClose, "no tick after close");
  assert.equal(atClose, 2, "the tick under way, then close's last one");
  assert.equal(overlapped, false, "close's tick waits for the one under way");
  await own.stop();
});
