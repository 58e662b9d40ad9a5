import { readCategory, readNumber } from "../data/values.ts";
import type { PreprocessorState } from "../data/preprocessor.ts";
import { type Experiment, type ModelRegistry, type VariantTraffic, readExperimentTraffic, readFeedback } from "../registry/index.ts";
import { type SampleSummary, meanInterval, summarize, summaryFromSums, twoProportionZTest, welchTTest, wilsonInterval } from "./significance.ts";

/** One variant's live numbers, with 1 - alpha confidence intervals. */
export interface VariantReport {
  version: number;
  /** Share of keyed traffic assigned to it. */
  share: number;
  /** Labelled predictions (feedback rows routed by the experiment). */
  labelled: number;
  /** accuracy (classifiers) or mean absolute error (regressors) on the labelled rows. */
  quality: { metric: Experiment["metric"]; value: number; interval: [number, number] } | null;
  /** Regressors: root mean squared error on the labelled rows. */
  rmse?: number;
  requests: number;
  errorRate: { value: number; interval: [number, number] } | null;
  latencyMs: { mean: number; interval: [number, number] } | null;
}

/** One variant against the control. */
export interface Comparison {
  version: number;
  control: number;
  /** Quality: two-proportion z (accuracy) or Welch t (absolute error). */
  quality: { test: "two-proportion-z" | "welch-t"; difference: number; statistic: number; pValue: number; significant: boolean; better: boolean } | null;
  errorRate: { test: "two-proportion-z"; difference: number; statistic: number; pValue: number; significant: boolean } | null;
  latency: { test: "welch-t"; differenceMs: number; statistic: number; pValue: number; significant: boolean } | null;
}

/** What an experiment shows now. */
export interface ExperimentReport {
  id: string;
  model: string;
  status: Experiment["status"];
  /** Family-wise alpha and the per-comparison level after the Bonferroni split. */
  alpha: number;
  comparisonAlpha: number;
  /** Fixed-horizon plan: the tests are read only once the budget is reached; before that the numbers are interim. */
  budget: { minSamples: number | null; endsAt: string | null; reached: boolean; why: string };
  variants: VariantReport[];
  comparisons: Comparison[];
  /** The variant the numbers favour once the budget is reached: significantly better quality than the control and no significantly worse error rate; else the control when nothing is significant. Null while interim. */
  recommendation: { winner: number | null; reason: string } | null;
  generatedAt: string;
}

interface QualityRows {
  correct: number;
  absErrors: number[];
  squared: number;
}

/**
 * Builds an experiment's report from the registry: quality from the feedback rows whose
 * prediction the experiment routed (`experiment` = its id), traffic from the servers' per-variant
 * counts. The budget is reached when every variant has `minSamples` labelled rows or the time
 * budget is over; only then are the tests read and a winner recommended (a fixed-horizon plan:
 * peeking at interim p-values does not stop it early, which keeps the error rate at alpha).
 */
export async function experimentReport(registry: ModelRegistry, experiment: Experiment, pre: PreprocessorState, now: Date = new Date()): Promise<ExperimentReport> {
  const task = pre.targetTransform.task;
  const rows = (await readFeedback(registry, experiment.model, undefined, { onSkip: () => {} })).filter((r) => r.experiment === experiment.id);
  const quality = new Map<number, QualityRows>(experiment.variants.map((v) => [v.version, { correct: 0, absErrors: [], squared: 0 }]));
  for (const r of rows) {
    const q = quality.get(r.version);
    if (!q) continue;
    if (task === "regression") {
      const y = readNumber(r.label, true);
      const p = r.prediction[0];
      if (y.kind !== "number" || p === null || p === undefined) continue;
      q.absErrors.push(Math.abs(y.value - p));
      q.squared += (y.value - p) ** 2;
    } else {
      const classes = (pre.targetTransform as { classes: string[] }).classes;
      const label = classes.indexOf(readCategory(r.label) ?? "");
      if (label < 0 || r.prediction.some((p) => p === null)) continue;
      const p = r.prediction as number[];
      const predicted = p.length === 1 ? (p[0]! >= 0.5 ? 1 : 0) : p.indexOf(Math.max(...p));
      q.absErrors.push(predicted === label ? 0 : 1);
      if (predicted === label) q.correct++;
    }
  }
  const traffic = await readExperimentTraffic(registry, experiment.model, experiment.id);
  const alpha = experiment.alpha;
  const comparisonAlpha = alpha / (experiment.variants.length - 1);
  const total = experiment.variants.reduce((s, v) => s + v.weight, 0);
  const empty: VariantTraffic = { requests: 0, errors: 0, latencySumMs: 0, latencySumSquaresMs: 0 };
  const latencyOf = (t: VariantTraffic): SampleSummary => summaryFromSums(t.requests, t.latencySumMs, t.latencySumSquaresMs);
  const variants: VariantReport[] = experiment.variants.map((v) => {
    const q = quality.get(v.version)!;
    const n = q.absErrors.length;
    const t = traffic.get(v.version) ?? empty;
    const lat = latencyOf(t);
    let qual: VariantReport["quality"] = null;
    if (n > 0) {
      if (experiment.metric === "accuracy") qual = { metric: "accuracy", value: q.correct / n, interval: wilsonInterval(q.correct, n, alpha) };
      else {
        const s = summarize(q.absErrors);
        qual = { metric: "absoluteError", value: s.mean, interval: meanInterval(s, alpha) };
      }
    }
    return {
      version: v.version,
      share: v.weight / total,
      labelled: n,
      quality: qual,
      ...(task === "regression" && n > 0 ? { rmse: Math.sqrt(q.squared / n) } : {}),
      requests: t.requests,
      errorRate: t.requests > 0 ? { value: t.errors / t.requests, interval: wilsonInterval(t.errors, t.requests, alpha) } : null,
      latencyMs: t.requests > 0 ? { mean: lat.mean, interval: meanInterval(lat, alpha) } : null,
    };
  });
  const control = experiment.variants[0]!.version;
  const cq = quality.get(control)!;
  const ct = traffic.get(control) ?? empty;
  const comparisons: Comparison[] = experiment.variants.slice(1).map((v) => {
    const q = quality.get(v.version)!;
    const t = traffic.get(v.version) ?? empty;
    let qualityTest: Comparison["quality"] = null;
    if (q.absErrors.length > 1 && cq.absErrors.length > 1) {
      if (experiment.metric === "accuracy") {
        const r = twoProportionZTest(q.correct, q.absErrors.length, cq.correct, cq.absErrors.length);
        const difference = q.correct / q.absErrors.length - cq.correct / cq.absErrors.length;
        if (Number.isFinite(r.pValue)) qualityTest = { test: "two-proportion-z", difference, statistic: r.statistic, pValue: r.pValue, significant: r.pValue < comparisonAlpha, better: difference > 0 };
      } else {
        const a = summarize(q.absErrors);
        const b = summarize(cq.absErrors);
        const r = welchTTest(a, b);
        if (Number.isFinite(r.pValue)) qualityTest = { test: "welch-t", difference: a.mean - b.mean, statistic: r.statistic, pValue: r.pValue, significant: r.pValue < comparisonAlpha, better: a.mean < b.mean };
      }
    }
    let errorTest: Comparison["errorRate"] = null;
    if (t.requests > 0 && ct.requests > 0) {
      const r = twoProportionZTest(t.errors, t.requests, ct.errors, ct.requests);
      if (Number.isFinite(r.pValue)) errorTest = { test: "two-proportion-z", difference: t.errors / t.requests - ct.errors / ct.requests, statistic: r.statistic, pValue: r.pValue, significant: r.pValue < comparisonAlpha };
    }
    let latencyTest: Comparison["latency"] = null;
    if (t.requests > 1 && ct.requests > 1) {
      const a = latencyOf(t);
      const b = latencyOf(ct);
      const r = welchTTest(a, b);
      if (Number.isFinite(r.pValue)) latencyTest = { test: "welch-t", differenceMs: a.mean - b.mean, statistic: r.statistic, pValue: r.pValue, significant: r.pValue < comparisonAlpha };
    }
    return { version: v.version, control, quality: qualityTest, errorRate: errorTest, latency: latencyTest };
  });
  const budget = budgetState(experiment, variants, now);
  let recommendation: ExperimentReport["recommendation"] = null;
  if (budget.reached) {
    const winners = comparisons.filter((c) => c.quality?.significant && c.quality.better && !(c.errorRate?.significant && c.errorRate.difference > 0));
    if (winners.length === 0) recommendation = { winner: control, reason: `no variant is significantly better than the control (version ${control}) at alpha ${formatP(comparisonAlpha)} per comparison; keep the control` };
    else {
      const best = winners.sort((a, b) => (experiment.metric === "accuracy" ? b.quality!.difference - a.quality!.difference : a.quality!.difference - b.quality!.difference))[0]!;
      recommendation = { winner: best.version, reason: `version ${best.version} beats the control (version ${control}) on ${experiment.metric} by ${best.quality!.difference.toFixed(4)} (${best.quality!.test}, p = ${formatP(best.quality!.pValue)} < ${formatP(comparisonAlpha)}) without a significantly higher error rate` };
    }
  }
  return { id: experiment.id, model: experiment.model, status: experiment.status, alpha, comparisonAlpha, budget, variants, comparisons, recommendation, generatedAt: now.toISOString() };
}

function budgetState(experiment: Experiment, variants: VariantReport[], now: Date): ExperimentReport["budget"] {
  const fewest = Math.min(...variants.map((v) => v.labelled));
  const samples = experiment.minSamples !== null && fewest >= experiment.minSamples;
  const time = experiment.endsAt !== null && now.getTime() >= Date.parse(experiment.endsAt);
  const why = samples
    ? `every variant has at least ${experiment.minSamples} labelled rows`
    : time
      ? `the time budget ended at ${experiment.endsAt}`
      : `interim: ${fewest}${experiment.minSamples === null ? "" : ` of ${experiment.minSamples}`} labelled rows in the smallest variant${experiment.endsAt === null ? "" : `, runs until ${experiment.endsAt}`}`;
  return { minSamples: experiment.minSamples, endsAt: experiment.endsAt, reached: samples || time, why };
}

/** A p-value or level for a sentence. */
export const formatP = (p: number): string => (p < 1e-4 ? p.toExponential(2) : p.toFixed(4));
