import { z } from "zod";
import { FIT, encodeTable, encodeTarget } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import { MODEL_JSON, WEIGHTS_BIN, deserializeModel } from "../model/artifacts.ts";
import { tf } from "../model/backend.ts";
import { IMPORTANCE_FILE, networkGradients } from "../model/loaded-model.ts";
import { classificationMetrics, headlineMetric, regressionMetrics } from "../model/metrics.ts";
import { seededRandom, shuffleInPlace } from "../model/random.ts";
import type { TrainOutcome } from "../model/train-model.ts";
import type { Explainable } from "./explainable.ts";
import { type ExplainReference, explainRows } from "./explain-rows.ts";
import { featureGroups } from "./feature-groups.ts";
import { DEFAULT_IG_STEPS } from "./integrated-gradients.ts";
import { trainingSplit } from "./training-split.ts";

/** File name of a version's global feature importance and explanation reference. */
export const IMPORTANCE_JSON = IMPORTANCE_FILE;

/** Limits of the importance computed at training time. */
export const IMPORTANCE_LIMITS = {
  /** Holdout rows whose Integrated Gradients are averaged. */
  attributionRows: 200,
  /** Holdout rows scored per permutation. */
  permutationRows: 5000,
  /** Permutations per feature. */
  repeats: 5,
  /** Training rows kept as the KernelSHAP background. */
  backgroundRows: 100,
} as const;

const featureImportance = z.object({
  name: z.string(),
  kind: z.enum(["numerical", "categorical", "date"]),
  /** Mean |Integrated Gradients attribution| over the holdout rows, in the output's units. */
  meanAbsAttribution: z.number(),
  /** Mean drop of the metric when the feature is shuffled across the holdout (positive: the feature matters). */
  permutationImportance: z.number(),
  /** Standard deviation of that drop over the repeats. */
  permutationStd: z.number(),
});

/** Schema of `importance.json` (formatVersion 1). */
export const importanceSchema = z.object({
  formatVersion: z.literal(1),
  method: z.literal("integrated-gradients"),
  /** What the attributions explain: `P(<positive class>)`, `P(predicted class)` or the regression target. */
  output: z.string(),
  steps: z.number().int().positive(),
  metric: z.object({ name: z.string(), higherIsBetter: z.boolean(), holdout: z.number() }),
  rows: z.object({ attribution: z.number().int().nonnegative(), permutation: z.number().int().nonnegative() }),
  repeats: z.number().int().positive(),
  /** Largest |Σ attributions - (f(x) - f(baseline))| over the attribution rows. */
  maxCompletenessError: z.number(),
  /** Features, most important (by mean |attribution|) first. */
  features: z.array(featureImportance),
  /** The explanation reference servers use: baseline = mean encoded training row; background = encoded training rows. */
  reference: z.object({ rows: z.number().int().positive(), baseline: z.array(z.number()), background: z.array(z.array(z.number())) }),
});

/** A version's global importance. */
export type Importance = z.output<typeof importanceSchema>;

/** Reads `importance.json`; MLOPS_ERR_REGISTRY_CORRUPT naming `key` when it is not one. */
export function parseImportance(data: Buffer, key: string, width: number): Importance {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
  }
  const parsed = importanceSchema.safeParse(json);
  if (!parsed.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
  const ref = parsed.data.reference;
  if (ref.baseline.length !== width || ref.background.length !== ref.rows || ref.background.some((r) => r.length !== width)) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `reference rows must have ${width} encoded columns` });
  }
  return parsed.data;
}

/** The explanation reference stored in an importance file. */
export function referenceOf(importance: Importance): ExplainReference {
  const ref = importance.reference;
  const width = ref.baseline.length;
  const background = new Float32Array(ref.rows * width);
  ref.background.forEach((r, i) => background.set(r, i * width));
  return { baseline: Float32Array.from(ref.baseline), background, rows: ref.rows, source: "training" };
}

/**
 * Global importance of a trained model, computed after training on the holdout split the
 * version's metrics come from: mean |Integrated Gradients attribution| per original feature
 * (baseline: the mean encoded training row) and permutation importance with the headline metric
 * (rocAuc for classifiers, rmse for regressors; accuracy when AUC is undefined), plus the
 * reference servers explain against. Seeded: the same outcome and table give the same file.
 */
export async function computeImportance(outcome: TrainOutcome, table: Table): Promise<Importance> {
  const pre = outcome.preprocessor;
  const width = pre.width;
  const trained = trainingSplit(outcome.config, table);
  // k-fold evaluation (testSplit 0) keeps no test rows: the validation rows are the holdout then.
  const split = trained.test.length > 0 ? trained : { ...trained, test: trained.validation };
  const network = await deserializeModel(outcome.files[MODEL_JSON]!, outcome.files[WEIGHTS_BIN]!, `trained model ${outcome.config.name}`);
  const outputWidth = network.outputs[0]?.shape.at(-1) ?? 1;
  const model: Explainable = {
    preprocessor: pre,
    outputWidth,
    predict: async (x, n) => {
      const y = tf.tidy(() => network.predict(tf.tensor2d(x, [n, width])) as tf.Tensor);
      try {
        return (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    },
    gradients: (x, n, outputs) => networkGradients(network, x, n, width, outputWidth, outputs),
  };
  try {
    const train = encodeTable(pre, table, split.train, FIT);
    const nTrain = split.train.length;
    const baseline = new Float64Array(width);
    for (let r = 0; r < nTrain; r++) for (let c = 0; c < width; c++) baseline[c]! += train[r * width + c]! / nTrain;
    const nb = Math.min(IMPORTANCE_LIMITS.backgroundRows, nTrain);
    const background = Array.from({ length: nb }, (_, r) => Array.from(train.subarray(r * width, (r + 1) * width)));
    const reference: ExplainReference = { baseline: Float32Array.from(baseline), background: train.slice(0, nb * width), rows: nb, source: "training" };

    const attributionRows = split.test.slice(0, IMPORTANCE_LIMITS.attributionRows);
    const xa = encodeTable(pre, table, attributionRows, FIT);
    const explained = await explainRows(model, xa, attributionRows.length, reference, { method: "ig", steps: DEFAULT_IG_STEPS });
    const groups = featureGroups(pre);
    const meanAbs = groups.map((g) => explained.reduce((s, e) => s + Math.abs(e.attributions[g.name]!), 0) / Math.max(1, explained.length));

    const permRows = split.test.slice(0, IMPORTANCE_LIMITS.permutationRows);
    const xp = encodeTable(pre, table, permRows, FIT);
    const yp = encodeTarget(pre, table, permRows);
    const task = outcome.config.task;
    const headline = headlineMetric(task);
    const metricOf = (pred: Float32Array, name: string): number => {
      const all: Record<string, number> = task === "regression" ? { ...regressionMetrics(yp, pred) } : { ...classificationMetrics(yp, pred, outputWidth) };
      return all[name]!;
    };
    const first = await model.predict(xp, permRows.length);
    let metric = { name: headline.name, higherIsBetter: headline.higherIsBetter };
    let holdout = metricOf(first, metric.name);
    if (!Number.isFinite(holdout) && task !== "regression") {
      metric = { name: "accuracy", higherIsBetter: true };
      holdout = metricOf(first, "accuracy");
    }
    const random = seededRandom(outcome.config.network.seed ^ 0x1f2e3d4c);
    const order = Int32Array.from({ length: permRows.length }, (_, i) => i);
    const features: Importance["features"] = [];
    for (const g of groups) {
      const drops: number[] = [];
      for (let rep = 0; rep < IMPORTANCE_LIMITS.repeats; rep++) {
        shuffleInPlace(order, random);
        const shuffled = xp.slice();
        for (let r = 0; r < permRows.length; r++) {
          const from = order[r]! * width + g.start;
          shuffled.set(xp.subarray(from, from + g.width), r * width + g.start);
        }
        const value = metricOf(await model.predict(shuffled, permRows.length), metric.name);
        drops.push(metric.higherIsBetter ? holdout - value : value - holdout);
      }
      const mean = drops.reduce((x, y) => x + y, 0) / drops.length;
      const std = Math.sqrt(drops.reduce((x, y) => x + (y - mean) ** 2, 0) / drops.length);
      features.push({ name: g.name, kind: g.kind, meanAbsAttribution: meanAbs[groups.indexOf(g)]!, permutationImportance: mean, permutationStd: std });
    }
    features.sort((a, b) => b.meanAbsAttribution - a.meanAbsAttribution);
    const output = task === "regression" ? pre.target : outputWidth === 1 ? `P(${(pre.targetTransform as { classes: string[] }).classes[1]})` : "P(predicted class)";
    return {
      formatVersion: 1,
      method: "integrated-gradients",
      output,
      steps: DEFAULT_IG_STEPS,
      metric: { ...metric, holdout },
      rows: { attribution: attributionRows.length, permutation: permRows.length },
      repeats: IMPORTANCE_LIMITS.repeats,
      maxCompletenessError: explained.reduce((m, e) => Math.max(m, e.completenessError), 0),
      features,
      reference: { rows: nb, baseline: Array.from(reference.baseline), background },
    };
  } finally {
    network.dispose();
  }
}

/**
 * The post-training step: computes the version's importance and adds it to the artifacts
 * (`importance.json`), so it is registered with the version. Run between `trainModel` and
 * `registerModel`.
 */
export async function attachImportance(outcome: TrainOutcome, table: Table): Promise<Importance> {
  const importance = await computeImportance(outcome, table);
  outcome.files[IMPORTANCE_JSON] = Buffer.from(`${JSON.stringify(importance)}\n`);
  return importance;
}
