/**
 * The reference side of one column, in memory: what every drift test needs to know about the
 * training data, without the training data. Numerical columns keep an {@link EmpiricalCdf}
 * (exact, or a sketch for large references) plus exact count / mean / std / min / max / distinct
 * count; categorical columns keep their category counts.
 */

import { mlopsError } from "../errors.ts";
import { readCategory, readNumber } from "../data/values.ts";
import type { Cell } from "../data/table.ts";
import { sketchCdf } from "./cdf-sketch.ts";
import { type EmpiricalCdf, cdfFromSorted } from "./empirical-cdf.ts";
import { sortFloat64 } from "./sort-float64.ts";

/** A numerical column's reference. */
export interface NumericalReference {
  readonly kind: "numerical";
  /** Present (finite) values. */
  readonly count: number;
  /** Missing values (null, NaN, ±Infinity, missing tokens), dropped as Evidently drops them. */
  readonly missing: number;
  /** Mean of the present values. */
  readonly mean: number;
  /** Population standard deviation (ddof 0, numpy's np.std) of the present values. */
  readonly std: number;
  /** Smallest present value (0 when there is none). */
  readonly min: number;
  /** Largest present value (0 when there is none). */
  readonly max: number;
  /** Exact number of distinct present values. */
  readonly unique: number;
  /** Every value is an integer and none is missing (numpy would hold them as an integer array). */
  readonly integers: boolean;
  /** The distribution: exact step CDF, or a sketch when `exact` is false. */
  readonly cdf: EmpiricalCdf;
  /** Whether `cdf` is the exact sample. */
  readonly exact: boolean;
  /** sup |F - F̂| of the sketch (0 when exact). */
  readonly ksError: number;
  /** W1(F, F̂) of the sketch in the column's units (0 when exact). */
  readonly wassersteinError: number;
}

/** A categorical column's reference. */
export interface CategoricalReference {
  readonly kind: "categorical";
  /** Present values. */
  readonly count: number;
  /** Missing values (null, ""). */
  readonly missing: number;
  /** Count per category label. */
  readonly counts: ReadonlyMap<string, number>;
  /** Values in categories beyond the profile's category limit, counted together. */
  readonly other: number;
}

/** Either kind of column reference. */
export type ColumnReference = NumericalReference | CategoricalReference;

/** How much of a numerical sample to keep. */
export interface NumericalLimits {
  /** Keep every value up to this many present values. */
  exactLimit: number;
  /** Above exactLimit, keep value counts up to this many distinct values. */
  distinctLimit: number;
  /** Otherwise sketch with this many equal-mass intervals. */
  knots: number;
}

/** Present values of a numerical column, in input order. */
export interface NumericalValues {
  values: Float64Array;
  missing: number;
  integers: boolean;
}

/**
 * Reads cells as numbers: JSON numbers and numeric strings pass; null, NaN, ±Infinity and the
 * missing tokens ("", "NA", "nan", ...) are missing; any other text is an error naming the column.
 */
export function readNumericalValues(column: string, cells: readonly (Cell | undefined)[]): NumericalValues {
  const values = new Float64Array(cells.length);
  let k = 0;
  let missing = 0;
  let integers = true;
  for (const cell of cells) {
    if (typeof cell === "number") {
      if (!Number.isFinite(cell)) {
        missing++;
        continue;
      }
      values[k++] = cell;
      if (!Number.isInteger(cell)) integers = false;
      continue;
    }
    const r = readNumber(cell, true);
    if (r.kind === "missing") missing++;
    else if (r.kind === "number") {
      values[k++] = r.value;
      if (!Number.isInteger(r.value)) integers = false;
    } else throw mlopsError("MLOPS_ERR_DRIFT_VALUE", { column, value: cell ?? null });
  }
  return { values: values.subarray(0, k), missing, integers: integers && missing === 0 };
}

/** Present values of a categorical column, counted per label. */
export interface CategoricalValues {
  counts: Map<string, number>;
  count: number;
  missing: number;
}

/** Reads cells as category labels (numbers and booleans as their JSON text; null and "" are missing). */
export function readCategoricalValues(cells: readonly (Cell | undefined)[]): CategoricalValues {
  const counts = new Map<string, number>();
  let missing = 0;
  let count = 0;
  for (const cell of cells) {
    const label = readCategory(cell);
    if (label === null) {
      missing++;
      continue;
    }
    counts.set(label, (counts.get(label) ?? 0) + 1);
    count++;
  }
  return { counts, count, missing };
}

/** Builds a numerical reference from present values (input order; not modified). */
export function numericalReference(input: NumericalValues, limits: NumericalLimits): NumericalReference {
  const { values, missing, integers } = input;
  const count = values.length;
  const mean = count === 0 ? 0 : pairwiseSum(values) / count;
  let std = 0;
  if (count > 0) {
    const squares = new Float64Array(count);
    for (let i = 0; i < count; i++) squares[i] = (values[i]! - mean) ** 2;
    std = Math.sqrt(pairwiseSum(squares) / count);
  }
  const sorted = sortFloat64(values);
  const full = cdfFromSorted(sorted);
  const unique = full.x.length;
  const base = { kind: "numerical" as const, count, missing, mean, std, min: count ? sorted[0]! : 0, max: count ? sorted[count - 1]! : 0, unique, integers };
  if (count <= limits.exactLimit || unique <= limits.distinctLimit) {
    return { ...base, cdf: full, exact: true, ksError: 0, wassersteinError: 0 };
  }
  const sketch = sketchCdf(full, limits.knots, std);
  return { ...base, cdf: sketch.cdf, exact: false, ksError: sketch.ksError, wassersteinError: sketch.wassersteinError };
}

/** Builds a categorical reference, keeping the `limit` most frequent categories (ties by label). */
export function categoricalReference(input: CategoricalValues, limit: number): CategoricalReference {
  if (input.counts.size <= limit) return { kind: "categorical", count: input.count, missing: input.missing, counts: new Map(input.counts), other: 0 };
  const sorted = [...input.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = new Map(sorted.slice(0, limit));
  let other = 0;
  for (const [, c] of sorted.slice(limit)) other += c;
  return { kind: "categorical", count: input.count, missing: input.missing, counts: kept, other };
}

/** numpy's pairwise summation (blocks of 128 unrolled by 8), so means match np.mean to the last bits. */
export function pairwiseSum(a: Float64Array, start = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let s = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[start + i]!;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
