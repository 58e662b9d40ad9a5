/**
 * First Wasserstein (earth mover's) distance between two 1-D distributions, ∫|F1 - F2| dx, as
 * scipy.stats.wasserstein_distance computes it from the CDFs; and Evidently's normed variant.
 */

import { BreakpointCursor, type EmpiricalCdf, cdfFromSorted, sortedValues } from "./empirical-cdf.ts";

/** Evidently divides by max(std(reference), NORM_FLOOR) so a constant reference does not divide by 0. */
export const WASSERSTEIN_NORM_FLOOR = 0.001;

/**
 * ∫|F1 - F2| dx. On each interval between breakpoints both CDFs are linear (constant for an exact
 * sample), so the integral of |difference| is exact per interval; for two exact samples the terms
 * are scipy's |u_cdf - v_cdf|·Δ.
 */
export function wassersteinDistanceCdf(a: EmpiricalCdf, b: EmpiricalCdf): number {
  const na = a.count;
  const nb = b.count;
  const walk = new BreakpointCursor(a, b);
  let total = 0;
  if (!walk.next()) return 0;
  let prevAt = walk.at;
  let prevDiff = walk.aRight / na - walk.bRight / nb;
  while (walk.next()) {
    total += segmentIntegral(prevDiff, walk.aLeft / na - walk.bLeft / nb, walk.at - prevAt);
    prevAt = walk.at;
    prevDiff = walk.aRight / na - walk.bRight / nb;
  }
  return total;
}

/** ∫ over an interval of length `length` of |d| where d goes linearly from d0 to d1. */
export function segmentIntegral(d0: number, d1: number, length: number): number {
  if (d0 === d1) return Math.abs(d0) * length;
  const a0 = Math.abs(d0);
  const a1 = Math.abs(d1);
  if ((d0 >= 0 && d1 >= 0) || (d0 <= 0 && d1 <= 0)) return ((a0 + a1) / 2) * length;
  return ((d0 * d0 + d1 * d1) / (2 * (a0 + a1))) * length;
}

/** scipy.stats.wasserstein_distance(u, v) for two unweighted samples (NaN removed first). */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinDistanceCdf(cdfFromSorted(sortedValues(u)), cdfFromSorted(sortedValues(v)));
}

/** Evidently's "wasserstein" drift score: W1(reference, current) / max(std(reference), 0.001), std with ddof 0. */
export function normedWasserstein(distance: number, referenceStd: number): number {
  return distance / Math.max(referenceStd, WASSERSTEIN_NORM_FLOOR);
}
