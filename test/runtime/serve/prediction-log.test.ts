import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { PreprocessorState } from "../../../runtime/src/data/preprocessor.ts";
import { silentLog } from "../../../runtime/src/log.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { DEFAULT_MONITOR, ModelMonitor } from "../../../runtime/src/serve/model-monitor.ts";
import { createServerMetrics } from "../../../runtime/src/serve/server-metrics.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const PRE: PreprocessorState = { formatVersion: 1, target: "y", features: [{ name: "x", kind: "numerical", mean: 0, std: 1 }], targetTransform: { task: "regression", mean: 0, std: 1 }, width: 1 };

async function monitor(predictionLogRows: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mlops-predlog-"));
  dirs.push(dir);
  const m = new ModelMonitor(ModelRegistry.open(dir), { ...DEFAULT_MONITOR, predictionLogRows }, createServerMetrics(), silentLog);
  m.track("m", 1, PRE, undefined);
  const record = (id: string, n: number) => m.recordPrediction(id, "m", 1, n, (r) => r, new Float32Array(n), 1);
  const known = async (ids: string[]) => {
    const r = await m.addFeedback("m", ids.map((id) => ({ id, index: 0, label: 1 })), undefined);
    return ids.filter((id) => !r.unknown.some((u) => u.id === id));
  };
  return { record, known };
}

test("the prediction log keeps the newest predictionLogRows rows and forgets the oldest first", async () => {
  const { record, known } = await monitor(10);
  for (let i = 0; i < 20; i++) record(`p${i}`, 1);
  assert.deepEqual(await known(Array.from({ length: 20 }, (_, i) => `p${i}`)), Array.from({ length: 10 }, (_, i) => `p${i + 10}`));
  record("big", 4);
  assert.deepEqual(await known(["p13", "p14", "big"]), ["p14", "big"], "4 more rows push the 4 oldest out");
});

test("a prediction id sent again replaces its entry without counting the old rows twice", async () => {
  const { record, known } = await monitor(10);
  record("a", 5);
  record("a", 5);
  record("b", 5);
  assert.deepEqual(await known(["a", "b"]), ["a", "b"], "10 rows logged: nothing to evict");
  record("c", 5);
  assert.deepEqual(await known(["a", "b", "c"]), ["b", "c"]);
});
