import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { resolveConfig } from "../../../runtime/src/data/infer-schema.ts";
import { type ModelConfigInput, modelConfig } from "../../../runtime/src/data/model-config.ts";
import { FIT, SCORE_FILE, encodeTable, encodeTarget, fitPreprocessor } from "../../../runtime/src/data/preprocessor.ts";
import { readTable, tableFromRecords } from "../../../runtime/src/data/read-table.ts";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import { MODEL_JSON, WEIGHTS_BIN, deserializeModel, serializeModel } from "../../../runtime/src/model/artifacts.ts";
import { initBackend, tf } from "../../../runtime/src/model/backend.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { type ClassificationMetrics, type RegressionMetrics, classificationMetrics, regressionMetrics } from "../../../runtime/src/model/metrics.ts";
import { seededRandom } from "../../../runtime/src/model/random.ts";
import { LEARNING_CURVE_JSON, PREPROCESSOR_JSON, REFERENCE_PROFILE_JSON, type TrainOutcome, registerModel, trainModel } from "../../../runtime/src/model/train-model.ts";
import { type TrainingSplit, fitNetwork } from "../../../runtime/src/model/train-network.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";

const COLORS = ["red", "green", "blue"] as const;
const FEATURES = ["x1", "x2", "color"];
const NETWORK = { hiddenLayers: [32, 16], epochs: 40, batchSize: 32, learningRate: 0.01, patience: 5, seed: 7 };

/**
 * Synthetic rows: x1 ~ U(-2, 2), x2 ~ U(0, 5000) (deliberately unscaled), a colour, and three
 * targets: a separable binary label, three classes by region, and a noisy linear value around 600.
 */
function dataset(n: number, seed: number, labelNoise = 0): Record<string, Cell>[] {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: n }, () => {
    const x1 = random() * 4 - 2;
    const x2 = random() * 5000;
    const color = COLORS[Math.floor(random() * 3)]!;
    const positive = x1 + (x2 - 2500) / 1250 + (color === "red" ? 1 : 0) > 0;
    return {
      x1: Math.round(x1 * 1e4) / 1e4,
      x2: Math.round(x2 * 10) / 10,
      color,
      label: positive !== random() < labelNoise ? "yes" : "no",
      class: x1 > 0.6 ? "a" : x2 > 2500 || color === "green" ? "b" : "c",
      y: 500 + 40 * x1 + 0.05 * x2 + { red: 0, green: 20, blue: 60 }[color] + 10 * gaussian(),
    };
  });
}

const TARGETS = ["label", "class", "y"];
const configFor = (target: string, network: ModelConfigInput["network"] = {}) =>
  modelConfig.parse({ name: `synthetic-${target}`, target, features: FEATURES, network: { ...NETWORK, ...network } });

/** Encoded train/validation splits for calling fitNetwork directly. */
function splits(table: Table, target: string, nTrain: number) {
  const { config } = resolveConfig(configFor(target), table, "x");
  const all = Array.from({ length: table.rows.length }, (_, i) => i);
  const trainRows = all.slice(0, nTrain);
  const valRows = all.slice(nTrain);
  const pre = fitPreprocessor(config, table, trainRows);
  const split = (rows: number[]): TrainingSplit => ({ x: encodeTable(pre, table, rows, FIT), y: encodeTarget(pre, table, rows), n: rows.length });
  return { config, pre, train: split(trainRows), validation: split(valRows) };
}

async function predict(model: tf.LayersModel, x: Float32Array, width: number): Promise<Float32Array> {
  const y = tf.tidy(() => model.predict(tf.tensor2d(x, [x.length / width, width])) as tf.Tensor);
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}

/** Training outcomes without wall-clock fields, for comparing two runs. */
const reproducible = (o: TrainOutcome) => ({
  metrics: o.metrics,
  history: o.fit.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valLoss: h.valLoss, valMetric: h.valMetric, improved: h.improved })),
  bestEpoch: o.fit.bestEpoch,
  preprocessor: o.preprocessor,
});

let dir: string;
let table: Table;
const outcomes: Record<string, TrainOutcome> = {};

before(async () => {
  // The native addon may or may not be built on a given machine; pin the backend so results do not depend on it.
  await initBackend(process.env.MLOPS_BACKEND || "wasm");
  dir = await mkdtemp(path.join(tmpdir(), "mlops-train-"));
  const file = path.join(dir, "synthetic.csv");
  const records = dataset(600, 2024);
  await writeTable(file, Object.keys(records[0]!), records.map((r) => Object.values(r)));
  table = await readTable(file);
  for (const target of TARGETS) outcomes[target] = await trainModel({ table, config: configFor(target), defaultName: "unused" });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("trainModel learns", () => {
  test("a binary classifier separates a linear rule on unscaled features (test AUC > 0.9)", () => {
    const o = outcomes.label!;
    const m = o.metrics as ClassificationMetrics;
    assert.equal(o.config.task, "binary");
    const { threshold, ...target } = o.preprocessor.targetTransform as { threshold?: number };
    assert.deepEqual(target, { task: "binary", classes: ["no", "yes"] });
    assert.ok(threshold !== undefined && threshold > 0 && threshold < 1, `threshold ${threshold}`);
    assert.equal(o.threshold?.value, threshold);
    assert.ok(m.rocAuc > 0.9, `rocAuc ${m.rocAuc}`);
    assert.ok(m.accuracy > 0.85, `accuracy ${m.accuracy}`);
    assert.ok(Number.isFinite(m.logLoss));
    const s = o.report.split;
    assert.equal(s.train + s.validation + s.test, 600);
    assert.ok(Math.abs(s.test - 120) <= 1 && Math.abs(s.validation - 96) <= 1, JSON.stringify(s));
    assert.deepEqual(Object.keys(o.files).sort(), [LEARNING_CURVE_JSON, MODEL_JSON, PREPROCESSOR_JSON, REFERENCE_PROFILE_JSON, WEIGHTS_BIN].sort());
    assert.deepEqual(JSON.parse(o.files[PREPROCESSOR_JSON]!.toString("utf8")), o.preprocessor);
    const profile = JSON.parse(o.files[REFERENCE_PROFILE_JSON]!.toString("utf8")) as { rows: number; columns: { name: string; kind: string }[] };
    assert.equal(profile.rows, o.report.split.train + o.report.split.validation, "the drift reference is the rows the stored (refit) model was trained on");
    assert.deepEqual(profile.columns.map((c) => [c.name, c.kind]), o.config.features.map((f) => [f.name, f.kind]));
    assert.equal(o.backend.name, process.env.MLOPS_BACKEND || "wasm");
  });

  test("a multiclass classifier scores well above chance (accuracy > 0.8 with three classes)", () => {
    const o = outcomes.class!;
    const m = o.metrics as ClassificationMetrics;
    assert.equal(o.config.task, "multiclass");
    assert.deepEqual(o.preprocessor.targetTransform, { task: "multiclass", classes: ["a", "b", "c"] });
    assert.ok(m.accuracy > 0.8, `accuracy ${m.accuracy}`);
    assert.ok(m.rocAuc > 0.9, `rocAuc ${m.rocAuc}`);
  });

  test("a regressor fits a noisy linear target (R² > 0.9) and the saved network predicts in target units", async () => {
    const o = outcomes.y!;
    const m = o.metrics as RegressionMetrics;
    assert.equal(o.config.task, "regression");
    assert.ok(m.r2 > 0.9, `r2 ${m.r2}`);
    const model = await deserializeModel(o.files[MODEL_JSON]!, o.files[WEIGHTS_BIN]!, "test");
    try {
      const rows = Array.from({ length: table.rows.length }, (_, i) => i);
      const pred = await predict(model, encodeTable(o.preprocessor, table, rows, SCORE_FILE), o.preprocessor.width);
      const actual = encodeTarget(o.preprocessor, table, rows);
      const all = regressionMetrics(actual, pred);
      assert.ok(all.r2 > 0.9, `r2 over every row ${all.r2}`);
      assert.ok(all.rmse < 25, `rmse ${all.rmse} in target units (noise sd 10, target sd ≈ 90)`);
      const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
      assert.ok(Math.abs(mean(pred) - mean(actual)) < 5, `mean prediction ${mean(pred)} vs mean target ${mean(actual)}`);
    } finally {
      model.dispose();
    }
  });
});

describe("training is reproducible", () => {
  test("the same seed gives byte-identical artifacts and identical metrics; another seed gives other weights", async () => {
    const network = { epochs: 6, dropout: 0.2 };
    const a = await trainModel({ table, config: configFor("label", network), defaultName: "x" });
    const b = await trainModel({ table, config: configFor("label", network), defaultName: "x" });
    const c = await trainModel({ table, config: configFor("label", { ...network, seed: 8 }), defaultName: "x" });
    assert.ok(a.files[WEIGHTS_BIN]!.equals(b.files[WEIGHTS_BIN]!), "weights.bin differs between two runs with the same seed");
    assert.ok(a.files[MODEL_JSON]!.equals(b.files[MODEL_JSON]!));
    assert.ok(a.files[PREPROCESSOR_JSON]!.equals(b.files[PREPROCESSOR_JSON]!));
    assert.deepEqual(reproducible(a), reproducible(b));
    assert.equal(a.files[WEIGHTS_BIN]!.length, c.files[WEIGHTS_BIN]!.length);
    assert.ok(!a.files[WEIGHTS_BIN]!.equals(c.files[WEIGHTS_BIN]!), "a different seed should give different weights");
  });
});

describe("fitNetwork", () => {
  test("stops early after `patience` epochs without improvement and restores the best epoch's weights", async () => {
    const noisy = tableFromRecords(dataset(400, 99, 0.35), "noisy");
    const { pre, train, validation } = splits(noisy, "label", 300);
    const network = { ...configFor("label").network, hiddenLayers: [64, 64], learningRate: 0.02, epochs: 100, patience: 2, weightDecay: 0 };
    const fit = await fitNetwork({ task: "binary", classes: 2, width: pre.width, network, train, validation });
    try {
      const valLosses = fit.history.map((h) => h.valLoss);
      assert.equal(fit.stoppedEarly, true);
      assert.ok(fit.history.length < 100, `ran ${fit.history.length} epochs`);
      assert.equal(fit.bestEpoch, fit.history.length - 2);
      assert.equal(fit.history[fit.bestEpoch - 1]!.valLoss, Math.min(...valLosses));
      assert.deepEqual(
        fit.history.slice(fit.bestEpoch).map((h) => h.improved),
        [false, false],
      );
      assert.ok(fit.history.every((h, i) => h.epoch === i + 1 && h.epochs === 100 && Number.isFinite(h.loss)));

      const p = await predict(fit.model, validation.x, pre.width);
      let loss = 0;
      for (let i = 0; i < validation.n; i++) loss -= Math.log(validation.y[i] === 1 ? p[i]! : 1 - p[i]!);
      loss /= validation.n;
      const best = fit.history[fit.bestEpoch - 1]!.valLoss;
      assert.ok(Math.abs(loss - best) < 1e-4 * best, `validation loss of the returned model ${loss} vs best epoch ${best}`);
    } finally {
      fit.model.dispose();
    }
  });

  test("runs every epoch when patience is 0", async () => {
    const { pre, train, validation } = splits(table, "class", 480);
    const network = { ...configFor("class").network, hiddenLayers: [8], epochs: 3, patience: 0, weightDecay: 0 };
    const fit = await fitNetwork({ task: "multiclass", classes: 3, width: pre.width, network, train, validation });
    fit.model.dispose();
    assert.equal(fit.history.length, 3);
    assert.equal(fit.stoppedEarly, false);
  });

  test("serializeModel and deserializeModel round-trip to identical predictions", async () => {
    const { pre, train, validation } = splits(table, "class", 480);
    const network = { ...configFor("class").network, epochs: 3, patience: 5, weightDecay: 0 };
    const fit = await fitNetwork({ task: "multiclass", classes: 3, width: pre.width, network, train, validation });
    try {
      const before = await predict(fit.model, validation.x, pre.width);
      const files = await serializeModel(fit.model);
      assert.deepEqual(Object.keys(files).sort(), [MODEL_JSON, WEIGHTS_BIN]);
      const params = fit.model.countParams();
      assert.equal(files[WEIGHTS_BIN]!.length, 4 * params);
      const manifest = JSON.parse(files[MODEL_JSON]!.toString("utf8")) as { format: string; weightsManifest: { paths: string[] }[] };
      assert.equal(manifest.format, "layers-model");
      assert.deepEqual(manifest.weightsManifest[0]!.paths, ["./weights.bin"]);
      const loaded = await deserializeModel(files[MODEL_JSON]!, files[WEIGHTS_BIN]!, "test");
      try {
        const after = await predict(loaded, validation.x, pre.width);
        assert.deepEqual(after, before);
        for (let i = 0; i < validation.n; i++) {
          const s = after[3 * i]! + after[3 * i + 1]! + after[3 * i + 2]!;
          assert.ok(Math.abs(s - 1) < 1e-5, `row ${i} probabilities sum to ${s}`);
        }
      } finally {
        loaded.dispose();
      }
    } finally {
      fit.model.dispose();
    }
  });

  test("deserializeModel reports a model.json that is not JSON as a corrupt registry object", async () => {
    await assert.rejects(deserializeModel(Buffer.from("{nope"), Buffer.alloc(0), "models/m/versions/1"), {
      code: "MLOPS_ERR_REGISTRY_CORRUPT",
      message: /models\/m\/versions\/1\/model\.json is corrupt/,
    });
    await assert.rejects(deserializeModel(Buffer.from("{}"), Buffer.alloc(0), "models/m/versions/1"), {
      code: "MLOPS_ERR_REGISTRY_CORRUPT",
      message: /missing modelTopology or weightsManifest/,
    });
  });
});

describe("training failures", () => {
  test("a huge learning rate that blows the loss up fails with MLOPS_ERR_MODEL_DIVERGED", async () => {
    const small = tableFromRecords(dataset(200, 5), "small");
    const deep = { hiddenLayers: [128, 128, 128, 128, 128, 128, 128, 128], learningRate: 10, epochs: 3, batchSize: 16, patience: 0 };
    for (const seed of [1, 2]) {
      await assert.rejects(trainModel({ table: small, config: configFor("y", { ...deep, seed }), defaultName: "x" }), (err: MlopsError) => {
        assert.equal(err.code, "MLOPS_ERR_MODEL_DIVERGED", err.message);
        assert.match(err.message, /training diverged at epoch \d+ \(loss is not finite\)/);
        assert.equal(err.status, 500);
        return true;
      });
    }
  });

  test("a huge learning rate either trains to finite metrics or fails loudly, never NaN metrics", async () => {
    const small = tableFromRecords(dataset(200, 6), "small");
    for (const target of ["label", "class", "y"]) {
      try {
        const o = await trainModel({ table: small, config: configFor(target, { learningRate: 10, epochs: 4, hiddenLayers: [64, 64, 64] }), defaultName: "x" });
        for (const [k, v] of Object.entries(o.metrics)) assert.ok(!Number.isNaN(v), `${target}: ${k} is NaN`);
        assert.ok(o.fit.history.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.valLoss)));
      } catch (err) {
        assert.equal((err as MlopsError).code, "MLOPS_ERR_MODEL_DIVERGED", String(err));
      }
    }
  });

  test("too few rows with a target fails with MLOPS_ERR_DATA_TOO_SMALL, counting only usable rows", async () => {
    const nine = tableFromRecords(dataset(9, 3), "nine");
    await assert.rejects(trainModel({ table: nine, config: configFor("label"), defaultName: "x" }), {
      code: "MLOPS_ERR_DATA_TOO_SMALL",
      message: /dataset has 9 usable rows .* at least 10 are needed/,
    });
    const gaps = tableFromRecords(dataset(14, 3).map((r, i) => ({ ...r, y: i % 3 === 0 ? null : (r.y ?? null) })), "gaps");
    await assert.rejects(trainModel({ table: gaps, config: configFor("y"), defaultName: "x" }), { code: "MLOPS_ERR_DATA_TOO_SMALL", message: /has 9 usable rows/ });
  });
});

describe("a trained model in the registry", () => {
  let registry: ModelRegistry;
  let registryDir: string;
  before(async () => {
    registryDir = path.join(dir, "registry");
    registry = ModelRegistry.open(registryDir);
  });

  test("registerModel stores the version with its lineage and makes the first one champion", async () => {
    const o = outcomes.label!;
    const first = await registerModel(registry, o, table);
    assert.equal(first.promoted, true);
    assert.equal(first.metadata.version, 1);
    assert.equal(first.metadata.model, "synthetic-label");
    assert.deepEqual(first.metadata.metrics, o.metrics);
    assert.deepEqual(first.metadata.dataset, {
      digest: table.digest,
      rows: 600,
      source: table.source,
      files: [{ url: table.source, sha256: table.digest, bytes: table.files![0]!.bytes }],
      format: "csv",
      rowsRead: 600,
      schema: table.columns.map((name) => ({ name, type: "string" })),
    });
    assert.equal((first.metadata.extra as { training: { bestEpoch: number } }).training.bestEpoch, o.fit.bestEpoch);
    const second = await registerModel(registry, o, table, 1);
    assert.equal(second.promoted, false);
    assert.equal(second.metadata.parent, 1);
    assert.deepEqual(await registry.getAliases("synthetic-label"), { champion: 1 });
  });

  test("LoadedModel.load predicts what the trained artifacts predict", async () => {
    for (const target of TARGETS) {
      const o = outcomes[target]!;
      const { metadata } = await registerModel(registry, o, table);
      const loaded = await LoadedModel.load(registry, metadata.model, metadata.version);
      const inMemory = await deserializeModel(o.files[MODEL_JSON]!, o.files[WEIGHTS_BIN]!, "memory");
      try {
        assert.deepEqual(loaded.preprocessor, o.preprocessor);
        assert.equal(loaded.outputWidth, target === "class" ? 3 : 1);
        const rows = Array.from({ length: table.rows.length }, (_, i) => i);
        const x = encodeTable(loaded.preprocessor, table, rows, SCORE_FILE);
        const fromRegistry = await loaded.predict(x, rows.length);
        const expected = await predict(inMemory, x, o.preprocessor.width);
        assert.equal(fromRegistry.length, expected.length);
        // LoadedModel runs fused matMul kernels rather than the layers graph: equal up to float32 rounding.
        for (let i = 0; i < expected.length; i++) {
          const tolerance = 1e-6 + 1e-5 * Math.abs(expected[i]!);
          assert.ok(Math.abs(fromRegistry[i]! - expected[i]!) <= tolerance, `${target}: output ${i} is ${fromRegistry[i]}, expected ${expected[i]}`);
        }
        if (target !== "y") {
          const m = classificationMetrics(encodeTarget(o.preprocessor, table, rows), fromRegistry, target === "class" ? 3 : 1);
          assert.ok(m.accuracy > 0.8, `${target}: accuracy over every row ${m.accuracy}`);
        }
      } finally {
        loaded.dispose();
        inMemory.dispose();
      }
    }
  });

  test("a corrupted weights.bin on disk fails to load with MLOPS_ERR_REGISTRY_CORRUPT naming the object", async () => {
    const { metadata } = await registerModel(registry, outcomes.class!, table);
    const key = `models/${metadata.model}/versions/${metadata.version}/weights.bin`;
    const file = path.join(registryDir, ...key.split("/"));
    const bytes = await readFile(file);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0x40;
    await writeFile(file, bytes);
    await assert.rejects(LoadedModel.load(registry, metadata.model, metadata.version), (err: MlopsError) => {
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_CORRUPT", err.message);
      assert.ok(err.message.includes(key), err.message);
      assert.match(err.message, /sha256/);
      return true;
    });
  });
});
