import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { parsePolicy } from "../../../runtime/src/controller/policy.ts";
import { prepareTrainingData } from "../../../runtime/src/controller/training-data.ts";
import { networkConfig } from "../../../runtime/src/data/model-config.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import type { VersionMetadata } from "../../../runtime/src/registry/index.ts";

let dir = "";
let registry: ModelRegistry;
let data = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-tuned-"));
  registry = ModelRegistry.open(path.join(dir, "reg"));
  data = path.join(dir, "d.csv");
  await writeFile(data, "x,y\n1,a\n2,b\n3,a\n4,b\n");
});
after(() => rm(dir, { recursive: true, force: true }));

const config = (network: Record<string, unknown>) => ({ name: "m", target: "y", task: "binary", features: [{ name: "x", kind: "numerical" }], maxCategories: 100, network: networkConfig.parse(network) });
const dataset = () => ({ digest: "0".repeat(64), rows: 4, source: data });
const stagedConfig = async (champion: VersionMetadata, mode: "champion" | "tuned") => {
  const prepared = await prepareTrainingData({ champion, feedback: [], training: parsePolicy({ model: champion.model, training: { config: mode } }).training, registry, dir: path.join(dir, "work") });
  const key = prepared.configPath.slice(registry.storage.url.length + 1);
  return JSON.parse((await registry.storage.get(key))!.data.toString("utf8")) as ReturnType<typeof config>;
};

test('training.config "tuned" retrains with the network of the tuned ancestor, "champion" with the champion\'s own', async () => {
  const tuned = { hiddenLayers: [128, 64], learningRate: 0.004, dropout: 0.2, batchSize: 64, weightDecay: 1e-4, patience: 20, epochs: 100, seed: 42 };
  const files = { "model.json": Buffer.from("{}") };
  await registry.createVersion("m", { files, dataset: dataset(), backend: "wasm", config: { ...config(tuned), numericalBins: 8 }, metrics: {}, tuning: { searchId: "s9", trial: 7, params: { layers: 2, width: 128, shape: "funnel", numericalBins: 8 }, objective: "logLoss", value: 0.3, folds: 3, trials: 40, sampler: "tpe" } });
  // A later champion retrained from it with a hand-edited network and a different seed, and no lineage of its own.
  const v2 = await registry.createVersion("m", { files, parent: 1, dataset: dataset(), backend: "wasm", config: config({ hiddenLayers: [8], learningRate: 0.1, seed: 5 }), metrics: {} });
  const asTuned = await stagedConfig(v2, "tuned");
  assert.deepEqual(asTuned.network, { ...networkConfig.parse(tuned), seed: 5 });
  assert.equal((asTuned as { numericalBins?: unknown }).numericalBins, 8, "the tuned bins come with the tuned network");
  assert.deepEqual(asTuned.features, config({}).features, "features stay the champion's");
  const asIs = await stagedConfig(v2, "champion");
  assert.equal((asIs as { numericalBins?: unknown }).numericalBins, undefined);
  assert.deepEqual(asIs.network, networkConfig.parse({ hiddenLayers: [8], learningRate: 0.1, seed: 5 }));
});

test('training.config "tuned" with no tuning lineage and no search fails with a coded error', async () => {
  const v = await registry.createVersion("plain", { files: { "model.json": Buffer.from("{}") }, dataset: dataset(), backend: "wasm", config: { ...config({}), name: "plain" }, metrics: {} });
  await assert.rejects(stagedConfig(v, "tuned"), (err: { code?: string; message: string }) => err.code === "MLOPS_ERR_TUNE_NO_TUNED_CONFIG" && /version 1 of model "plain"/.test(err.message));
  assert.equal(parsePolicy({ model: "plain" }).training.config, "champion");
});
