/**
 * Population stability index, Evidently's "psi" stattest: Σ (r_i - c_i) · ln(r_i / c_i) over
 * the binned reference and current shares after zero filling (see fillZeroes in binning.ts).
 */

/** PSI of reference shares `r` against current shares `c` (both already zero-filled). */
export function populationStabilityIndex(r: ArrayLike<number>, c: ArrayLike<number>): number {
  let psi = 0;
  for (let i = 0; i < r.length; i++) psi += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return psi;
}
