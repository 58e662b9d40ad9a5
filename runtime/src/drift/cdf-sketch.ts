/**
 * A quantile sketch of a large numerical reference: the exact CDF kept only at K + 1 equal-mass
 * knots (ranks round(j·(n-1)/K)), with the exact counts below and at each knot, interpolated
 * linearly in between. Ties at a knot stay exact jumps; a knot lands on every heavy tie.
 *
 * Error, computed exactly against the full sample when the sketch is built and stored with it:
 * - `ksError` = sup_x |F(x) - F̂(x)| (left and right limits). Because a supremum norm obeys the
 *   triangle inequality, |D(F̂, G) - D(F, G)| ≤ ksError for ANY current sample G, and every bin
 *   share of the Sturges histogram moves by at most 2·ksError. It is at most the mass between two
 *   knots (≈ 1/K) by construction and,
 *   for continuous data, ≈ 1/√(n·K) in practice (the ECDF's own wiggle inside an interval).
 * - `wassersteinError` = ∫|F - F̂| dx = W1(F, F̂), so |W1(F̂, G) - W1(F, G)| ≤ wassersteinError
 *   (before dividing by the reference std) for ANY G, again by the triangle inequality.
 */

import { type EmpiricalCdf, between } from "./empirical-cdf.ts";
import { segmentIntegral } from "./wasserstein-distance.ts";

/** A sketched CDF with its exact error bounds against the sample it summarises. */
export interface CdfSketch {
  /** The sketch: knots with exact counts, linear in between. */
  cdf: EmpiricalCdf;
  /** sup |F - F̂| as a share (0..1): bounds the error of the KS statistic. */
  ksError: number;
  /** ∫|F - F̂| dx in the column's units: bounds the error of the (un-normed) Wasserstein distance. */
  wassersteinError: number;
}

/** Sketches an exact step CDF (from cdfFromSorted / cdfFromPoints) with `intervals` equal-mass intervals. */
export function sketchCdf(exact: EmpiricalCdf, intervals: number): CdfSketch {
  const n = exact.count;
  const distinct = exact.x.length;
  const chosen: number[] = [];
  for (let j = 0; j <= intervals; j++) {
    const rank = Math.round((j * (n - 1)) / intervals);
    const t = distinctIndexOfRank(exact, rank);
    if (chosen.length === 0 || chosen[chosen.length - 1]! < t) chosen.push(t);
  }
  if (chosen[chosen.length - 1] !== distinct - 1) chosen.push(distinct - 1);
  const x = new Float64Array(chosen.length);
  const below = new Float64Array(chosen.length);
  const atOrBelow = new Float64Array(chosen.length);
  chosen.forEach((t, k) => {
    x[k] = exact.x[t]!;
    below[k] = exact.below[t]!;
    atOrBelow[k] = exact.atOrBelow[t]!;
  });
  const cdf: EmpiricalCdf = { x, below, atOrBelow, count: n };

  let ks = 0;
  let w = 0;
  let segment = 0; // sketch knot at or before the current distinct value
  const approx = (t: number): { left: number; right: number } => {
    while (segment + 1 < chosen.length && chosen[segment + 1]! <= t) segment++;
    if (chosen[segment] === t) return { left: below[segment]!, right: atOrBelow[segment]! };
    const v = between(cdf, segment, exact.x[t]!);
    return { left: v, right: v };
  };
  let here = approx(0);
  for (let t = 0; t < distinct; t++) {
    ks = Math.max(ks, Math.abs(exact.below[t]! - here.left), Math.abs(exact.atOrBelow[t]! - here.right));
    if (t + 1 < distinct) {
      const next = approx(t + 1);
      const level = exact.atOrBelow[t]!;
      w += segmentIntegral((level - here.right) / n, (level - next.left) / n, exact.x[t + 1]! - exact.x[t]!);
      here = next;
    }
  }
  return { cdf, ksError: ks / n, wassersteinError: w };
}

/** Index of the distinct value holding 0-based `rank` in the sorted sample. */
function distinctIndexOfRank(exact: EmpiricalCdf, rank: number): number {
  let lo = 0;
  let hi = exact.x.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (exact.atOrBelow[mid]! <= rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
