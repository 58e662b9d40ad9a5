/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy.stats.ks_2samp with method="auto":
 * the exact p-value when both samples have at most 10 000 values (scipy's MAX_AUTO_N), else the
 * asymptotic one, kstwo.sf(D, round(n1·n2/(n1+n2))). Ties need no special case: the statistic
 * compares right-continuous empirical CDFs at every data point, as scipy's searchsorted does.
 */

import { BreakpointCursor, type EmpiricalCdf, cdfFromSorted, sortedValues } from "./empirical-cdf.ts";
import { kolmogorovSf } from "./kolmogorov-distribution.ts";

/** Largest sample size for which method "auto" computes the exact p-value (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

/** Result of {@link ksTest}. */
export interface KsResult {
  /** D = sup |F1 - F2|; in exact mode rounded to a multiple of 1/lcm(n1, n2), as scipy reports it. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: "exact" | "asymp";
}

/**
 * sup over x of |F1(x) - F2(x)|. For two exact samples this is scipy's statistic bit for bit;
 * when a CDF is an interpolated sketch it is the supremum of the interpolated function.
 */
export function ksStatistic(a: EmpiricalCdf, b: EmpiricalCdf): number {
  const na = a.count;
  const nb = b.count;
  const walk = new BreakpointCursor(a, b);
  let d = 0;
  while (walk.next()) {
    const right = Math.abs(walk.aRight / na - walk.bRight / nb);
    if (right > d) d = right;
    const left = Math.abs(walk.aLeft / na - walk.bLeft / nb);
    if (left > d) d = left;
  }
  return d;
}

/** Two-sided KS test between two distributions given as CDFs (see {@link EmpiricalCdf}). */
export function ksTest(a: EmpiricalCdf, b: EmpiricalCdf): KsResult {
  return ksPValue(ksStatistic(a, b), a.count, b.count);
}

/** Two-sided KS test between two samples (any order; NaN must be removed first). */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ksTest(cdfFromSorted(sortedValues(a)), cdfFromSorted(sortedValues(b)));
}

/** The two-sided p-value of statistic `d` for sample sizes n1, n2 (scipy's method "auto"). */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  if (n1 <= 0 || n2 <= 0) throw new RangeError("ks: samples must not be empty");
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const rounded = h / lcm;
    if (h === 0) return { statistic: rounded, pValue: 1, method: "exact" };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (prob >= 0 && prob <= 1) return { statistic: rounded, pValue: prob, method: "exact" };
    d = rounded;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmogorovSf(roundHalfEven(en), d);
  return { statistic: d, pValue: Math.min(1, Math.max(0, p)), method: "asymp" };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's np.round: halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * P(D_{n,n} ≥ h/n) for equal sample sizes: 2·Σ_k (-1)^(k+1) C(2n, n-kh)/C(2n, n), evaluated
 * Horner-style from the largest k, as scipy does to avoid cancellation.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm(m,n),
 * by Hodges' inside method with Viehmann's recursion for 1 - p (arXiv:2102.08037), keeping one
 * sliding column of the path-count matrix, as scipy's _compute_outer_prob_inside_method does.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(lenA, maxj - minj + (lastlen - curlen)));
  }
  return A[maxj - minj - 1]!;
}
