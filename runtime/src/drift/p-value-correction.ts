/**
 * Multiple-testing corrections for the per-column p-values of one drift run. Only p-value tests
 * (ks, chisquare, z) take part: m is the number of such columns. Distance tests (wasserstein,
 * jensenshannon, psi) have no p-value, are left as they are and keep their own threshold.
 */

/** How p-values are adjusted across columns. */
export type PValueCorrection = "none" | "bonferroni" | "benjamini-hochberg";

/** Bonferroni: p · m, capped at 1 (controls the family-wise error rate). */
export function bonferroni(pValues: readonly number[]): number[] {
  const m = pValues.length;
  return pValues.map((p) => Math.min(1, p * m));
}

/**
 * Benjamini–Hochberg adjusted p-values (controls the false discovery rate): for the i-th
 * smallest p, min over k ≥ i of p_(k) · m / k, capped at 1 — the same values as statsmodels'
 * multipletests(method="fdr_bh") and R's p.adjust(method="BH").
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let k = m; k >= 1; k--) {
    const { p, i } = order[k - 1]!;
    running = Math.min(running, (p * m) / k);
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/** Applies `correction` to `pValues` (NaN stays NaN and does not count towards m). */
export function correctPValues(pValues: readonly number[], correction: PValueCorrection): number[] {
  if (correction === "none") return [...pValues];
  const finite = pValues.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p));
  const adjusted = correction === "bonferroni" ? bonferroni(finite.map((e) => e.p)) : benjaminiHochberg(finite.map((e) => e.p));
  const out = [...pValues];
  finite.forEach((e, k) => {
    out[e.i] = adjusted[k]!;
  });
  return out;
}
