import { sortFloat64 } from "./sort-float64.ts";

/**
 * A distribution function stored at knots, the one representation every numerical test reads.
 *
 * Counts, not proportions: F jumps at knot `x[i]` from `below[i]` (values < x[i]) to
 * `atOrBelow[i]` (values ≤ x[i]) and, between two knots, rises linearly from `atOrBelow[i]` to
 * `below[i + 1]`. An exact sample is the special case `below[i + 1] = atOrBelow[i]` (a step
 * function, so every statistic reproduces scipy's arithmetic); a quantile sketch of a large
 * reference keeps ~1000 knots and interpolates between them.
 */
export interface EmpiricalCdf {
  /** Knot positions, strictly increasing. */
  readonly x: Float64Array;
  /** Number of values strictly below each knot. */
  readonly below: Float64Array;
  /** Number of values at or below each knot. */
  readonly atOrBelow: Float64Array;
  /** Number of values in the distribution. */
  readonly count: number;
}

/** `values` sorted ascending, as a new Float64Array (the caller drops NaN first). */
export function sortedValues(values: ArrayLike<number>): Float64Array {
  return sortFloat64(values);
}

/** The exact step CDF of an ascending sample (ties become one knot carrying their count). */
export function cdfFromSorted(sorted: Float64Array): EmpiricalCdf {
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const x = new Float64Array(distinct);
  const below = new Float64Array(distinct);
  const atOrBelow = new Float64Array(distinct);
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      k++;
      x[k] = sorted[i]!;
      below[k] = i;
    }
    atOrBelow[k] = i + 1;
  }
  return { x, below, atOrBelow, count: n };
}

/** The exact step CDF of distinct ascending values with their multiplicities. */
export function cdfFromPoints(values: Float64Array, counts: ArrayLike<number>): EmpiricalCdf {
  const below = new Float64Array(values.length);
  const atOrBelow = new Float64Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    below[i] = total;
    total += counts[i]!;
    atOrBelow[i] = total;
  }
  return { x: values, below, atOrBelow, count: total };
}

/** Whether the CDF is a step function (an exact sample), not an interpolated sketch. */
export function isStepCdf(cdf: EmpiricalCdf): boolean {
  for (let i = 1; i < cdf.x.length; i++) if (cdf.below[i] !== cdf.atOrBelow[i - 1]) return false;
  return true;
}

/** Multiplicity of each knot (exact for a step CDF). */
export function knotCounts(cdf: EmpiricalCdf): Float64Array {
  const out = new Float64Array(cdf.x.length);
  for (let i = 0; i < out.length; i++) out[i] = cdf.atOrBelow[i]! - cdf.below[i]!;
  return out;
}

/** Index of the last knot ≤ v, or -1. */
function lastKnotAtOrBelow(x: Float64Array, v: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Count of values < v (numpy `searchsorted(side="left")` for a step CDF). */
export function countBelow(cdf: EmpiricalCdf, v: number): number {
  const i = lastKnotAtOrBelow(cdf.x, v);
  if (i < 0) return 0;
  if (cdf.x[i] === v) return cdf.below[i]!;
  return between(cdf, i, v);
}

/** Count of values ≤ v (numpy `searchsorted(side="right")` for a step CDF). */
export function countAtOrBelow(cdf: EmpiricalCdf, v: number): number {
  const i = lastKnotAtOrBelow(cdf.x, v);
  if (i < 0) return 0;
  if (cdf.x[i] === v) return cdf.atOrBelow[i]!;
  return between(cdf, i, v);
}

/** Count strictly between knot i and knot i + 1 at position v (x[i] < v < x[i+1]). */
export function between(cdf: EmpiricalCdf, i: number, v: number): number {
  const a = cdf.atOrBelow[i]!;
  if (i + 1 >= cdf.x.length) return a;
  const b = cdf.below[i + 1]!;
  if (a === b) return a;
  const x0 = cdf.x[i]!;
  return a + ((b - a) * (v - x0)) / (cdf.x[i + 1]! - x0);
}

/**
 * Walks both CDFs over the union of their knots, ascending: after each `next()` returning true,
 * `at` is the breakpoint and the fields hold both counts just before it (left limits) and at it.
 * A cursor object (one class, no callbacks, no per-breakpoint arrays) keeps the KS and Wasserstein
 * loops monomorphic and allocation-free.
 */
export class BreakpointCursor {
  at = Number.NaN;
  aLeft = 0;
  aRight = 0;
  bLeft = 0;
  bRight = 0;
  private i = 0;
  private j = 0;
  private readonly a: EmpiricalCdf;
  private readonly b: EmpiricalCdf;
  constructor(a: EmpiricalCdf, b: EmpiricalCdf) {
    this.a = a;
    this.b = b;
  }
  next(): boolean {
    const { a, b } = this;
    const ax = a.x;
    const bx = b.x;
    const i = this.i;
    const j = this.j;
    if (i >= ax.length && j >= bx.length) return false;
    const va = i < ax.length ? ax[i]! : Infinity;
    const vb = j < bx.length ? bx[j]! : Infinity;
    const v = va < vb ? va : vb;
    this.at = v;
    if (va === v) {
      this.aLeft = a.below[i]!;
      this.aRight = a.atOrBelow[i]!;
      this.i = i + 1;
    } else {
      this.aLeft = this.aRight = i === 0 ? 0 : between(a, i - 1, v);
    }
    if (vb === v) {
      this.bLeft = b.below[j]!;
      this.bRight = b.atOrBelow[j]!;
      this.j = j + 1;
    } else {
      this.bLeft = this.bRight = j === 0 ? 0 : between(b, j - 1, v);
    }
    return true;
  }
}
