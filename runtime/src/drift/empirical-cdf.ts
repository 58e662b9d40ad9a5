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
  const out = Float64Array.from(values);
  return out.sort();
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
 * Walks the union of both CDFs' knots in ascending order, calling `visit` with each breakpoint
 * and both functions' counts just before it (left limits) and at it (right values).
 */
export function walkBreakpoints(
  a: EmpiricalCdf,
  b: EmpiricalCdf,
  visit: (at: number, aLeft: number, aRight: number, bLeft: number, bRight: number) => void,
): void {
  const ax = a.x;
  const bx = b.x;
  let i = 0;
  let j = 0;
  while (i < ax.length || j < bx.length) {
    const va = i < ax.length ? ax[i]! : Infinity;
    const vb = j < bx.length ? bx[j]! : Infinity;
    const at = va < vb ? va : vb;
    let aLeft: number;
    let aRight: number;
    if (va === at) {
      aLeft = a.below[i]!;
      aRight = a.atOrBelow[i]!;
      i++;
    } else {
      aLeft = aRight = i === 0 ? 0 : between(a, i - 1, at);
    }
    let bLeft: number;
    let bRight: number;
    if (vb === at) {
      bLeft = b.below[j]!;
      bRight = b.atOrBelow[j]!;
      j++;
    } else {
      bLeft = bRight = j === 0 ? 0 : between(b, j - 1, at);
    }
    visit(at, aLeft, aRight, bLeft, bRight);
  }
}
