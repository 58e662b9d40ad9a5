import { type ModelConfig, type NetworkConfig, type ResolvedModelConfig, type ResolvedNetworkConfig, type Task, resolveNetwork } from "../data/model-config.ts";
import { trainedBy } from "./trained-by.ts";
import { type ColumnDecision, resolveConfig } from "../data/infer-schema.ts";
import { type EncodeReport, FIT, type PreprocessorState, encodeTable, encodeTarget, featureSignature, fitPreprocessor, rowsWithTarget } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { type ReferenceProfile, buildReferenceProfile } from "../drift/index.ts";
import { describeError, mlopsError, showValue } from "../errors.ts";
import { readCategory, readDate, readNumber } from "../data/values.ts";
import { datasetLineage } from "../data/dataset-snapshot.ts";
import { type ModelRegistry, type VersionMetadata, appendEvent } from "../registry/index.ts";
import type { DatasetSnapshot, TuningLineage } from "../registry/version-metadata.ts";
import { serializeModel } from "./artifacts.ts";
import { type BackendChoice, initBackend, tf } from "./backend.ts";
import { LEARNING_CURVE_JSON, type LearningCurve } from "./learning-curve.ts";
import { fitLogistic, fitRidge, predictLinear } from "./linear-models.ts";
import { type ClassificationMetrics, type RegressionMetrics, argmaxRow, bootstrapIntervals, chooseThreshold, gatherRows, headlineMetric, taskMetrics } from "./metrics.ts";
import { MIN_CLASS_ROWS, type RowSplit, assignFolds, splitRows } from "./split.ts";
import { weighSamples } from "./class-weights.ts";
import { type EpochProgress, type FitResult, type TrainingSplit, fitNetwork } from "./train-network.ts";

/** File name of the fitted preprocessing inside a registry version. */
export const PREPROCESSOR_JSON = "preprocessor.json";
/** File name of the training data's drift reference profile inside a registry version. */
export const REFERENCE_PROFILE_JSON = "reference-profile.json";
/** Fewest usable rows that can be split three ways. */
const MIN_ROWS = 10;

/** What to train. */
export interface TrainRequest {
  table: Table;
  config: ModelConfig;
  /** Model name when the config has none. */
  defaultName: string;
  onEpoch?: (p: EpochProgress) => void;
}

/** Columns left out by inference, by rule, for the training report. */
export interface DroppedColumns {
  rowId: string[];
  constant: string[];
  identifier: string[];
  empty: string[];
}

/** How the data looked, for the user: column decisions, dropped rows, dirty values, split sizes. */
export interface DataReport {
  decisions: ColumnDecision[];
  droppedRows: number;
  /** Rows per split; with k-fold evaluation `test` is 0 and `folds` is k. */
  split: { train: number; validation: number; test: number; folds?: number };
  issues: EncodeReport["features"];
  /** Columns inference left out, by rule (also in `decisions`). */
  droppedColumns: DroppedColumns;
}

/** Metrics of one predictor on the evaluation rows. */
export type MetricValues = Record<string, number>;

/** The majority/mean and linear baselines, evaluated like the model. */
export interface Baselines {
  /** Predicts the training class shares (classification) or the training mean (regression). */
  majority: MetricValues;
  /** Logistic regression (C = 1, the model's class weights) or ridge regression (alpha = 1) on the same encoded rows. */
  linear: MetricValues;
  /** The metric compared, and whether higher is better. */
  metric: string;
  higherIsBetter: boolean;
  /** Per baseline: "better" (the model beats it beyond the 95 % interval), "tie" (its value lies inside the interval) or "worse". */
  verdict: { majority: "better" | "tie" | "worse"; linear: "better" | "tie" | "worse" };
  /** One line for people. */
  summary: string;
}

/** How the reported metrics were obtained and how sure they are. */
export interface Evaluation {
  method: "holdout" | "kfold";
  /** Rows the metrics were computed on (the test split, or every row across the folds). */
  rows: number;
  /** 95 % intervals per metric: percentile bootstrap over the test rows (holdout) or mean ± 1.96 · std / √k across folds (kfold). */
  intervals: Record<string, [number, number]>;
  /** Holdout: the bootstrap's resamples, seed and level. */
  bootstrap?: { resamples: number; seed: number; level: number };
  /** K-fold: per-fold metrics and the standard deviation across folds. */
  folds?: MetricValues[];
  std?: MetricValues;
}

/** A trained model, ready to register. */
export interface TrainOutcome {
  config: ResolvedModelConfig;
  preprocessor: PreprocessorState;
  backend: BackendChoice;
  /** The early-stopping run (its history is the learning curve). */
  fit: Omit<FitResult, "model">;
  /** Metrics on the held-out test split (holdout), or the mean across folds (k-fold). */
  metrics: ClassificationMetrics | RegressionMetrics;
  report: DataReport;
  /** Artifacts to store: model.json, weights.bin, preprocessor.json, reference-profile.json, learning-curve.json. */
  files: Record<string, Buffer>;
  /** The raw-feature signature served in model metadata. */
  signature: ReturnType<typeof featureSignature>;
  /** Which task-inference rule fired (or "set in config"). */
  taskRule: string;
  evaluation: Evaluation;
  baselines: Baselines;
  /** Binary: the decision threshold on P(positive class) and how it was chosen. */
  threshold?: { value: number; chosenBy: "balanced-accuracy" | "f1" | "config" };
  /** Per-class loss weights used, and why. @default - absent for regression */
  classWeights?: { weights: Record<string, number>; rule: string };
  /** The refit on train + validation, when there was one. */
  refit?: { epochs: number; rows: number };
  learningCurve: LearningCurve;
  /** Things a data scientist should look at (best epoch at the cap, one predicted class, rare classes). */
  warnings: string[];
}

/**
 * The drift reference of the training split's features, stored with the version so monitoring
 * never reloads the training set. Dates are profiled as days since the epoch (numerical).
 */
function referenceProfile(config: ResolvedModelConfig, table: Table, rows: readonly number[]): ReferenceProfile {
  const cols = config.features.map((f) => table.columns.indexOf(f.name));
  const cell = (i: number, k: number) => {
    const v = table.rows[i]![cols[k]!] ?? null;
    const kind = config.features[k]!.kind;
    if (kind === "categorical") return v;
    // Junk tolerated by inference is missing here too, as it is for the encoder.
    if (kind === "numerical") {
      const r = readNumber(v, true);
      return r.kind === "number" ? r.value : null;
    }
    const t = readDate(v);
    return t === null ? null : t / 86_400_000;
  };
  const features: Table = { source: table.source, digest: table.digest, columns: config.features.map((f) => f.name), rows: rows.map((i) => cols.map((_, k) => cell(i, k))) };
  return buildReferenceProfile(features, Object.fromEntries(config.features.map((f) => [f.name, f.kind === "categorical" ? "categorical" : "numerical"])));
}

export { LEARNING_CURVE_JSON, type LearningCurve, type LearningCurveEpoch } from "./learning-curve.ts";
export { BINARY_IMBALANCE, resolveClassWeights } from "./class-weights.ts";

/** Rows the linear baseline is fitted on at most (the first of the shuffled training rows). */
const LINEAR_MAX_ROWS = 20_000;

/** One fitted preprocessing + network on some rows, optionally early-stopped on others. */
interface Stage {
  table: Table;
  preprocessor: PreprocessorState;
  fit: FitResult;
  network: ResolvedNetworkConfig;
  classWeights?: { weights: Float64Array; rule: string };
  train: TrainingSplit;
  report: EncodeReport;
  /** Validation outputs of the early-stopped network, for choosing the threshold. */
  valOutputs?: Float32Array;
  valY?: Float64Array;
}

/** Everything a stage needs besides its rows. */
interface StageContext {
  table: Table;
  config: ResolvedModelConfig;
  network: NetworkConfig;
  onEpoch?: (p: EpochProgress) => void;
}

async function trainStage(ctx: StageContext, fitRows: readonly number[], valRows: readonly number[] | undefined, epochs?: number): Promise<Stage> {
  const preprocessor = fitPreprocessor(ctx.config, ctx.table, fitRows);
  const t = preprocessor.targetTransform;
  const classes = t.task === "regression" ? 1 : t.classes.length;
  const report: EncodeReport = { rows: 0, features: {} };
  const encode = (r: readonly number[], rep?: EncodeReport): TrainingSplit => ({ x: encodeTable(preprocessor, ctx.table, r, FIT, rep), y: encodeTarget(preprocessor, ctx.table, r), n: r.length });
  const train = encode(fitRows, report);
  const validation = valRows ? encode(valRows) : undefined;
  const classWeights = weighSamples(ctx.network.classWeights, t, train, validation);
  const network: ResolvedNetworkConfig = epochs === undefined ? resolveNetwork(ctx.network, train.n, validation?.n ?? 0, ctx.config.task) : { ...resolveNetwork(ctx.network, train.n, 0, ctx.config.task), epochs, patience: 0 };
  const fit = await fitNetwork({
    task: ctx.config.task,
    classes,
    width: preprocessor.width,
    network,
    train,
    ...(validation ? { validation } : {}),
    ...(t.task === "regression" ? { targetScale: { mean: t.mean, std: t.std } } : {}),
    ...(ctx.onEpoch && validation ? { onEpoch: ctx.onEpoch } : {}),
  });
  const stage: Stage = { table: ctx.table, preprocessor, fit, network, train, report, ...(classWeights ? { classWeights } : {}) };
  if (validation && t.task === "binary") {
    stage.valOutputs = await predictNetwork(fit.model, validation.x, validation.n, preprocessor.width);
    stage.valY = validation.y as Float64Array;
  }
  return stage;
}

async function predictNetwork(model: tf.LayersModel, x: Float32Array, n: number, width: number): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor2d(x, [n, width])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** The threshold for a binary stage: fixed in the config or chosen on its validation outputs. */
function thresholdOf(setting: NetworkConfig["threshold"], stage: Stage): { value: number; chosenBy: "balanced-accuracy" | "f1" | "config" } {
  if (typeof setting === "number") return { value: setting, chosenBy: "config" };
  return { value: chooseThreshold(stage.valY!, stage.valOutputs!, setting), chosenBy: setting };
}

/** Predictions of the baselines for `test`, fitted on `stage`'s training rows and encoding. */
function baselineOutputs(task: Task, stage: Stage, test: TrainingSplit, k: number): { majority: Float64Array; linear: Float64Array } {
  const { train } = stage;
  const width = stage.preprocessor.width;
  const majority = new Float64Array(test.n * k);
  const m = Math.min(train.n, LINEAR_MAX_ROWS);
  if (task === "regression") {
    let mean = 0;
    for (const y of train.y) mean += y;
    majority.fill(mean / train.n);
    return { majority, linear: predictLinear(fitRidge(train.x, train.y, m, width, 1), test.x, test.n) };
  }
  const classes = task === "binary" ? 2 : k;
  const counts = new Float64Array(classes);
  for (const y of train.y) counts[y]!++;
  for (let i = 0; i < test.n; i++) {
    if (k === 1) majority[i] = counts[1]! / train.n;
    else for (let c = 0; c < k; c++) majority[i * k + c] = counts[c]! / train.n;
  }
  const sampleWeight = stage.classWeights ? Float64Array.from(train.y.subarray(0, m), (y) => stage.classWeights!.weights[y]!) : undefined;
  const model = fitLogistic(train.x, train.y, m, width, classes, sampleWeight ? { sampleWeight } : {});
  return { majority, linear: predictLinear(model, test.x, test.n) };
}

function verdictOf(model: number, baseline: number, interval: [number, number] | undefined, higherIsBetter: boolean): "better" | "tie" | "worse" {
  if (!Number.isFinite(model) || !Number.isFinite(baseline)) return "tie";
  if (interval && Number.isFinite(interval[0]) && baseline >= interval[0] && baseline <= interval[1]) return "tie";
  return (higherIsBetter ? model > baseline : model < baseline) ? "better" : "worse";
}

function compareBaselines(task: Task, metrics: MetricValues, majority: MetricValues, linear: MetricValues, intervals: Record<string, [number, number]>): Baselines {
  const { name, higherIsBetter } = headlineMetric(task);
  const verdict = { majority: verdictOf(metrics[name]!, majority[name]!, intervals[name], higherIsBetter), linear: verdictOf(metrics[name]!, linear[name]!, intervals[name], higherIsBetter) };
  const linearName = task === "regression" ? "ridge regression" : "logistic regression";
  const majorityName = task === "regression" ? "mean predictor" : "majority predictor";
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "undefined" : v.toFixed(4));
  const say = (v: "better" | "tie" | "worse", what: string, value: number | undefined) =>
    `${v === "better" ? "beats" : v === "tie" ? "ties (within the 95 % interval)" : "does NOT beat"} the ${what} (${name} ${fmt(value)})`;
  const summary = `model ${name} ${fmt(metrics[name])}: ${say(verdict.linear, linearName, linear[name])}; ${say(verdict.majority, majorityName, majority[name])}`;
  return { majority, linear, metric: name, higherIsBetter, verdict, summary };
}

/** The strata the splits keep: the class label, or for regression the target's quantile bin (undefined: too few rows to bin). */
export function labeller(table: Table, config: Pick<ResolvedModelConfig, "target" | "task">, rows: readonly number[]): ((row: number) => string) | undefined {
  const j = table.columns.indexOf(config.target);
  if (config.task !== "regression") return (row) => readCategory(table.rows[row]![j]) ?? "";
  // Regression: strata are target quantile bins (by rank, ties broken by row), at most 10 and at
  // least 10 rows each, so every split sees the whole range of the target, tails included.
  const bins = Math.min(10, Math.floor(rows.length / 10));
  if (bins < 2) return undefined;
  const value = new Map<number, number>(
    rows.map((r) => {
      const v = readNumber(table.rows[r]![j], true);
      return [r, v.kind === "number" ? v.value : Number.NaN];
    }),
  );
  const ranked = [...rows].sort((a, b) => value.get(a)! - value.get(b)! || a - b);
  const bin = new Map<number, string>(ranked.map((r, rank) => [r, String(Math.floor((rank * bins) / ranked.length))]));
  return (row) => bin.get(row) ?? "";
}

/** Metrics mean, std and normal-approximation interval across folds. */
function acrossFolds(folds: MetricValues[]): { mean: MetricValues; std: MetricValues; intervals: Record<string, [number, number]> } {
  const mean: MetricValues = {};
  const std: MetricValues = {};
  const intervals: Record<string, [number, number]> = {};
  for (const k of Object.keys(folds[0] ?? {})) {
    const vs = folds.map((f) => f[k]!).filter((v) => Number.isFinite(v));
    if (vs.length === 0) {
      mean[k] = Number.NaN;
      continue;
    }
    const m = vs.reduce((a, b) => a + b, 0) / vs.length;
    const sd = vs.length > 1 ? Math.sqrt(vs.reduce((a, b) => a + (b - m) ** 2, 0) / (vs.length - 1)) : 0;
    mean[k] = m;
    std[k] = sd;
    const half = (1.96 * sd) / Math.sqrt(vs.length);
    intervals[k] = [m - half, m + half];
  }
  return { mean, std, intervals };
}

/**
 * The whole training pipeline: resolve the config against the data, split (seeded, stratified for
 * classification), fit preprocessing on the training split only, train with early stopping,
 * choose the binary threshold on validation, refit on train + validation for the best epoch count,
 * score the test split (bootstrap intervals, baselines), serialise. With `testSplit: 0` the
 * metrics come from k-fold cross-validation and the stored model is trained on every row.
 */
export async function trainModel(request: TrainRequest): Promise<TrainOutcome> {
  const backend = await initBackend();
  const { config, decisions, taskRule } = resolveConfig(request.config, request.table, request.defaultName);
  const { rows, dropped } = rowsWithTarget(request.table, config.target, config.task);
  const network = request.config.network;
  const n = rows.length;
  if (n < MIN_ROWS) throw mlopsError("MLOPS_ERR_DATA_TOO_SMALL", { rows: n, needed: MIN_ROWS });
  const labelOf = labeller(request.table, config, rows);
  const ctx: StageContext = { table: request.table, config, network, ...(request.onEpoch ? { onEpoch: request.onEpoch } : {}) };
  const warnings: string[] = [];
  const kfold = network.testSplit === 0;

  let evalRows: number[];
  let finalFitRows: number[];
  let finalValRows: number[];
  let foldMetrics: MetricValues[] = [];
  let foldMajority: MetricValues[] = [];
  let foldLinear: MetricValues[] = [];
  let rare: RowSplit["rareClasses"];
  if (kfold) {
    const folds = assignFolds(rows, network.folds, network.seed, labelOf);
    if (n < 2 * network.folds) throw mlopsError("MLOPS_ERR_DATA_TOO_SMALL", { rows: n, needed: 2 * network.folds });
    for (let f = 0; f < network.folds; f++) {
      const test = rows.filter((r) => folds.get(r) === f);
      const rest = rows.filter((r) => folds.get(r) !== f);
      const inner = splitRows(rest, 0, network.validationSplit, network.seed + f + 1, labelOf);
      const { onEpoch: _quiet, ...foldCtx } = ctx;
      const stage = await trainStage(foldCtx, inner.train, inner.validation);
      try {
        const r = await evaluateStage(stage, test, config.task === "binary" ? thresholdOf(network.threshold, stage).value : undefined);
        foldMetrics.push(r.metrics);
        foldMajority.push(r.majority);
        foldLinear.push(r.linear);
      } finally {
        stage.fit.model.dispose();
      }
    }
    const all = splitRows(rows, 0, network.validationSplit, network.seed, labelOf);
    evalRows = [];
    finalFitRows = all.train;
    finalValRows = all.validation;
    rare = all.rareClasses;
  } else {
    const split = splitRows(rows, network.testSplit, network.validationSplit, network.seed, labelOf);
    if (split.train.length < 1 || split.validation.length < 1 || split.test.length < 1) throw mlopsError("MLOPS_ERR_DATA_TOO_SMALL", { rows: n, needed: MIN_ROWS });
    evalRows = split.test;
    finalFitRows = split.train;
    finalValRows = split.validation;
    rare = split.rareClasses;
  }
  for (const c of rare) warnings.push(`class ${showValue(c.label)} has only ${c.rows} row${c.rows === 1 ? "" : "s"} (fewer than ${MIN_CLASS_ROWS}): it is in the training split only, so no metric covers it`);

  // Early stopping, then (by default) a refit on train + validation for the best epoch count.
  const early = await trainStage(ctx, finalFitRows, finalValRows);
  const threshold = config.task === "binary" ? thresholdOf(network.threshold, early) : undefined;
  let final = early;
  if (network.refit && early.fit.bestEpoch > 0) {
    final = await trainStage(ctx, [...finalFitRows, ...finalValRows], undefined, early.fit.bestEpoch);
    early.fit.model.dispose();
  }
  try {
    const t = final.preprocessor.targetTransform;
    if (threshold && t.task !== "regression") t.threshold = threshold.value;
    const task = config.task;
    let metrics: MetricValues;
    let evaluation: Evaluation;
    let baselines: Baselines;
    if (kfold) {
      const agg = acrossFolds(foldMetrics);
      metrics = agg.mean;
      evaluation = { method: "kfold", rows: n, intervals: agg.intervals, folds: foldMetrics, std: agg.std };
      baselines = compareBaselines(task, metrics, acrossFolds(foldMajority).mean, acrossFolds(foldLinear).mean, agg.intervals);
    } else {
      const r = await evaluateStage(final, evalRows, threshold?.value);
      metrics = r.metrics;
      evaluation = { method: "holdout", rows: evalRows.length, intervals: r.intervals, bootstrap: r.bootstrap };
      baselines = compareBaselines(task, metrics, r.majority, r.linear, r.intervals);
      if (r.predictedClasses === 1 && t.task !== "regression") warnings.push(`the model predicts one class (${showValue(t.classes[r.onlyClass]!)}) for every test row: accuracy ${metrics.accuracy?.toFixed(4)} is the share of that class; try classWeights "balanced" or more epochs`);
    }
    if (early.fit.bestEpoch === early.network.epochs && early.network.patience > 0) {
      warnings.push(`the best epoch is the last allowed (${early.network.epochs}): the validation loss was still improving; raise network.epochs`);
    }
    const files = await serializeModel(final.fit.model);
    files[PREPROCESSOR_JSON] = Buffer.from(JSON.stringify(final.preprocessor, null, 2));
    files[REFERENCE_PROFILE_JSON] = Buffer.from(JSON.stringify(referenceProfile(config, request.table, final === early ? finalFitRows : [...finalFitRows, ...finalValRows])));
    const { model: _model, ...fitSummary } = early.fit;
    const learningCurve: LearningCurve = {
      metric: task === "regression" ? "rmse" : "accuracy",
      epochs: early.fit.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valLoss: h.valLoss, valMetric: h.valMetric.value })),
      bestEpoch: early.fit.bestEpoch,
      epochCap: early.network.epochs,
      patience: early.network.patience,
      stoppedEarly: early.fit.stoppedEarly,
      ...(final !== early ? { refit: { epochs: final.fit.history.length, rows: final.train.n, loss: final.fit.history.map((h) => h.loss) } } : {}),
    };
    files[LEARNING_CURVE_JSON] = Buffer.from(JSON.stringify(learningCurve, null, 2));
    const resolved: ResolvedModelConfig = { ...config, network: early.network };
    const droppedColumns: DroppedColumns = { rowId: [], constant: [], identifier: [], empty: [] };
    for (const d of decisions) {
      if (d.rule === "row-id") droppedColumns.rowId.push(d.column);
      else if (d.rule === "constant") droppedColumns.constant.push(d.column);
      else if (d.rule === "identifier") droppedColumns.identifier.push(d.column);
      else if (d.rule === "empty") droppedColumns.empty.push(d.column);
    }
    const cw = final.classWeights ?? early.classWeights;
    const classes = t.task === "regression" ? [] : t.classes;
    return {
      config: resolved,
      preprocessor: final.preprocessor,
      backend,
      fit: fitSummary,
      metrics: metrics as unknown as ClassificationMetrics | RegressionMetrics,
      report: {
        decisions,
        droppedRows: dropped,
        split: { train: finalFitRows.length, validation: finalValRows.length, test: evalRows.length, ...(kfold ? { folds: network.folds } : {}) },
        issues: early.report.features,
        droppedColumns,
      },
      files,
      signature: featureSignature(final.preprocessor),
      taskRule,
      evaluation,
      baselines,
      ...(threshold ? { threshold } : {}),
      ...(cw ? { classWeights: { weights: Object.fromEntries(classes.map((c, i) => [c, Math.round(cw.weights[i]! * 1e6) / 1e6])), rule: cw.rule } } : {}),
      ...(final !== early ? { refit: { epochs: final.fit.history.length, rows: final.train.n } } : {}),
      learningCurve,
      warnings,
    };
  } finally {
    final.fit.model.dispose();
  }
}

/** Bootstrap resamples of the test rows for the intervals (fewer on large test splits, where they are narrow anyway). */
const resamplesFor = (n: number) => (n <= 5000 ? 1000 : 200);

/** Scores a stage's network and its baselines on `rows`, with bootstrap intervals for the network. */
async function evaluateStage(stage: Stage, rows: readonly number[], threshold?: number) {
  const pre = stage.preprocessor;
  const t = pre.targetTransform;
  const task: Task = t.task;
  const k = t.task === "multiclass" ? t.classes.length : 1;
  const table = stage.table;
  const test: TrainingSplit = { x: encodeTable(pre, table, rows, FIT), y: encodeTarget(pre, table, rows), n: rows.length };
  const pred = await predictNetwork(stage.fit.model, test.x, test.n, pre.width);
  const th = threshold ?? 0.5;
  const metrics = taskMetrics(task, test.y, pred, k, th);
  const seed = 42;
  const resamples = resamplesFor(test.n);
  const intervals = bootstrapIntervals(test.n, (idx) => taskMetrics(task, gatherRows(test.y, idx, 1), gatherRows(pred, idx, k), k, th), { resamples, seed });
  const base = baselineOutputs(task, stage, test, k);
  const classCounts = new Map<number, number>();
  if (task !== "regression") for (let i = 0; i < test.n; i++) classCounts.set(argmaxRow(pred, i, k, th), 1);
  return {
    metrics,
    intervals,
    bootstrap: { resamples, seed, level: 0.95 },
    majority: taskMetrics(task, test.y, base.majority, k, 0.5),
    linear: taskMetrics(task, test.y, base.linear, k, 0.5),
    predictedClasses: classCounts.size,
    onlyClass: [...classCounts.keys()][0] ?? 0,
  };
}
/** A trained model written to the registry. */
export interface Registered {
  metadata: VersionMetadata;
  /** Set when this version became the champion because the model had none. */
  promoted: boolean;
  /** Metrics left out of the registry because they were not finite (e.g. AUC with one class in the test split). */
  undefinedMetrics: string[];
  /**
   * Steps after the version landed that failed (its history event, the first version's champion
   * alias): the version is registered all the same, and each entry says how to finish by hand.
   */
  warnings: string[];
}

/**
 * Stores a trained model as a new registry version with its lineage; the first version of a
 * model becomes its champion, later ones wait for a promotion.
 */
export async function registerModel(
  registry: ModelRegistry,
  outcome: TrainOutcome,
  table: Table,
  parent: number | null = null,
  snapshot?: DatasetSnapshot,
  lineage: { tuning?: TuningLineage } = {},
): Promise<Registered> {
  const metrics: Record<string, number> = {};
  const undefinedMetrics: string[] = [];
  for (const [k, v] of Object.entries(outcome.metrics)) {
    if (Number.isFinite(v)) metrics[k] = v;
    else undefinedMetrics.push(k);
  }
  const { split } = outcome.report;
  const metadata = await registry.createVersion(outcome.config.name, {
    files: outcome.files,
    parent,
    dataset: datasetLineage(table, split.train + split.validation + split.test, snapshot),
    backend: outcome.backend.name,
    config: outcome.config,
    metrics,
    ...(lineage.tuning ? { tuning: lineage.tuning } : {}),
    extra: {
      signature: outcome.signature,
      report: outcome.report,
      training: {
        epochs: outcome.fit.history.length,
        bestEpoch: outcome.fit.bestEpoch,
        stoppedEarly: outcome.fit.stoppedEarly,
        samplesPerSecond: Math.round(outcome.fit.samplesPerSecond),
        epochCap: outcome.learningCurve.epochCap,
        patience: outcome.learningCurve.patience,
        refit: outcome.refit ?? null,
        threshold: outcome.threshold ?? null,
        classWeights: outcome.classWeights ?? null,
        warnings: outcome.warnings,
      },
      taskInference: { task: outcome.config.task, rule: outcome.taskRule },
      evaluation: outcome.evaluation,
      baselines: outcome.baselines,
      trainedBy: trainedBy(),
    },
  });
  // The version is visible from here on: what follows may fail (a full disk, a store outage) but
  // must not make the command report failure for a version that exists.
  let promoted = false;
  const warnings: string[] = [];
  const model = metadata.model;
  let aliases: Record<string, number> | undefined;
  try {
    aliases = await registry.getAliases(model);
  } catch (err) {
    warnings.push(`could not read the aliases of ${model}: ${describeError(err)}`);
  }
  const summary = Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
  try {
    await appendEvent(registry, model, {
      type: "registered",
      version: metadata.version,
      ...(aliases?.champion === undefined ? {} : { champion: aliases.champion }),
      actor: lineage.tuning ? "tune" : "train",
      reason: `${lineage.tuning ? `best config of tuning search ${lineage.tuning.searchId} (trial ${lineage.tuning.trial}) ` : ""}trained on ${table.source} (${metadata.dataset.rows} rows${parent === null ? "" : `, retrained from version ${parent}`}): ${summary}`,
      details: { metrics, dataset: metadata.dataset, parent },
    });
  } catch (err) {
    warnings.push(`could not record the registration in the history: ${describeError(err)}`);
  }
  if (aliases !== undefined && aliases.champion === undefined) {
    try {
      await registry.setAlias(model, "champion", metadata.version);
      promoted = true;
      await appendEvent(registry, model, { type: "alias-moved", version: metadata.version, champion: metadata.version, actor: "train", reason: "first version of the model becomes champion", details: { alias: "champion" } });
    } catch (err) {
      warnings.push(
        promoted
          ? `version ${metadata.version} is champion, but the alias move was not recorded in the history: ${describeError(err)}`
          : `could not make version ${metadata.version} the champion: ${describeError(err)}; run \`mlops models alias ${model} champion ${metadata.version}\``,
      );
    }
  }
  return { metadata, promoted, undefinedMetrics, warnings };
}
