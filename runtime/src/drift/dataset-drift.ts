/**
 * The dataset verdict from per-column results: Evidently's rule, drift when the share of drifted
 * columns is at least `driftShare` (0.5 by default), after an optional multiple-testing correction
 * of the p-value columns (distance columns are not corrected; see p-value-correction.ts).
 */

import type { ColumnDrift, DriftResult } from "./drift-result.ts";
import { isDrifted } from "./drift-tests.ts";
import { type PValueCorrection, correctPValues } from "./p-value-correction.ts";

/** Applies the correction to the columns' p-values, re-decides them, and adds the dataset verdict. */
export function summarizeDrift(columns: ColumnDrift[], options: { driftShare: number; correction: PValueCorrection }): DriftResult {
  let out = columns;
  if (options.correction !== "none") {
    const tested = columns.map((c, i) => ({ c, i })).filter((e) => e.c.pValue !== null);
    const adjusted = correctPValues(
      tested.map((e) => e.c.pValue!),
      options.correction,
    );
    out = [...columns];
    tested.forEach((e, k) => {
      const pValue = adjusted[k]!;
      out[e.i] = { ...e.c, pValue, drifted: isDrifted(e.c.test, e.c.statistic, pValue, e.c.threshold) };
    });
  }
  const drifted = out.filter((c) => c.drifted).length;
  const share = out.length === 0 ? 0 : drifted / out.length;
  return {
    drift: { detected: out.length > 0 && share >= options.driftShare, share, driftShare: options.driftShare, columns: out.length, drifted },
    columns: out,
  };
}
