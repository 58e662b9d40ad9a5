/**
 * A quantile sketch of a large numerical reference: the exact CDF kept only at ≤ K + 1 knots
 * (K = 1024 by default), with the exact counts below and at each knot, interpolated linearly in
 * between. Half the knots sit at equal-mass ranks; the other half are placed greedily where the
 * interpolation is worst (mostly the tails, where the CDF bends hardest, and heavy ties, which
 * become exact jumps).
 *
 * Error, computed exactly against the full sample when the sketch is built and stored with it:
 * - `ksError` = sup_x |F(x) - F̂(x)| (left and right limits). A supremum norm obeys the triangle
 *   inequality, so |D(F̂, G) - D(F, G)| ≤ ksError for ANY current sample G, and every bin share
 *   of the Sturges histogram moves by at most 2·ksError.
 * - `wassersteinError` = ∫|F - F̂| dx = W1(F, F̂), so |W1(F̂, G) - W1(F, G)| ≤ wassersteinError
 *   (before dividing by the reference std) for ANY G, again by the triangle inequality.
 * Measured on 1 M reference values: ksError 3.3e-5 and wassersteinError/std 6.5e-5 (normal),
 * 3.3e-5 and 1.5e-4 (log-normal); a column rounded to a grid with ~2000 tied values, too many
 * to all become knots, keeps ksError ≈ half the largest tie share (1.8e-4–2.5e-4).
 */

import type { EmpiricalCdf } from "./empirical-cdf.ts";
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

/**
 * Sketches an exact step CDF (from cdfFromSorted / cdfFromPoints) with at most `intervals` + 1
 * knots: half of them at equal-mass ranks, the other half added one at a time where the sketch is
 * worst — the interval with the largest max(sup-error, W1-error / `scale`) is split at its point
 * of largest deviation. Equal mass alone leaves the tails poor (the CDF bends hardest there): on
 * 1 M normal values the greedy half cuts ksError from 5.2e-4 to 3.3e-5 at the same size.
 */
export function sketchCdf(exact: EmpiricalCdf, intervals: number, scale = 1): CdfSketch {
  const n = exact.count;
  const distinct = exact.x.length;
  const knots: number[] = [];
  const base = Math.max(1, Math.floor(intervals / 2));
  for (let j = 0; j <= base; j++) {
    const t = distinctIndexOfRank(exact, Math.round((j * (n - 1)) / base));
    if (knots.length === 0 || knots[knots.length - 1]! < t) knots.push(t);
  }
  if (knots[knots.length - 1] !== distinct - 1) knots.push(distinct - 1);
  const unit = scale > 0 ? scale : 1;
  // One entry per interval [knots[i], knots[i+1]].
  const errors = [];
  for (let i = 0; i + 1 < knots.length; i++) errors.push(intervalError(exact, knots[i]!, knots[i + 1]!));
  while (knots.length < intervals + 1) {
    let worst = -1;
    let worstScore = 0;
    errors.forEach((e, i) => {
      const score = Math.max(e.ks, e.w / unit);
      if (e.split >= 0 && score > worstScore) {
        worst = i;
        worstScore = score;
      }
    });
    if (worst < 0) break;
    const split = errors[worst]!.split;
    knots.splice(worst + 1, 0, split);
    errors.splice(worst, 1, intervalError(exact, knots[worst]!, split), intervalError(exact, split, knots[worst + 2]!));
  }
  const x = Float64Array.from(knots, (t) => exact.x[t]!);
  const below = Float64Array.from(knots, (t) => exact.below[t]!);
  const atOrBelow = Float64Array.from(knots, (t) => exact.atOrBelow[t]!);
  let ks = 0;
  let w = 0;
  for (const e of errors) {
    ks = Math.max(ks, e.ks);
    w += e.w;
  }
  return { cdf: { x, below, atOrBelow, count: n }, ksError: ks, wassersteinError: w };
}

/**
 * Error of interpolating the exact CDF linearly between distinct values a and b (knots): the sup
 * deviation (share), the integrated deviation (column units), and the interior value of largest
 * deviation (-1 when there is none) where a split would help most.
 */
function intervalError(exact: EmpiricalCdf, a: number, b: number): { ks: number; w: number; split: number } {
  const n = exact.count;
  const x0 = exact.x[a]!;
  const y0 = exact.atOrBelow[a]!;
  const slope = (exact.below[b]! - y0) / (exact.x[b]! - x0);
  const at = (t: number) => y0 + slope * (exact.x[t]! - x0);
  let ks = 0;
  let w = 0;
  let split = -1;
  let prevApprox = y0;
  for (let t = a; t < b; t++) {
    if (t > a) {
      const v = at(t);
      const dev = Math.max(Math.abs(exact.below[t]! - v), Math.abs(exact.atOrBelow[t]! - v));
      if (dev > ks) {
        ks = dev;
        split = t;
      }
      prevApprox = v;
    }
    const level = exact.atOrBelow[t]!;
    const next = t + 1 === b ? exact.below[b]! : at(t + 1);
    w += segmentIntegral((level - prevApprox) / n, (level - next) / n, exact.x[t + 1]! - exact.x[t]!);
  }
  return { ks: ks / n, w, split };
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
