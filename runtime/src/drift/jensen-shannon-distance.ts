/**
 * Jensen–Shannon distance, scipy.spatial.distance.jensenshannon(p, q, base): both vectors are
 * normalised to sum 1, m = (p + q)/2, and the distance is sqrt((KL(p‖m) + KL(q‖m)) / 2).
 * Evidently's "jensenshannon" stattest calls it on its binned shares without zero filling and
 * with base=None (natural log) in current releases (older releases passed base=2), so the
 * default here is the natural log: the distance lies in [0, sqrt(ln 2)] ≈ [0, 0.833].
 */

/** Jensen–Shannon distance between two non-negative vectors of the same length. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    left += relativeEntropy(pi, m);
    right += relativeEntropy(qi, m);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
}

/** scipy.special.rel_entr: x·log(x/y) for x, y > 0; 0 when x = 0; +∞ otherwise. */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}
