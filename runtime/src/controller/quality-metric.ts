import type { Task } from "../data/model-config.ts";
import { mlopsError } from "../errors.ts";

import type { QualityMetric } from "@pulumi-mlops/contract";

export { QUALITY_METRICS, type QualityMetric } from "@pulumi-mlops/contract";

const HIGHER_IS_BETTER: Record<QualityMetric, boolean> = { rmse: false, mae: false, r2: true, accuracy: true, rocAuc: true, logLoss: false };
const REGRESSION: ReadonlySet<string> = new Set(["rmse", "mae", "r2"]);

/** True for a metric the controller knows. */
export const isQualityMetric = (name: string): name is QualityMetric => Object.hasOwn(HIGHER_IS_BETTER, name);

/** Whether a larger value of `metric` is better (accuracy, rocAuc, r2) or worse (rmse, mae, logLoss). */
export function higherIsBetter(metric: QualityMetric): boolean {
  return HIGHER_IS_BETTER[metric];
}

/** Whether `metric` can score a model of `task` (regression metrics for regression, the others for classifiers). */
export function metricFitsTask(metric: QualityMetric, task: Task): boolean {
  return REGRESSION.has(metric) === (task === "regression");
}

/**
 * The gate's metric when the policy names none: rmse for regression; ROC AUC for binary
 * classifiers (threshold-free, insensitive to class balance); accuracy for multiclass, whose
 * macro one-vs-rest AUC silently drops classes a small holdout happens to lack.
 */
export function defaultGateMetric(task: Task): QualityMetric {
  return task === "regression" ? "rmse" : task === "binary" ? "rocAuc" : "accuracy";
}

/** How much better `candidate` is than `baseline` on `metric` (positive = better), in the metric's units. */
export function improvement(metric: QualityMetric, baseline: number, candidate: number): number {
  return higherIsBetter(metric) ? candidate - baseline : baseline - candidate;
}

/** The gate metric for a task: the policy's (MLOPS_ERR_CONFIG_INVALID when it cannot score the task), or the task's default. */
export function gateMetric(gate: { metric?: QualityMetric | undefined }, task: Task): QualityMetric {
  const metric = gate.metric ?? defaultGateMetric(task);
  if (!metricFitsTask(metric, task)) {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "controller policy", issues: [`gate.metric: ${metric} cannot score a ${task} model`] });
  }
  return metric;
}
