import type { Task } from "../data/model-config.ts";
import { seededRandom } from "./random.ts";

/**
 * Metrics reported for a classifier: accuracy, ROC AUC (macro one-vs-rest for multiclass), log
 * loss, balanced accuracy (mean recall over the classes present); for binary tasks also PR AUC
 * (average precision, as sklearn.metrics.average_precision_score) and F1 of the positive class.
 * Accuracy, balanced accuracy and F1 use the decision threshold for binary tasks.
 */
export interface ClassificationMetrics {
  accuracy: number;
  rocAuc: number;
  logLoss: number;
  balancedAccuracy?: number;
  prAuc?: number;
  f1?: number;
}
/** Metrics reported for a regressor. */
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

/** Fraction of rows whose most probable class is the true class. `probs` is n × k row-major (k = 1 means P(class 1)). */
export function accuracy(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number, threshold = 0.5): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(probs, i, k, threshold) === labels[i]) hit++;
  return hit / n;
}

/** The predicted class of row i: argmax, or for k = 1 P(class 1) >= threshold. */
export function argmaxRow(probs: ArrayLike<number>, i: number, k: number, threshold = 0.5): number {
  if (k === 1) return probs[i]! >= threshold ? 1 : 0;
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

/**
 * Average precision of scores for the positive class: Σ (R_t - R_{t-1}) · P_t over the distinct
 * score thresholds from high to low (sklearn.metrics.average_precision_score, the usual "PR AUC"
 * without the optimistic linear interpolation). NaN when no row is positive.
 */
export function averagePrecision(positive: ArrayLike<boolean | number>, scores: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  if (nPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let recallBefore = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      if (positive[order[j]!]) tp++;
      else fp++;
      j++;
    }
    const recall = tp / nPos;
    ap += (recall - recallBefore) * (tp / (tp + fp));
    recallBefore = recall;
    i = j;
  }
  return ap;
}

/** Mean recall over the classes present in `labels` (sklearn.metrics.balanced_accuracy_score). */
export function balancedAccuracy(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number, threshold = 0.5): number {
  const classes = Math.max(k, 2);
  const total = new Float64Array(classes);
  const hit = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    total[y]!++;
    if (argmaxRow(probs, i, k, threshold) === y) hit[y]!++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    if (total[c]! > 0) {
      sum += hit[c]! / total[c]!;
      present++;
    }
  }
  return present ? sum / present : Number.NaN;
}

/** F1 of class 1 for P(class 1) >= threshold; 0 when there is no true or predicted positive (sklearn's zero_division=0). */
export function f1Score(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold = 0.5): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const pred = probs[i]! >= threshold;
    if (pred && labels[i] === 1) tp++;
    else if (pred) fp++;
    else if (labels[i] === 1) fn++;
  }
  return tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** How a binary decision threshold is chosen on validation rows. */
export type ThresholdObjective = "balanced-accuracy" | "f1";

/**
 * The threshold on P(class 1) that maximises `objective` on the given rows: candidates are the
 * midpoints between consecutive distinct scores (and 0.5); ties go to the candidate nearest 0.5,
 * so an uninformative validation split keeps the usual threshold.
 */
export function chooseThreshold(labels: ArrayLike<number>, probs: ArrayLike<number>, objective: ThresholdObjective): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[a]! - probs[b]!);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return 0.5;
  const score = (tp: number, fp: number) => {
    const fn = nPos - tp;
    if (objective === "f1") return tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    return (tp / nPos + (nNeg - fp) / nNeg) / 2;
  };
  // Rows at or above a threshold are predicted positive: walk the thresholds from low to high.
  let tp = nPos;
  let fp = nNeg;
  let best = -1;
  let bestThreshold = 0.5;
  const consider = (t: number, value: number) => {
    if (value > best + 1e-12 || (Math.abs(value - best) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(bestThreshold - 0.5))) {
      best = value;
      bestThreshold = t;
    }
  };
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && probs[order[j]!] === probs[order[i]!]) j++;
    // Threshold just below this group's score: everything from i upward is positive.
    const low = i === 0 ? 0 : (probs[order[i - 1]!]! + probs[order[i]!]!) / 2;
    if (i > 0) consider(low, score(tp, fp));
    for (let t = i; t < j; t++) {
      if (labels[order[t]!] === 1) tp--;
      else fp--;
    }
    i = j;
  }
  // Keep 0.5 in the running when it scores as well as the best.
  let tp5 = 0;
  let fp5 = 0;
  for (let i = 0; i < n; i++) if (probs[i]! >= 0.5) labels[i] === 1 ? tp5++ : fp5++;
  consider(0.5, score(tp5, fp5));
  return Math.min(Math.max(bestThreshold, 1e-6), 1 - 1e-6);
}

/** Accuracy, ROC AUC and log loss. For multiclass, AUC is the unweighted mean of one-vs-rest AUCs over classes present. */
export function classificationMetrics(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number, threshold = 0.5): ClassificationMetrics {
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
  const base: ClassificationMetrics = { accuracy: accuracy(labels, probs, k, threshold), rocAuc: auc, logLoss: logLoss(labels, probs, k), balancedAccuracy: balancedAccuracy(labels, probs, k, threshold) };
  if (k === 1) {
    base.prAuc = averagePrecision(Array.from(labels, (y) => y === 1), probs);
    base.f1 = f1Score(labels, probs, threshold);
  }
  return base;
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

/** How {@link bootstrapIntervals} resamples. */
export interface BootstrapOptions {
  /** Resamples drawn. @default 1000 */
  resamples?: number;
  /** PRNG seed of the resample indices (mulberry32). @default 42 */
  seed?: number;
  /** Central coverage of the interval. @default 0.95 */
  level?: number;
}

/**
 * Percentile bootstrap intervals over rows: draws `resamples` samples of n row indices with
 * replacement (index = floor(random() · n) from mulberry32(seed), row after row), computes the
 * metrics on each, and returns for every metric the (1-level)/2 and (1+level)/2 quantiles of its
 * finite values, linearly interpolated as numpy.quantile's default does. A metric undefined on
 * most resamples (AUC with one class) gets NaN bounds.
 */
export function bootstrapIntervals(n: number, metrics: (rows: Int32Array) => Record<string, number | undefined>, options: BootstrapOptions = {}): Record<string, [number, number]> {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 42);
  const values = new Map<string, number[]>();
  const idx = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(random() * n);
    for (const [k, v] of Object.entries(metrics(idx))) {
      if (v === undefined) continue;
      let list = values.get(k);
      if (!list) values.set(k, (list = []));
      if (Number.isFinite(v)) list.push(v);
    }
  }
  const out: Record<string, [number, number]> = {};
  for (const [k, list] of values) {
    if (list.length < resamples / 2) {
      out[k] = [Number.NaN, Number.NaN];
      continue;
    }
    list.sort((a, b) => a - b);
    out[k] = [quantile(list, (1 - level) / 2), quantile(list, (1 + level) / 2)];
  }
  return out;
}

/** The q-quantile of sorted values, linear between order statistics (numpy's default "linear" method). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Gathers rows `idx` of a row-major n × k array. */
export function gatherRows(values: ArrayLike<number>, idx: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(idx.length * k);
  for (let i = 0; i < idx.length; i++) for (let c = 0; c < k; c++) out[i * k + c] = values[idx[i]! * k + c]!;
  return out;
}

/** Metrics of a task's predictions: classification (k outputs per row, threshold for binary) or regression. */
export function taskMetrics(task: Task, labels: ArrayLike<number>, outputs: ArrayLike<number>, k: number, threshold = 0.5): Record<string, number> {
  const m = task === "regression" ? regressionMetrics(labels, outputs) : classificationMetrics(labels, outputs, k, threshold);
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Record<string, number>;
}
