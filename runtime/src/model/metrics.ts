import type { Task } from "../data/model-config.ts";

/** Metrics reported for a classifier: accuracy, ROC AUC (macro one-vs-rest for multiclass), log loss. */
export interface ClassificationMetrics {
  accuracy: number;
  rocAuc: number;
  logLoss: number;
}
/** Metrics reported for a regressor. */
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

/** Fraction of rows whose most probable class is the true class. `probs` is n × k row-major (k = 1 means P(class 1)). */
export function accuracy(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(probs, i, k) === labels[i]) hit++;
  return hit / n;
}

function argmaxRow(probs: ArrayLike<number>, i: number, k: number): number {
  if (k === 1) return probs[i]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < k; c++) if (probs[i * k + c]! > probs[i * k + best]!) best = c;
  return best;
}

/**
 * Area under the ROC curve for scores of the positive class, by the Mann-Whitney statistic with
 * tied scores given their average rank (matches sklearn.metrics.roc_auc_score). NaN when only
 * one class is present.
 */
export function rocAuc(positive: ArrayLike<boolean | number>, scores: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (positive[order[t]!]) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean negative log-likelihood of the true class, probabilities clipped to [1e-15, 1 - 1e-15] as sklearn does. */
export function logLoss(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  const n = labels.length;
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    let p: number;
    if (k === 1) p = Math.min(Math.max(y === 1 ? probs[i]! : 1 - probs[i]!, eps), 1 - eps);
    else {
      // Rows are renormalised after clipping, and not clipped again, as sklearn does.
      let total = 0;
      for (let c = 0; c < k; c++) total += Math.min(Math.max(probs[i * k + c]!, eps), 1 - eps);
      p = Math.min(Math.max(probs[i * k + y]!, eps), 1 - eps) / total;
    }
    sum -= Math.log(p);
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Accuracy, ROC AUC and log loss. For multiclass, AUC is the unweighted mean of one-vs-rest AUCs over classes present. */
export function classificationMetrics(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): ClassificationMetrics {
  let auc: number;
  if (k === 1) auc = rocAuc(Array.from(labels, (y) => y === 1), probs);
  else {
    const aucs: number[] = [];
    for (let c = 0; c < k; c++) {
      const scores = Float64Array.from({ length: labels.length }, (_, i) => probs[i * k + c]!);
      const a = rocAuc(Array.from(labels, (y) => y === c), scores);
      if (!Number.isNaN(a)) aucs.push(a);
    }
    auc = aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : Number.NaN;
  }
  return { accuracy: accuracy(labels, probs, k), rocAuc: auc, logLoss: logLoss(labels, probs, k) };
}

/** RMSE, MAE and R² (1 - SS_res / SS_tot; NaN for a constant target). */
export function regressionMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  const n = actual.length;
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = actual[i]! - predicted[i]!;
    se += d * d;
    ae += Math.abs(d);
    ss += (actual[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: ss > 0 ? 1 - se / ss : Number.NaN };
}

/** The metric early stopping and reports headline for a task, and whether higher is better. */
export function headlineMetric(task: Task): { name: string; higherIsBetter: boolean } {
  return task === "regression" ? { name: "rmse", higherIsBetter: false } : { name: "rocAuc", higherIsBetter: true };
}
