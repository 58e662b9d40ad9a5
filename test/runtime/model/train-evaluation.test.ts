import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type ModelConfigInput, modelConfig, resolveNetwork } from "../../../runtime/src/data/model-config.ts";
import { tableFromRecords } from "../../../runtime/src/data/read-table.ts";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";
import { modelsCommand } from "../../../runtime/src/cli/models-command.ts";
import { summarize } from "../../../runtime/src/cli/train-command.ts";
import { initBackend } from "../../../runtime/src/model/backend.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { predictedLabel } from "../../../runtime/src/model/outputs.ts";
import { seededRandom } from "../../../runtime/src/model/random.ts";
import { splitRows } from "../../../runtime/src/model/split.ts";
import { LEARNING_CURVE_JSON, type LearningCurve, labeller, registerModel, trainModel } from "../../../runtime/src/model/train-model.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { encodeTable, SERVE, encodeRows } from "../../../runtime/src/data/preprocessor.ts";

const FAST = { hiddenLayers: [16], epochs: 40, patience: 8, learningRate: 0.01, seed: 3 };
const cfg = (input: ModelConfigInput) => modelConfig.parse({ ...input, network: { ...FAST, ...input.network } });

/** n rows: x1, x2 ~ N(0, 1); the label is 1 with probability sigmoid(2·x1 − x2 + bias). */
function logisticRows(n: number, seed: number, bias: number): Record<string, Cell>[] {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: n }, () => {
    const x1 = gauss();
    const x2 = gauss();
    const p = 1 / (1 + Math.exp(-(3 * x1 - 1.5 * x2 + bias)));
    return { x1: x1.toFixed(4), x2: x2.toFixed(4), label: random() < p ? "1" : "0" };
  });
}

let dir: string;
before(async () => {
  await initBackend(process.env.MLOPS_BACKEND || "wasm");
  dir = await mkdtemp(path.join(tmpdir(), "mlops-train-eval-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("row ids and constant columns (defect 1)", () => {
  test("a file ordered by class with a row-number column: the column is not a feature, and both drops are in the summary and version.json", async () => {
    const rows = logisticRows(160, 1, 0).sort((a, b) => (a.label! < b.label! ? -1 : 1));
    const table = tableFromRecords(rows.map((r, i) => ({ row: i + 1, ...r, source: "web" })), "ordered");
    const o = await trainModel({ table, config: cfg({ target: "label" }), defaultName: "ordered" });
    assert.deepEqual(o.config.features.map((f) => f.name), ["x1", "x2"]);
    assert.deepEqual(o.report.droppedColumns, { rowId: ["row"], constant: ["source"], identifier: [], empty: [] });
    const registry = ModelRegistry.open(path.join(dir, "reg-ids"));
    const r = await registerModel(registry, o, table);
    const text = summarize(o, r);
    assert.match(text, /skipped {3}column row: unique integers increasing in file order look like a row id/);
    assert.match(text, /skipped {3}column source: constant: every row is "web"/);
    const meta = JSON.parse(await readFile(path.join(dir, "reg-ids", "models", "ordered", "versions", "1", "version.json"), "utf8"));
    assert.deepEqual(meta.extra.report.droppedColumns.rowId, ["row"]);
    assert.deepEqual(meta.extra.report.droppedColumns.constant, ["source"]);
  });
});

describe("junk tokens (defect 2)", () => {
  test("a numeric column with '-', '#N/A' and one stray word stays numerical; the word is counted as junk with an example", async () => {
    const rows = logisticRows(200, 2, 0).map((r, i): Record<string, Cell> => ({ ...r, x2: i === 5 ? "-" : i === 9 ? "#N/A" : i === 11 ? "oops" : r.x2! }));
    const o = await trainModel({ table: tableFromRecords(rows, "junk"), config: cfg({ target: "label" }), defaultName: "junk" });
    assert.deepEqual(o.config.features, [{ name: "x1", kind: "numerical" }, { name: "x2", kind: "numerical" }]);
    const d = o.report.decisions.find((x) => x.column === "x2")!;
    assert.deepEqual(d.junk, { count: 1, examples: ["oops"] });
    // The training rows' share of the three dirty cells: "-" and "#N/A" as missing, "oops" as junk, all imputed and flagged.
    const issues = o.report.issues.x2!;
    assert.ok(issues.missing <= 2 && issues.junk <= 1 && issues.missing + issues.junk >= 1, JSON.stringify(issues));
    if (issues.junk) assert.deepEqual(issues.examples, ["oops"]);
    const x2 = o.preprocessor.features[1]!;
    assert.ok(x2.kind === "numerical" && x2.missingIndicator === true);
  });
});

describe("stratified splits (defect 3)", () => {
  test("every class with at least 3 rows is in all three splits for any seed; rarer classes go to training only", () => {
    const labels = [...Array(200).fill("sun"), ...Array(6).fill("snow"), ...Array(2).fill("hail")];
    const rows = labels.map((_, i) => i);
    for (let seed = 0; seed < 25; seed++) {
      const s = splitRows(rows, 0.2, 0.2, seed, (r) => labels[r]!);
      for (const part of [s.train, s.validation, s.test]) assert.ok(part.some((r) => labels[r] === "snow"), `seed ${seed}: snow missing from a split`);
      assert.deepEqual(s.train.filter((r) => labels[r] === "hail").length, 2);
      assert.deepEqual(s.rareClasses, [{ label: "hail", rows: 2 }]);
      assert.equal(s.train.length + s.validation.length + s.test.length, 208);
    }
  });

  test("regression splits are stratified by target quantile: every split covers the whole range, tails included, for any seed", () => {
    // A long-tailed target (a few very large values, as prices or durations have): a plain shuffle
    // can leave every tail row out of the test split, so its RMSE says nothing about the tail.
    const values = Array.from({ length: 300 }, (_, i) => (i < 270 ? i % 50 : 1_000 + i));
    const table: Table = { source: "tail", digest: "x", columns: ["x", "y"], rows: values.map((v, i) => [i, v]) };
    const config = modelConfig.parse({ target: "y", task: "regression", features: [{ name: "x", kind: "numerical" }] }) as never;
    const rows = values.map((_, i) => i);
    const strata = labeller(table, config, rows)!;
    assert.equal(new Set(rows.map(strata)).size, 10, "ten quantile bins");
    for (let seed = 0; seed < 25; seed++) {
      const s = splitRows(rows, 0.2, 0.2, seed, strata);
      assert.deepEqual(s.rareClasses, []);
      for (const [name, part] of Object.entries({ train: s.train, validation: s.validation, test: s.test })) {
        assert.ok(part.some((r) => values[r]! >= 1_000), `seed ${seed}: no tail row in ${name}`);
        assert.equal(new Set(part.map(strata)).size, 10, `seed ${seed}: ${name} misses a bin`);
      }
    }
    assert.equal(labeller(table, config, rows.slice(0, 19)), undefined, "fewer than 20 rows: not binned");
  });

  test("training on a table with a 2-row class succeeds with a warning instead of 'class not seen in training'", async () => {
    const rows = logisticRows(120, 4, 0).map((r, i) => ({ ...r, label: i < 2 ? "snow" : i % 2 ? "sun" : "rain" }));
    const o = await trainModel({ table: tableFromRecords(rows, "rare"), config: cfg({ target: "label", task: "multiclass" }), defaultName: "rare" });
    assert.ok(o.warnings.some((w) => /class "snow" has only 2 rows .* training split only/.test(w)), o.warnings.join("\n"));
  });
});

describe("class weights and the decision threshold (defect 4)", () => {
  const imbalanced = () => tableFromRecords(logisticRows(400, 5, -2.6), "flights");

  test("a 22 %-positive-like table gets balanced weights by default and a model that predicts both classes; the threshold is stored and used for labels", async () => {
    const table = imbalanced();
    const o = await trainModel({ table, config: cfg({ target: "label" }), defaultName: "flights" });
    assert.match(o.classWeights!.rule, /^balanced: the rarer class has \d+\.\d % of the rows/);
    assert.ok(o.classWeights!.weights["1"]! > 1.5, JSON.stringify(o.classWeights));
    assert.equal(o.threshold?.chosenBy, "balanced-accuracy");
    const t = o.preprocessor.targetTransform;
    assert.ok(t.task === "binary" && t.threshold === o.threshold!.value);
    assert.ok((o.metrics as { f1: number }).f1 > 0.3, `f1 ${(o.metrics as { f1: number }).f1}`);
    assert.ok(!o.warnings.some((w) => /predicts one class/.test(w)));
    // Labels at serving follow the stored threshold, not 0.5.
    assert.equal(predictedLabel({ ...t, threshold: 0.2 }, [0.3], 0), "1");
    assert.equal(predictedLabel({ ...t, threshold: 0.4 }, [0.3], 0), "0");
    assert.equal(predictedLabel({ task: "binary", classes: ["0", "1"] }, [0.3], 0), "0", "versions without a threshold keep 0.5");
  });

  test("with weights 'none', a fixed 0.5 threshold and uninformative features the model predicts one class, and the outcome says so", async () => {
    const random = seededRandom(9);
    const rows = Array.from({ length: 300 }, () => ({ a: random().toFixed(3), b: random().toFixed(3), label: random() < 0.12 ? "late" : "on-time" }));
    const o = await trainModel({ table: tableFromRecords(rows, "noise"), config: cfg({ target: "label", network: { classWeights: "none", threshold: 0.5 } }), defaultName: "noise" });
    assert.equal(o.classWeights!.rule, "none (set in config)");
    assert.ok(o.warnings.some((w) => /predicts one class \("on-time"\) for every test row/.test(w)), o.warnings.join("\n"));
  });

  test("explicit per-class weights are applied and an unknown class is refused", async () => {
    const table = imbalanced();
    const o = await trainModel({ table, config: cfg({ target: "label", network: { classWeights: { "1": 3 } } }), defaultName: "w" });
    assert.deepEqual(o.classWeights!.weights, { "0": 1, "1": 3 });
    await assert.rejects(trainModel({ table, config: cfg({ target: "label", network: { classWeights: { yes: 3 } } }), defaultName: "w" }), { code: "MLOPS_ERR_CONFIG_INVALID", message: /"yes" is not a class/ });
  });
});

describe("intervals, PR AUC and baselines (defect 5 and baselines)", () => {
  test("holdout metrics carry seeded bootstrap intervals around them, PR AUC for binary, and majority/logistic baselines with a verdict", async () => {
    const table = tableFromRecords(logisticRows(300, 6, 0), "linear");
    const a = await trainModel({ table, config: cfg({ target: "label" }), defaultName: "linear" });
    const b = await trainModel({ table, config: cfg({ target: "label" }), defaultName: "linear" });
    assert.deepEqual(a.evaluation, b.evaluation, "the bootstrap is seeded");
    assert.equal(a.evaluation.method, "holdout");
    assert.equal(a.evaluation.rows, a.report.split.test);
    const m = a.metrics as unknown as Record<string, number>;
    for (const k of ["accuracy", "rocAuc", "logLoss", "prAuc", "f1", "balancedAccuracy"]) {
      const [lo, hi] = a.evaluation.intervals[k]!;
      assert.ok(lo <= m[k]! && m[k]! <= hi && lo < hi, `${k} ${m[k]} outside [${lo}, ${hi}]`);
    }
    assert.equal(a.baselines.majority.rocAuc, 0.5);
    assert.ok(a.baselines.linear.rocAuc! > 0.8, `logistic rocAuc ${a.baselines.linear.rocAuc}`);
    assert.equal(a.baselines.verdict.majority, "better");
    assert.match(a.baselines.summary, /^model rocAuc 0\.\d{4}: (beats|ties \(within the 95 % interval\)|does NOT beat) the logistic regression \(rocAuc 0\.\d{4}\); beats the majority predictor \(rocAuc 0\.5000\)$/);
  });

  test("a regression reports a mean predictor and ridge regression baseline", async () => {
    const random = seededRandom(11);
    const rows = Array.from({ length: 200 }, () => {
      const x = random() * 10;
      return { x: x.toFixed(3), y: (3 * x + 5 + random()).toFixed(3) };
    });
    const o = await trainModel({ table: tableFromRecords(rows, "reg"), config: cfg({ target: "y" }), defaultName: "reg" });
    assert.equal(o.baselines.metric, "rmse");
    assert.ok(o.baselines.linear.rmse! < 0.5, `ridge rmse ${o.baselines.linear.rmse}`);
    assert.ok(o.baselines.majority.rmse! > 5);
  });
});

describe("refit and k-fold evaluation (defect 6)", () => {
  const table = () => tableFromRecords(logisticRows(150, 7, 0), "refit");

  test("by default the stored model is refit on train + validation for the best epoch count", async () => {
    const o = await trainModel({ table: table(), config: cfg({ target: "label" }), defaultName: "refit" });
    assert.deepEqual(o.refit, { epochs: o.fit.bestEpoch, rows: o.report.split.train + o.report.split.validation });
    const off = await trainModel({ table: table(), config: cfg({ target: "label", network: { refit: false } }), defaultName: "refit" });
    assert.equal(off.refit, undefined);
    assert.equal(off.learningCurve.refit, undefined);
  });

  test("testSplit 0 is accepted and evaluates by stratified k-fold, reporting each fold and the spread", async () => {
    const o = await trainModel({ table: table(), config: cfg({ target: "label", network: { testSplit: 0, folds: 3 } }), defaultName: "cv" });
    assert.equal(o.evaluation.method, "kfold");
    assert.equal(o.evaluation.folds!.length, 3);
    assert.equal(o.evaluation.rows, 150);
    assert.deepEqual({ test: o.report.split.test, folds: o.report.split.folds }, { test: 0, folds: 3 });
    const accs = o.evaluation.folds!.map((f) => f.accuracy!);
    const mean = accs.reduce((a, b) => a + b, 0) / 3;
    assert.ok(Math.abs((o.metrics as { accuracy: number }).accuracy - mean) < 1e-12);
    assert.ok(o.evaluation.std!.accuracy! >= 0);
    assert.equal(o.report.split.train + o.report.split.validation, 150, "the stored model is trained on every row");
    assert.throws(() => modelConfig.parse({ target: "y", network: { testSplit: -0.1 } }));
  });
});

describe("epoch schedule and learning curves (defects 7 and 8)", () => {
  test("epochs and patience adapt to the data size when not set", () => {
    const net = modelConfig.parse({ target: "y" }).network;
    // 100 rows in batches of 32: 4 steps an epoch, 750 epochs for 3,000 steps; patience a tenth, capped at 50.
    assert.deepEqual([resolveNetwork(net, 100, 25, "binary").epochs, resolveNetwork(net, 100, 25, "binary").patience], [750, 50]);
    assert.deepEqual([resolveNetwork(net, 100_000, 20_000, "binary").epochs, resolveNetwork(net, 100_000, 20_000, "binary").patience], [100, 10]);
    assert.equal(resolveNetwork(net, 2000, 150, "binary").patience, 20, "a small validation split gets at least 20");
    assert.deepEqual([resolveNetwork({ ...net, epochs: 7, patience: 2 }, 100, 25, "binary").epochs, resolveNetwork({ ...net, epochs: 7, patience: 2 }, 100, 25, "binary").patience], [7, 2]);
  });

  test("weight decay left open is 1e-3 for classifiers and 0 for regression; a configured value (0 included, as every stored config has) is kept", () => {
    const net = modelConfig.parse({ target: "y" }).network;
    assert.equal(net.weightDecay, undefined);
    assert.equal(resolveNetwork(net, 300, 60, "binary").weightDecay, 1e-3);
    assert.equal(resolveNetwork(net, 300, 60, "multiclass").weightDecay, 1e-3);
    assert.equal(resolveNetwork(net, 300, 60, "regression").weightDecay, 0);
    assert.equal(resolveNetwork({ ...net, weightDecay: 0 }, 300, 60, "binary").weightDecay, 0);
    assert.equal(resolveNetwork({ ...net, weightDecay: 0.05 }, 300, 60, "regression").weightDecay, 0.05);
  });

  test("a best epoch at the cap warns; the learning curve is stored as learning-curve.json and shown by models show", async () => {
    const table = tableFromRecords(logisticRows(150, 8, 0), "capped");
    const o = await trainModel({ table, config: cfg({ target: "label", network: { epochs: 3, learningRate: 0.001 } }), defaultName: "capped" });
    assert.ok(o.warnings.some((w) => /best epoch is the last allowed \(3\)/.test(w)), o.warnings.join("\n"));
    const curve = JSON.parse(o.files[LEARNING_CURVE_JSON]!.toString("utf8")) as LearningCurve;
    assert.equal(curve.bestEpoch, 3);
    assert.deepEqual(curve.epochs.map((e) => e.epoch), [1, 2, 3]);
    assert.deepEqual(Object.keys(curve.epochs[0]!), ["epoch", "loss", "valLoss", "valMetric"]);
    assert.equal(curve.metric, "accuracy");
    const regDir = path.join(dir, "reg-curve");
    await registerModel(ModelRegistry.open(regDir), o, table);
    let out = "";
    const io = { out: (s: string) => (out += s), err: () => {}, isTTY: false };
    assert.equal(await modelsCommand(["show", "capped", "--registry", regDir], io), 0);
    assert.match(out, /learning curves\n {2}version 1: best epoch 3 of 3 run \(cap 3, patience 8\).*best epoch is the cap/);
    assert.match(out, /valLoss {3}[▁▂▃▄▅▆▇█]{3}/);
    out = "";
    assert.equal(await modelsCommand(["show", "capped", "--registry", regDir, "--json"], io), 0);
    assert.deepEqual(JSON.parse(out).learningCurves["1"], JSON.parse(JSON.stringify(curve)));
  });
});

describe("task inference is reported (defect 9)", () => {
  test("the rule that fired is in the outcome, the summary and version.json", async () => {
    const random = seededRandom(12);
    const rows = Array.from({ length: 40 }, () => {
      const x = random();
      return { x: x.toFixed(3), grade: String(1 + Math.floor(x * 5)) };
    });
    const table = tableFromRecords(rows, "grades");
    const o = await trainModel({ table, config: cfg({ target: "grade" }), defaultName: "grades" });
    assert.equal(o.config.task, "regression");
    assert.match(o.taskRule, /^integers with 5 distinct values but 8\.0 rows per value \(< 10\); set task: multiclass/);
    const regDir = path.join(dir, "reg-task");
    const r = await registerModel(ModelRegistry.open(regDir), o, table);
    assert.match(summarize(o, r), /inferred {2}task by rule: integers with 5 distinct values/);
    assert.deepEqual((r.metadata.extra as { taskInference: unknown }).taskInference, { task: o.config.task, rule: o.taskRule });
  });
});

describe("missing values and dates end to end (defect 10)", () => {
  test("a model with date features, missing numbers and missing categories serves JSON rows exactly as it encoded training rows", async () => {
    const random = seededRandom(13);
    const rows = Array.from({ length: 160 }, (_, i) => {
      const day = new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 700) * 86_400_000).toISOString().slice(0, 10);
      const weekend = [0, 6].includes(new Date(day).getUTCDay());
      return { day: i % 17 === 0 ? null : day, x: i % 7 === 0 ? null : random().toFixed(3), c: i % 5 === 0 ? null : ["a", "b"][i % 2]!, busy: weekend ? "yes" : "no" };
    });
    const table: Table = tableFromRecords(rows, "dates");
    const o = await trainModel({ table, config: cfg({ target: "busy" }), defaultName: "dates" });
    assert.deepEqual(o.config.features.map((f) => [f.name, f.kind]), [["day", "date"], ["x", "numerical"], ["c", "categorical"]]);
    const regDir = path.join(dir, "reg-dates");
    const { metadata } = await registerModel(ModelRegistry.open(regDir), o, table);
    const loaded = await LoadedModel.load(ModelRegistry.open(regDir), metadata.model, metadata.version);
    try {
      const idx = rows.map((_, i) => i);
      const atTraining = encodeTable(loaded.preprocessor, table, idx, { numericStrings: true, junk: "impute", nonStringCategories: "read" });
      const served = encodeRows(loaded.preprocessor, rows.length, (r, k) => {
        const name = loaded.preprocessor.features[k]!.name as "day" | "x" | "c";
        const v = rows[r]![name];
        return name === "x" && v !== null ? Number(v) : v;
      }, SERVE);
      assert.deepEqual(Array.from(served), Array.from(atTraining));
    } finally {
      loaded.dispose();
    }
  });
});
