// Issue 17 items 4, 5 and 8 through the real server on 127.0.0.1: client mistakes are 4xx with a
// clear message (and never count against a canary), poison feedback is refused, slow clients are
// cut off.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { readMonitorSnapshots } from "../../../runtime/src/registry/index.ts";
import { type TinyServer, startTinyServer } from "../../helpers/tiny-server.ts";
import { TINY_MODELS, tinyRows, tinyTargets } from "../../helpers/tiny-models.ts";

let tiny: TinyServer;
let base: string;
before(async () => {
  tiny = await startTinyServer("mlops-bad-requests-", { pollIntervalMs: 50, monitorIntervalMs: 3_600_000, headersTimeoutMs: 500, requestTimeoutMs: 1000 });
  base = tiny.base;
});
after(() => tiny?.stop());

async function post(url: string, body: unknown): Promise<{ status: number; body: { error?: string; accepted?: number } }> {
  const res = await fetch(`${base}${url}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: string; accepted?: number } };
}

const REG = TINY_MODELS.regression;
/** The default limit: max batch size 1000 × 10 enqueued batches. */
const LIMIT = 10_000;

describe("requests over the row limit are 413, not 503", () => {
  const rows = tinyRows(LIMIT + 1, 5);
  test("TF Serving row format", async () => {
    const r = await post(`/v1/models/${REG}:predict`, { instances: rows });
    assert.equal(r.status, 413);
    assert.equal(r.body.error, `instances has ${LIMIT + 1} rows; this server takes at most ${LIMIT} per request`);
  });
  test("columnar format, :regress examples and OIP", async () => {
    const cols = { x1: rows.map((r) => r.x1), x2: rows.map((r) => r.x2), color: rows.map((r) => r.color) };
    assert.equal((await post(`/v1/models/${REG}:predict`, { inputs: cols })).status, 413);
    assert.equal((await post(`/v1/models/${REG}:regress`, { examples: rows })).status, 413);
    const oip = await post(`/v2/models/${REG}/infer`, {
      inputs: [
        { name: "x1", shape: [LIMIT + 1], datatype: "FP32", data: cols.x1 },
        { name: "x2", shape: [LIMIT + 1], datatype: "FP32", data: cols.x2 },
        { name: "color", shape: [LIMIT + 1], datatype: "BYTES", data: cols.color },
      ],
    });
    assert.equal(oip.status, 413);
    assert.match(oip.body.error!, /inputs\[0\] \(x1\) has 10001 rows; this server takes at most 10000 per request/);
  });
  test("exactly the limit is served", async () => {
    const r = await post(`/v1/models/${REG}:predict`, { instances: rows.slice(0, LIMIT) });
    assert.equal(r.status, 200);
  });
  test("a 125,000-item feedback batch is 413, not a RangeError", async () => {
    const items = Array.from({ length: 125_000 }, (_, i) => ({ id: `bulk-${i}`, index: 0, label: 1 }));
    const r = await post(`/v1/models/${REG}/feedback`, { feedback: items });
    assert.equal(r.status, 413);
    assert.equal(r.body.error, `feedback has 125000 rows; this server takes at most ${LIMIT} per request`);
  });
});

describe("malformed bodies are 400", () => {
  test("OIP data nested 10,000 deep", async () => {
    const deep = `${"[".repeat(10_000)}1${"]".repeat(10_000)}`;
    const body = `{"inputs": [{"name": "x1", "shape": [1], "datatype": "FP32", "data": ${deep}}, {"name": "x2", "shape": [1], "datatype": "FP32", "data": [0]}, {"name": "color", "shape": [1], "datatype": "BYTES", "data": ["red"]}]}`;
    const r = await post(`/v2/models/${REG}/infer`, body);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, "inputs[0] (x1): data is nested deeper than its shape's 1 dimension");
  });
  test("a feature value nested 10,000 deep, with NaN elsewhere in the body (the reviver path)", async () => {
    const deep = `${"[".repeat(10_000)}1${"]".repeat(10_000)}`;
    const r = await post(`/v1/models/${REG}:predict`, `{"instances": [{"x1": ${deep}, "x2": NaN, "color": "red"}]}`);
    assert.equal(r.status, 400);
    const plain = await post(`/v1/models/${REG}:predict`, `{"instances": [{"x1": ${deep}, "x2": 0, "color": "red"}]}`);
    assert.equal(plain.status, 400);
    assert.match(plain.body.error!, /feature "x1": got a nested list; the feature takes one value/);
  });
});

describe("poison feedback is refused", () => {
  test('a feature given as {"$gt": 1}, a label of 1e308 and a label that is not a number are each a 400 naming the item', async () => {
    const row = tinyRows(1, 9)[0]!;
    const ok = { id: "fine", index: 0, label: tinyTargets(row).y, features: row };
    const cases: [unknown, RegExp][] = [
      [{ ...ok, id: "gt", features: { ...row, x1: { $gt: 1 } } }, /^feedback\[1\]\.features\.x1 must be a string, number, boolean or null, got \{"\$gt":1\}$/],
      [{ ...ok, id: "huge", label: 1e308 }, /^feedback\[1\]\.label 1e\+308 is 2\.\de\+\d+ training standard deviations from the training mean \S+ \(at most 100 accepted\)$/],
      [{ ...ok, id: "text", label: "fast" }, /^feedback\[1\]\.label must be a finite number for a regression model, got "fast"$/],
      [{ ...ok, id: "far", features: { ...row, x2: 1e9 } }, /^feedback\[1\]\.features\.x2 1000000000 is \d\.\de\+8 training standard deviations/],
      [{ ...ok, id: "extra", features: { ...row, speed: 3 } }, /^feedback\[1\]\.features has unknown feature "speed"/],
      [{ ...ok, id: "missing", features: { x1: 0, x2: 0 } }, /^feedback\[1\]\.features is missing "color"; send null if the value is unknown$/],
    ];
    for (const [bad, message] of cases) {
      const r = await post(`/v1/models/${REG}/feedback`, { feedback: [ok, bad] });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match(r.body.error!, message);
    }
    const r = await post(`/v1/models/${TINY_MODELS.binary}/feedback`, { feedback: [{ id: "cls", index: 0, label: "maybe", features: row }] });
    assert.equal(r.status, 400);
    assert.match(r.body.error!, /label "maybe" is not one of the model's classes \(no, yes\)/);
  });
  test("a label for a logged prediction is checked the same way", async () => {
    const p = await fetch(`${base}/v1/models/${REG}:predict`, { method: "POST", body: JSON.stringify({ instances: tinyRows(2, 10) }) });
    const { id } = (await p.json()) as { id: string };
    const r = await post(`/v1/models/${REG}/feedback`, { feedback: [{ id, index: 1, label: 1e308 }] });
    assert.equal(r.status, 400);
    assert.equal((await post(`/v1/models/${REG}/feedback`, { feedback: [{ id, index: 1, label: 12.5 }] })).status, 200);
  });
});

describe("canary health counts server faults, not client mistakes", () => {
  test("a burst of oversized, malformed and poison requests leaves the version's error count at 0", async () => {
    const rows = tinyRows(LIMIT + 1, 5);
    for (let i = 0; i < 5; i++) {
      await post(`/v1/models/${REG}:predict`, { instances: rows });
      await post(`/v1/models/${REG}:predict`, `{"instances": [{"x1": ${"[".repeat(10_000)}${"]".repeat(10_000)}, "x2": 0, "color": "red"}]}`);
      await post(`/v1/models/${REG}:predict`, { instances: [{ x1: "fast", x2: 0, color: "red" }] });
      await post(`/v2/models/${REG}/infer`, { inputs: "nope" });
      await post(`/v1/models/${REG}:predict`, { instances: tinyRows(3, i) });
    }
    await tiny.server.monitor.tick();
    const [snapshot] = await readMonitorSnapshots(tiny.registry, REG, 1);
    assert.ok(snapshot!.traffic.requests >= 20, `${snapshot!.traffic.requests} requests counted`);
    assert.equal(snapshot!.traffic.errors, 0);
  });
});

describe("slow clients are cut off", () => {
  const slow = (send: (socket: ReturnType<typeof connect>) => void) =>
    new Promise<{ closed: boolean; reply: string }>((resolve) => {
      const url = new URL(base);
      const socket = connect(Number(url.port), url.hostname);
      let reply = "";
      socket.on("data", (d) => (reply += d));
      socket.on("connect", () => send(socket));
      socket.on("close", () => resolve({ closed: true, reply }));
      socket.on("error", () => undefined);
      // A generous bound on a 500 ms header / 1 s request deadline; only the closing is asserted.
      setTimeout(() => {
        socket.destroy();
        resolve({ closed: false, reply });
      }, 8000).unref();
    });
  test("a client that never finishes its headers is disconnected", async () => {
    const r = await slow((s) => s.write("POST /v1/models/x:predict HTTP/1.1\r\nHost: x\r\n"));
    assert.ok(r.closed, "the server closed the connection");
    assert.match(r.reply, /^HTTP\/1\.1 408/);
  });
  test("a client that never finishes its body is disconnected", async () => {
    const r = await slow((s) => s.write(`POST /v1/models/${REG}:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"instances": [`));
    assert.ok(r.closed, "the server closed the connection");
    assert.match(r.reply, /^HTTP\/1\.1 408/);
  });
  test("a client that connects and sends nothing is disconnected", async () => {
    const r = await slow(() => undefined);
    assert.ok(r.closed);
  });
});
