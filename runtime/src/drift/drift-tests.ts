/**
 * The drift tests, their default thresholds and decision rules, and the default choice per
 * column, all as Evidently's data-drift preset does (calculations/stattests/registry.py and the
 * individual stattests): checked against Evidently's source, including each comparison operator.
 */

/** Every test the runtime runs. */
export const DRIFT_TESTS = ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"] as const;
/** A drift test name, as Evidently names them. */
export type DriftTest = (typeof DRIFT_TESTS)[number];
/** How a column is treated. */
export type ColumnKind = "numerical" | "categorical";

/** Tests whose score is a p-value (drift when it is small); the others score a distance (drift when large). */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set<DriftTest>(["ks", "chisquare", "z"]);
/** Tests that need numbers: a categorical column cannot be given them. */
export const NUMERICAL_ONLY_TESTS: ReadonlySet<DriftTest> = new Set<DriftTest>(["ks", "wasserstein"]);

/** Evidently's default thresholds: 0.05 for p-values, 0.1 for distances. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTest, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** Reference sizes up to this use the statistical tests (ks / chisquare / z); larger ones the distances. */
export const SMALL_REFERENCE_ROWS = 1000;
/** A numerical column with at most this many distinct values (reference ∪ current) is treated as categories. */
export const LOW_CARDINALITY = 5;

/**
 * Evidently's decision per test: ks drifts when p ≤ threshold, chisquare and z when p < threshold
 * (strict), the distances when the score ≥ threshold. NaN never drifts.
 */
export function isDrifted(test: DriftTest, statistic: number, pValue: number | null, threshold: number): boolean {
  if (P_VALUE_TESTS.has(test)) {
    if (pValue === null || Number.isNaN(pValue)) return false;
    return test === "ks" ? pValue <= threshold : pValue < threshold;
  }
  return statistic >= threshold;
}

/**
 * Evidently's default test (registry._get_default_stattest). `referenceRows` counts present
 * reference values; `distinct` is the number of distinct values in reference and current together.
 * - reference ≤ 1000: numerical with > 5 distinct → ks; otherwise chisquare, or z when ≤ 2 distinct;
 * - reference > 1000: numerical with > 5 distinct → wasserstein; otherwise jensenshannon.
 */
export function defaultTest(kind: ColumnKind, referenceRows: number, distinct: number): DriftTest {
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (kind === "numerical" && distinct > LOW_CARDINALITY) return "ks";
    return distinct > 2 ? "chisquare" : "z";
  }
  if (kind === "numerical" && distinct > LOW_CARDINALITY) return "wasserstein";
  return "jensenshannon";
}
