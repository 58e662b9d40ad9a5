import type { ResolvedModelConfig } from "../data/model-config.ts";
import { FIT, encodeTable, encodeTarget, fitPreprocessor } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { readCategory } from "../data/values.ts";
import { tf } from "../model/backend.ts";
import { classificationMetrics, regressionMetrics } from "../model/metrics.ts";
import { outputUnits } from "../model/network.ts";
import { assignFolds as foldOfRow } from "../model/split.ts";
import { labeller } from "../model/train-model.ts";
import { weighSamples } from "../model/class-weights.ts";
import { fitNetwork } from "../model/train-network.ts";

/** One fold's result. */
export interface FoldResult {
  /** The objective on the held-out fold: log loss (classification) or RMSE (regression). */
  value: number;
  /** Every metric on the held-out fold (accuracy, rocAuc, logLoss; or rmse, mae, r2). */
  metrics: Record<string, number>;
  /** Epochs trained before early stopping (or the budget). */
  epochs: number;
  /** Epoch whose weights were kept. */
  bestEpoch: number;
  /** Held-out rows scored. */
  rows: number;
}

/** A k-fold cross-validation of one network config. */
export interface CrossValidation {
  /** Mean of the folds' objective values; lower is better. */
  value: number;
  /** Name of the objective: logLoss or rmse. */
  objective: "logLoss" | "rmse";
  folds: FoldResult[];
}

/** The objective tune minimises for a task. */
export const objectiveOf = (task: ResolvedModelConfig["task"]): CrossValidation["objective"] => (task === "regression" ? "rmse" : "logLoss");

/**
 * Assigns each of `rows` (indices into the table) to one of `k` folds, seeded, with the strata
 * training keeps (model/split.ts): by class for classifiers, so every fold sees every class with
 * at least k rows, and by target quantile for regression, so every fold covers the target's
 * range. A class with a single row, which training never holds out, is dealt to a fold all the
 * same: held out there, it is left out of that fold's score (see {@link crossValidate}).
 */
export function assignFolds(table: Table, rows: readonly number[], target: string, task: ResolvedModelConfig["task"], k: number, seed: number): number[][] {
  const byRow = foldOfRow(rows, k, seed, labeller(table, { target, task }, rows));
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const r of rows) {
    const f = byRow.get(r)!;
    folds[f >= 0 ? f : next++ % k]!.push(r);
  }
  return folds;
}

/**
 * Cross-validates `config` on `folds`: for each fold, the other folds are the training rows, of
 * which a stratified `validationSplit` share steers early stopping; preprocessing is fitted on the
 * training part only (as `trainModel` does), the network trained with `fitNetwork`, and the fold
 * scored. Held-out rows of a class absent from the fold's training rows (a class with fewer rows
 * than folds) are left out of that fold's score.
 */
export async function crossValidate(input: { table: Table; config: ResolvedModelConfig; folds: readonly number[][]; shouldStop?: () => boolean }): Promise<CrossValidation> {
  const { table, config } = input;
  const objective = objectiveOf(config.task);
  const results: FoldResult[] = [];
  for (let f = 0; f < input.folds.length; f++) {
    if (input.shouldStop?.()) break;
    const heldOut = input.folds[f]!;
    const rest = input.folds.filter((_, j) => j !== f).flat();
    const inner = assignFolds(table, rest, config.target, config.task, Math.max(2, Math.round(1 / config.network.validationSplit)), config.network.seed + f);
    const valRows = inner[0]!;
    const trainRows = inner.slice(1).flat();
    const pre = fitPreprocessor(config, table, trainRows);
    const t = pre.targetTransform;
    const targetCol = table.columns.indexOf(config.target);
    const seen = (rows: number[]) => (t.task === "regression" ? rows : rows.filter((r) => t.classes.includes(readCategory(table.rows[r]![targetCol] ?? null) ?? "")));
    const known = seen(heldOut);
    const classes = t.task === "regression" ? 1 : t.classes.length;
    const split = (rows: number[]) => ({ x: encodeTable(pre, table, rows, FIT), y: encodeTarget(pre, table, rows), n: rows.length });
    const train = split(trainRows);
    const validation = split(seen(valRows));
    // The class weights trainModel would use, so a trial is scored as its config will train.
    weighSamples(config.network.classWeights, t, train, validation);
    const fit = await fitNetwork({
      task: config.task,
      classes,
      width: pre.width,
      network: config.network,
      train,
      validation,
      ...(t.task === "regression" ? { targetScale: { mean: t.mean, std: t.std } } : {}),
    });
    try {
      const test = split(known);
      const out = tf.tidy(() => fit.model.predict(tf.tensor2d(test.x, [test.n, pre.width])) as tf.Tensor);
      const pred = await out.data();
      out.dispose();
      const metrics: Record<string, number> = { ...(config.task === "regression" ? regressionMetrics(test.y, pred) : classificationMetrics(test.y, pred, outputUnits(config.task, classes))) };
      results.push({ value: metrics[objective]!, metrics, epochs: fit.history.length, bestEpoch: fit.bestEpoch, rows: test.n });
    } finally {
      fit.model.dispose();
    }
  }
  const value = results.length === input.folds.length ? results.reduce((s, r) => s + r.value, 0) / results.length : Number.NaN;
  return { value, objective, folds: results };
}
