/**
 * Evidently's binning for the distance tests (utils.get_binned_data): a numerical column whose
 * reference has more than 20 distinct values is cut into numpy "sturges" bins over the combined
 * reference + current range; anything else is counted per distinct value over the union of both
 * sides. Proportions are counts / n of each side; PSI then replaces empty bins by a small
 * positive share ("feel_zeroes"), Jensen–Shannon does not.
 */

import { type EmpiricalCdf, countAtOrBelow, countBelow } from "./empirical-cdf.ts";

/** A numerical reference needs more distinct values than this to be binned (else it is counted per value). */
export const BINNING_MIN_DISTINCT = 20;

/**
 * numpy.histogram_bin_edges(data, bins="sturges") from the data's summary: width =
 * ptp / (log2(size) + 1), ceil(range / width) equal bins, edges by numpy's linspace arithmetic.
 * `integer` reproduces numpy's rule for integer arrays (a width below 1 becomes 1).
 */
export function sturgesBinEdges(min: number, max: number, size: number, integer = false): Float64Array {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let width = (max - min) / (Math.log2(size) + 1);
  let bins = 1;
  if (width) {
    if (integer && width < 1) width = 1;
    bins = Math.ceil((last - first) / width);
  }
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/**
 * Counts per bin as numpy.histogram(data, edges) does for explicit edges: [e_i, e_(i+1)) and a
 * closed last bin; values outside the edges are not counted. Fractional for a sketched CDF.
 */
export function histogramCounts(cdf: EmpiricalCdf, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  let prev = countBelow(cdf, edges[0]!);
  for (let i = 0; i < bins; i++) {
    const next = i === bins - 1 ? countAtOrBelow(cdf, edges[i + 1]!) : countBelow(cdf, edges[i + 1]!);
    out[i] = next - prev;
    prev = next;
  }
  return out;
}

/**
 * Evidently's zero filling for PSI: every 0 share becomes min(non-zero share) / 10⁶ when that
 * minimum is ≤ 0.0001, else 0.0001. Returns a new array; shares are not renormalised (as Evidently).
 */
export function fillZeroes(shares: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(shares);
  let min = Infinity;
  for (const s of out) if (s !== 0 && s < min) min = s;
  if (min === Infinity) return out;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}
