/**
 * Pearson's chi-square goodness-of-fit test, as scipy.stats.chisquare(f_obs, f_exp) with ddof 0.
 * Evidently's "chisquare" drift test calls it with the current counts as observed and the
 * reference counts scaled to the current size (count · n_current / n_reference) as expected,
 * over the union of categories seen on either side.
 */

import { chiSquareSf } from "./chi-square-distribution.ts";

/** Result of {@link chiSquareTest}. */
export interface ChiSquareResult {
  /** Σ (observed - expected)² / expected; Infinity when a category is expected 0 times but observed. */
  statistic: number;
  /** P(χ²(k-1) ≥ statistic); NaN when there is a single category (k - 1 = 0 degrees of freedom), as scipy. */
  pValue: number;
}

/** Chi-square goodness of fit of `observed` counts against `expected` counts (same length, ≥ 1). */
export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  const k = observed.length;
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const diff = observed[i]! - expected[i]!;
    statistic += (diff * diff) / expected[i]!;
  }
  const df = k - 1;
  const pValue = df <= 0 || Number.isNaN(statistic) ? Number.NaN : chiSquareSf(statistic, df);
  return { statistic, pValue };
}

/**
 * Evidently's chisquare drift test on category counts aligned by index: expected = reference
 * count · (n_current / n_reference). Categories only in the current data make the statistic
 * infinite and the p-value 0; categories only in the reference simply count as observed 0.
 */
export function chiSquareDrift(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  let nRef = 0;
  let nCur = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    nRef += referenceCounts[i]!;
    nCur += currentCounts[i]!;
  }
  const kNorm = nCur / nRef;
  const expected = Array.from(referenceCounts, (c) => c * kNorm);
  return chiSquareTest(currentCounts, expected);
}
