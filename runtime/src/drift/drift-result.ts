/**
 * What a drift run reports: one entry per column and the dataset verdict. The shape is a public
 * contract (`mlops drift --json`, the monitor, the HTML report); `distribution` is the only
 * optional field and is left out of the CLI's JSON.
 */

import type { ColumnKind, DriftTest } from "./drift-tests.ts";

/** Reference and current shares per bin or category, for plotting (raw shares, no zero filling). */
export type DriftDistribution =
  | { kind: "bins"; edges: number[]; reference: number[]; current: number[] }
  | { kind: "categories"; labels: string[]; reference: number[]; current: number[] };

/** Drift of one column. */
export interface ColumnDrift {
  /** Column name. */
  name: string;
  /** How the column was treated. */
  type: ColumnKind;
  /** The test that scored it. */
  test: DriftTest;
  /**
   * The test statistic: KS D, chi-square, |z|, or the distance for wasserstein (normed by the
   * reference std), jensenshannon and psi. An infinite chi-square (a category the reference never
   * saw) is reported as Number.MAX_VALUE so the result stays JSON.
   */
  statistic: number;
  /** p-value for ks, chisquare and z (after the run's multiple-testing correction, if any); null for distances. */
  pValue: number | null;
  /** Threshold the score was compared with. */
  threshold: number;
  /** Whether the column drifted. */
  drifted: boolean;
  /** Reference vs current shares per bin or category, for plotting. */
  distribution?: DriftDistribution;
}

/** Result of a drift run. */
export interface DriftResult {
  drift: {
    /** Whether the dataset drifted: share ≥ driftShare. */
    detected: boolean;
    /** drifted / columns (0 when no column was compared). */
    share: number;
    /** Share of drifted columns that makes the dataset drift. */
    driftShare: number;
    /** Columns compared. */
    columns: number;
    /** Columns that drifted. */
    drifted: number;
  };
  /** Per-column results, in input order. */
  columns: ColumnDrift[];
}
