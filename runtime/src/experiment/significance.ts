import { logGamma } from "../drift/chi-square-distribution.ts";
import { normalCdf } from "../drift/normal-distribution.ts";

/** A two-sided test's statistic and p-value. */
export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Regularised incomplete beta I_x(a, b), by the continued fraction (Numerical Recipes 6.4, modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - (front * betaFraction(1 - x, b, a)) / b;
  return (front * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** P(|T| > |t|) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t value with P(|T| > t) = p (two-sided), by bisection. */
export function studentTQuantileTwoSided(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) > p) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The standard normal quantile z with Φ(z) = p, by bisection. */
export function normalQuantile(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Two-proportion z-test with the pooled proportion (statsmodels' proportions_ztest): z = (p1 - p2) /
 * sqrt(p(1-p)(1/n1 + 1/n2)), two-sided p-value. NaN when either group is empty or p is 0 or 1.
 */
export function twoProportionZTest(successes1: number, n1: number, successes2: number, n2: number): TestResult {
  if (n1 === 0 || n2 === 0) return { statistic: Number.NaN, pValue: Number.NaN };
  const p = (successes1 + successes2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  const diff = successes1 / n1 - successes2 / n2;
  if (se === 0) return diff === 0 ? { statistic: Number.NaN, pValue: Number.NaN } : { statistic: Math.sign(diff) * Number.POSITIVE_INFINITY, pValue: 0 };
  const z = diff / se;
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Summary statistics of a sample: size, mean and unbiased variance. */
export interface SampleSummary {
  n: number;
  mean: number;
  variance: number;
}

/** Summary of a sample (Welford). */
export function summarize(values: ArrayLike<number>): SampleSummary {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    mean += d / (i + 1);
    m2 += d * (values[i]! - mean);
  }
  return { n: values.length, mean: values.length ? mean : Number.NaN, variance: values.length > 1 ? m2 / (values.length - 1) : Number.NaN };
}

/** Summary from a count, a sum and a sum of squares (what servers accumulate for latency). */
export function summaryFromSums(n: number, sum: number, sumSquares: number): SampleSummary {
  if (n === 0) return { n, mean: Number.NaN, variance: Number.NaN };
  const mean = sum / n;
  return { n, mean, variance: n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : Number.NaN };
}

/** Welch's unequal-variance t-test (scipy.stats.ttest_ind(equal_var=False)), with its degrees of freedom. */
export function welchTTest(a: SampleSummary, b: SampleSummary): TestResult & { df: number } {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  if (!(se > 0) || !Number.isFinite(df)) return { statistic: Number.NaN, pValue: Number.NaN, df: Number.NaN };
  const t = (a.mean - b.mean) / se;
  return { statistic: t, pValue: studentTTwoSided(t, df), df };
}

/** Wilson score interval of a proportion at confidence 1 - alpha. */
export function wilsonInterval(successes: number, n: number, alpha = 0.05): [number, number] {
  if (n === 0) return [Number.NaN, Number.NaN];
  const z = normalQuantile(1 - alpha / 2);
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  // At 0 or n successes the bound is exactly 0 or 1; rounding would leave the estimate outside its interval.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** t interval of a mean at confidence 1 - alpha. */
export function meanInterval(s: SampleSummary, alpha = 0.05): [number, number] {
  if (s.n < 2 || !Number.isFinite(s.variance)) return [Number.NaN, Number.NaN];
  const half = studentTQuantileTwoSided(alpha, s.n - 1) * Math.sqrt(s.variance / s.n);
  return [s.mean - half, s.mean + half];
}
