import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_BATCHING, DynamicBatcher } from "../../../runtime/src/serve/dynamic-batcher.ts";

// The runner doubles each input value and records the batch sizes it was called with: a real
// computation whose output proves every request got its own rows back, in order.
function doubling(delayMs = 0) {
  const calls: number[] = [];
  const run = async (x: Float32Array, n: number) => {
    calls.push(n);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return x.map((v) => v * 2);
  };
  return { calls, run };
}

test("merges requests submitted together into one model call and splits outputs in order", async () => {
  const { calls, run } = doubling();
  const b = new DynamicBatcher(run, 2, 2, DEFAULT_BATCHING);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => b.submit(Float32Array.of(i, -i), 1, "m")));
  assert.deepEqual(calls, [20]);
  results.forEach((y, i) => assert.deepEqual(Array.from(y), [2 * i, -2 * i]));
});

test("a lone request on an idle model runs at once, without waiting for company", async () => {
  const { calls, run } = doubling();
  const b = new DynamicBatcher(run, 1, 1, { ...DEFAULT_BATCHING, batchTimeoutMicros: 0 });
  const y = await b.submit(Float32Array.of(4), 1, "m");
  assert.deepEqual(Array.from(y), [8]);
  assert.deepEqual(calls, [1]);
});

test("requests arriving while the model is busy run together as the next batch", async () => {
  // The first call holds the model until the test releases it, so "busy" does not depend on timing.
  const calls: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const b = new DynamicBatcher(
    async (x, n) => {
      calls.push(n);
      if (calls.length === 1) {
        started();
        await held;
      }
      return x.map((v) => v * 2);
    },
    1,
    1,
    DEFAULT_BATCHING,
  );
  const first = b.submit(Float32Array.of(1), 1, "m");
  await running;
  const later = Array.from({ length: 5 }, (_, i) => b.submit(Float32Array.of(10 + i), 1, "m"));
  assert.equal(b.pendingRows, 5);
  release();
  const all = await Promise.all([first, ...later]);
  assert.deepEqual(calls, [1, 5]);
  assert.deepEqual(all.map((y) => y[0]), [2, 20, 22, 24, 26, 28]);
});

test("never puts more than maxBatchSize rows in a call, except a single oversized request", async () => {
  const { calls, run } = doubling();
  const b = new DynamicBatcher(run, 1, 1, { ...DEFAULT_BATCHING, maxBatchSize: 4 });
  const sizes = [3, 2, 2, 7, 1];
  const outs = await Promise.all(sizes.map((n, i) => b.submit(new Float32Array(n).fill(i), n, "m")));
  assert.deepEqual(calls, [3, 4, 7, 1]);
  outs.forEach((y, i) => assert.deepEqual(Array.from(y), new Array(sizes[i]).fill(2 * i)));
});

test("waits up to batchTimeoutMicros for a batch to fill when asked to", async () => {
  const { calls, run } = doubling();
  const b = new DynamicBatcher(run, 1, 1, { ...DEFAULT_BATCHING, batchTimeoutMicros: 300_000 });
  const first = b.submit(Float32Array.of(1), 1, "m");
  await new Promise((r) => setTimeout(r, 5));
  const second = b.submit(Float32Array.of(2), 1, "m");
  await Promise.all([first, second]);
  assert.deepEqual(calls, [2]);
});

test("refuses new work with a 503 error when the queue is full", async () => {
  const { run } = doubling(20);
  const b = new DynamicBatcher(run, 1, 1, { maxBatchSize: 2, batchTimeoutMicros: 0, maxEnqueuedBatches: 2 });
  const accepted = Array.from({ length: 4 }, () => b.submit(Float32Array.of(1), 1, "m"));
  await assert.rejects(b.submit(Float32Array.of(1), 1, "m"), (err: { code: string; status: number }) => err.code === "MLOPS_ERR_INFER_UNAVAILABLE" && err.status === 503);
  await Promise.all(accepted);
});

test("a failing model call rejects only the requests in that batch; the next batch runs", async () => {
  let fail = true;
  const b = new DynamicBatcher(
    async (x) => {
      if (fail) {
        fail = false;
        throw new Error("boom");
      }
      return x;
    },
    1,
    1,
    DEFAULT_BATCHING,
  );
  const a = b.submit(Float32Array.of(1), 1, "m");
  const c = b.submit(Float32Array.of(2), 1, "m");
  await assert.rejects(Promise.all([a, c]), /boom/);
  await assert.rejects(c, /boom/);
  assert.deepEqual(Array.from(await b.submit(Float32Array.of(3), 1, "m")), [3]);
});
