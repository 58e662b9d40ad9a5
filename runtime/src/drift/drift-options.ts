/**
 * Options of a drift run and of a reference profile, validated once (zod, every problem reported
 * at once with its path, MLOPS_ERR_CONFIG_INVALID) and defaulted field by field.
 */

import { z } from "zod";
import { parseWith } from "../validation.ts";
import { DRIFT_TESTS, P_VALUE_TESTS } from "./drift-tests.ts";

/** Options of a drift run (driftAgainstProfile, compareTables). */
export const driftOptions = z
  .object({
    /** Run this test on every column instead of the per-column default. @default - Evidently's choice per column */
    test: z.enum(DRIFT_TESTS).optional(),
    /** Threshold for every column (p-value or distance, per its test). @default - 0.05 for ks/chisquare/z, 0.1 for wasserstein/jensenshannon/psi */
    threshold: z.number().positive().finite().optional(),
    /** Share of drifted columns at or above which the dataset drifts. @default 0.5 */
    driftShare: z.number().gt(0).max(1).default(0.5),
    /** Multiple-testing correction across the p-value columns. @default "none" */
    correction: z.enum(["none", "bonferroni", "benjamini-hochberg"]).default("none"),
    /** Columns treated as categorical even when every value is a number (compareTables only). @default [] */
    categorical: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.threshold !== undefined && o.test !== undefined && P_VALUE_TESTS.has(o.test) && o.threshold > 1) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: `a p-value threshold for ${o.test} must be at most 1, got ${o.threshold}` });
    }
  });

/** Drift options as a caller writes them. */
export type DriftOptions = z.input<typeof driftOptions>;
/** Drift options after defaults. */
export type ResolvedDriftOptions = z.output<typeof driftOptions>;

/** Validates and defaults drift options. */
export function resolveDriftOptions(options: DriftOptions | undefined): ResolvedDriftOptions {
  return parseWith(driftOptions, options ?? {}, "drift options");
}

/** How a reference profile summarises each column. */
export const profileOptions = z
  .object({
    /**
     * A numerical column with at most this many present values keeps them all, so every test on it
     * is exact. At least scipy's exact-KS limit (10 000), so an exact KS p-value always sees the
     * exact reference. @default 10000
     */
    exactLimit: z.number().int().min(10_000).max(10_000_000).default(10_000),
    /** Above exactLimit, a column with at most this many distinct values keeps value → count pairs (still exact). @default 1000 */
    distinctLimit: z.number().int().min(20).max(1_000_000).default(1000),
    /** Otherwise a quantile sketch with this many equal-mass intervals (knots + 1 points) is kept. @default 1024 */
    knots: z.number().int().min(16).max(1 << 20).default(1024),
    /** Categories kept per categorical column (most frequent first); the rest are counted together. @default 10000 */
    categoryLimit: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Columns to profile. @default - every column of the table */
    columns: z.array(z.string()).optional(),
  })
  .strict();

/** Profile options as a caller writes them. */
export type ProfileOptions = z.input<typeof profileOptions>;
/** Profile options after defaults. */
export type ResolvedProfileOptions = z.output<typeof profileOptions>;

/** Validates and defaults profile options. */
export function resolveProfileOptions(options: ProfileOptions | undefined): ResolvedProfileOptions {
  return parseWith(profileOptions, options ?? {}, "reference profile options");
}
