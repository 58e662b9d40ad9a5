import type { ModelConfig, ResolvedModelConfig } from "../data/model-config.ts";
import { type ColumnDecision, resolveConfig } from "../data/infer-schema.ts";
import { type EncodeReport, FIT, type PreprocessorState, encodeTable, encodeTarget, featureSignature, fitPreprocessor, rowsWithTarget } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { type ReferenceProfile, buildReferenceProfile } from "../drift/index.ts";
import { describeError, mlopsError } from "../errors.ts";
import { datasetLineage } from "../data/dataset-snapshot.ts";
import { type ModelRegistry, type VersionMetadata, appendEvent } from "../registry/index.ts";
import type { DatasetSnapshot, TuningLineage } from "../registry/version-metadata.ts";
import { serializeModel } from "./artifacts.ts";
import { type BackendChoice, initBackend, tf } from "./backend.ts";
import { type ClassificationMetrics, type RegressionMetrics, classificationMetrics, regressionMetrics } from "./metrics.ts";
import { outputUnits } from "./network.ts";
import { seededRandom, shuffleInPlace } from "./random.ts";
import { type EpochProgress, type FitResult, fitNetwork } from "./train-network.ts";

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

/** How the data looked, for the user: column decisions, dropped rows, dirty values, split sizes. */
export interface DataReport {
  decisions: ColumnDecision[];
  droppedRows: number;
  split: { train: number; validation: number; test: number };
  issues: EncodeReport["features"];
}

/** A trained model, ready to register. */
export interface TrainOutcome {
  config: ResolvedModelConfig;
  preprocessor: PreprocessorState;
  backend: BackendChoice;
  fit: Omit<FitResult, "model">;
  /** Metrics on the held-out test split. */
  metrics: ClassificationMetrics | RegressionMetrics;
  report: DataReport;
  /** Artifacts to store: model.json, weights.bin, preprocessor.json. */
  files: Record<string, Buffer>;
  /** The raw-feature signature served in model metadata. */
  signature: ReturnType<typeof featureSignature>;
}

/**
 * The drift reference of the training split's features, stored with the version so monitoring
 * never reloads the training set.
 */
function referenceProfile(config: ResolvedModelConfig, table: Table, rows: readonly number[]): ReferenceProfile {
  const cols = config.features.map((f) => table.columns.indexOf(f.name));
  const features: Table = { source: table.source, digest: table.digest, columns: config.features.map((f) => f.name), rows: rows.map((i) => cols.map((j) => table.rows[i]![j] ?? null)) };
  return buildReferenceProfile(features, Object.fromEntries(config.features.map((f) => [f.name, f.kind])));
}

/**
 * The whole training pipeline: resolve the config against the data, split (seeded), fit
 * preprocessing on the training split only, train, score the test split, serialise.
 */
export async function trainModel(request: TrainRequest): Promise<TrainOutcome> {
  const backend = await initBackend();
  const { config, decisions } = resolveConfig(request.config, request.table, request.defaultName);
  const { rows, dropped } = rowsWithTarget(request.table, config.target, config.task);
  const n = rows.length;
  const nTest = Math.max(1, Math.round(n * config.network.testSplit));
  const nVal = Math.max(1, Math.round((n - nTest) * config.network.validationSplit));
  if (n < MIN_ROWS || n - nTest - nVal < 1) throw mlopsError("MLOPS_ERR_DATA_TOO_SMALL", { rows: n, needed: MIN_ROWS });
  shuffleInPlace(rows, seededRandom(config.network.seed ^ 0x5f3759df));
  const testRows = rows.slice(0, nTest);
  const valRows = rows.slice(nTest, nTest + nVal);
  const trainRows = rows.slice(nTest + nVal);

  const preprocessor = fitPreprocessor(config, request.table, trainRows);
  const t = preprocessor.targetTransform;
  const classes = t.task === "regression" ? 1 : t.classes.length;
  const report: EncodeReport = { rows: 0, features: {} };
  const split = (r: number[], rep?: EncodeReport) => {
    const y = encodeTarget(preprocessor, request.table, r);
    return { x: encodeTable(preprocessor, request.table, r, FIT, rep), y, n: r.length };
  };
  const train = split(trainRows, report);
  const validation = split(valRows);
  const test = split(testRows);

  const fit = await fitNetwork({
    task: config.task,
    classes,
    width: preprocessor.width,
    network: config.network,
    train,
    validation,
    ...(t.task === "regression" ? { targetScale: { mean: t.mean, std: t.std } } : {}),
    ...(request.onEpoch ? { onEpoch: request.onEpoch } : {}),
  });
  try {
    const out = tf.tidy(() => fit.model.predict(tf.tensor2d(test.x, [test.n, preprocessor.width])) as tf.Tensor);
    const pred = await out.data();
    out.dispose();
    const metrics = config.task === "regression" ? regressionMetrics(test.y, pred) : classificationMetrics(test.y, pred, outputUnits(config.task, classes));
    const files = await serializeModel(fit.model);
    files[PREPROCESSOR_JSON] = Buffer.from(JSON.stringify(preprocessor, null, 2));
    files[REFERENCE_PROFILE_JSON] = Buffer.from(JSON.stringify(referenceProfile(config, request.table, trainRows)));
    const { model: _model, ...fitSummary } = fit;
    return {
      config,
      preprocessor,
      backend,
      fit: fitSummary,
      metrics,
      report: { decisions, droppedRows: dropped, split: { train: train.n, validation: validation.n, test: test.n }, issues: report.features },
      files,
      signature: featureSignature(preprocessor),
    };
  } finally {
    fit.model.dispose();
  }
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
      },
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
