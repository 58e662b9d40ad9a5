/**
 * Drift of one column: current values against the column's reference, with Evidently's default
 * test (or the forced one), its threshold and decision rule, and the binned shares for plotting.
 */

import type { Cell } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import { BINNING_MIN_DISTINCT, fillZeroes, histogramCounts, sturgesBinEdges } from "./binning.ts";
import { chiSquareDrift } from "./chi-square-test.ts";
import {
  type CategoricalReference,
  type ColumnReference,
  type NumericalReference,
  type NumericalValues,
  readCategoricalValues,
  readNumericalValues,
} from "./column-reference.ts";
import type { ResolvedDriftOptions } from "./drift-options.ts";
import type { ColumnDrift, DriftDistribution } from "./drift-result.ts";
import { DEFAULT_THRESHOLDS, type DriftTest, LOW_CARDINALITY, NUMERICAL_ONLY_TESTS, defaultTest, isDrifted } from "./drift-tests.ts";
import { type EmpiricalCdf, cdfFromSorted } from "./empirical-cdf.ts";
import { jensenShannonDistance } from "./jensen-shannon-distance.ts";
import { ksTest } from "./ks-test.ts";
import { populationStabilityIndex } from "./population-stability-index.ts";
import { sortFloat64 } from "./sort-float64.ts";
import { wassersteinDistanceCdf, normedWasserstein } from "./wasserstein-distance.ts";
import { zTestDrift } from "./z-test.ts";

/** Label of the bucket holding categories beyond a profile's category limit. */
export const OTHER_CATEGORIES = "(other)";

/** Counts aligned by category, for the category-based tests. */
interface Categories {
  labels: string[];
  reference: Float64Array;
  current: Float64Array;
  /** Index of the category coded 0 by the z-test (first in sorted order). */
  first: number;
}

/** Drift of the column `name` whose reference is `reference`, given the current window's cells. */
export function columnDrift(name: string, reference: ColumnReference, cells: readonly (Cell | undefined)[], options: ResolvedDriftOptions): ColumnDrift {
  if (reference.count === 0) throw mlopsError("MLOPS_ERR_DRIFT_EMPTY_COLUMN", { column: name, side: "reference" });
  return reference.kind === "numerical" ? numericalDrift(name, reference, readNumericalValues(name, cells), options) : categoricalDrift(name, reference, cells, options);
}

function numericalDrift(name: string, ref: NumericalReference, cur: NumericalValues, options: ResolvedDriftOptions): ColumnDrift {
  if (cur.values.length === 0) throw mlopsError("MLOPS_ERR_DRIFT_EMPTY_COLUMN", { column: name, side: "current" });
  const sorted = sortFloat64(cur.values);
  const curCdf = cdfFromSorted(sorted);
  const distinct = ref.unique > LOW_CARDINALITY || curCdf.x.length > LOW_CARDINALITY ? LOW_CARDINALITY + 1 : valueCategories(ref.cdf, curCdf).labels.length;
  const test = options.test ?? defaultTest("numerical", ref.count, distinct);
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[test];

  let distribution: DriftDistribution;
  let shares: { reference: Float64Array; current: Float64Array };
  let categories: Categories | undefined;
  if (ref.unique > BINNING_MIN_DISTINCT) {
    const edges = sturgesBinEdges(Math.min(ref.min, sorted[0]!), Math.max(ref.max, sorted[sorted.length - 1]!), ref.count + sorted.length, ref.integers && cur.integers);
    shares = { reference: share(histogramCounts(ref.cdf, edges), ref.count), current: share(histogramCounts(curCdf, edges), curCdf.count) };
    distribution = { kind: "bins", edges: [...edges], reference: [...shares.reference], current: [...shares.current] };
  } else {
    categories = valueCategories(ref.cdf, curCdf);
    shares = { reference: share(categories.reference, ref.count), current: share(categories.current, curCdf.count) };
    distribution = { kind: "categories", labels: categories.labels, reference: [...shares.reference], current: [...shares.current] };
  }

  let statistic: number;
  let pValue: number | null = null;
  switch (test) {
    case "ks": {
      const r = ksTest(ref.cdf, curCdf);
      statistic = r.statistic;
      pValue = r.pValue;
      break;
    }
    case "wasserstein":
      statistic = normedWasserstein(wassersteinDistanceCdf(ref.cdf, curCdf), ref.std);
      break;
    case "chisquare":
    case "z": {
      if (!ref.exact) {
        throw mlopsError("MLOPS_ERR_DRIFT_TEST", {
          column: name,
          test,
          reason: `it counts every distinct value, and the reference profile keeps a quantile summary of this column's ${ref.unique} distinct values; use ks, wasserstein, jensenshannon or psi`,
        });
      }
      const scored = scoreCategories(test, categories ?? valueCategories(ref.cdf, curCdf));
      statistic = scored.statistic;
      pValue = scored.pValue;
      break;
    }
    case "jensenshannon":
      statistic = jensenShannonDistance(shares.reference, shares.current);
      break;
    case "psi":
      statistic = populationStabilityIndex(fillZeroes(shares.reference), fillZeroes(shares.current));
      break;
  }
  return finish(name, "numerical", test, statistic, pValue, threshold, distribution);
}

function categoricalDrift(name: string, ref: CategoricalReference, cells: readonly (Cell | undefined)[], options: ResolvedDriftOptions): ColumnDrift {
  const cur = readCategoricalValues(cells);
  if (cur.count === 0) throw mlopsError("MLOPS_ERR_DRIFT_EMPTY_COLUMN", { column: name, side: "current" });
  const curCounts = new Map<string, number>();
  for (const [label, c] of cur.counts) {
    const key = ref.other > 0 && !ref.counts.has(label) ? OTHER_CATEGORIES : label;
    curCounts.set(key, (curCounts.get(key) ?? 0) + c);
  }
  const refCounts = new Map(ref.counts);
  if (ref.other > 0) refCounts.set(OTHER_CATEGORIES, (refCounts.get(OTHER_CATEGORIES) ?? 0) + ref.other);
  const labels = [...new Set([...refCounts.keys(), ...curCounts.keys()])];
  const refArr = Float64Array.from(labels, (l) => refCounts.get(l) ?? 0);
  const curArr = Float64Array.from(labels, (l) => curCounts.get(l) ?? 0);
  // Larger shares first for the plot; the sums below do not depend on the order.
  const order = labels.map((_, i) => i).sort((a, b) => refArr[b]! / ref.count + curArr[b]! / cur.count - (refArr[a]! / ref.count + curArr[a]! / cur.count) || compare(labels[a]!, labels[b]!));
  const categories: Categories = {
    labels: order.map((i) => labels[i]!),
    reference: Float64Array.from(order, (i) => refArr[i]!),
    current: Float64Array.from(order, (i) => curArr[i]!),
    first: 0,
  };
  let firstLabel = categories.labels[0]!;
  categories.labels.forEach((l, i) => {
    if (compare(l, firstLabel) < 0) {
      firstLabel = l;
      categories.first = i;
    }
  });

  const test = options.test ?? defaultTest("categorical", ref.count, labels.length);
  if (NUMERICAL_ONLY_TESTS.has(test)) {
    throw mlopsError("MLOPS_ERR_DRIFT_TEST", { column: name, test, reason: `${test} needs numbers and the column is categorical` });
  }
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[test];
  const shares = { reference: share(categories.reference, ref.count), current: share(categories.current, cur.count) };
  const distribution: DriftDistribution = { kind: "categories", labels: categories.labels, reference: [...shares.reference], current: [...shares.current] };
  let statistic: number;
  let pValue: number | null = null;
  if (test === "chisquare" || test === "z") {
    const scored = scoreCategories(test, categories);
    statistic = scored.statistic;
    pValue = scored.pValue;
  } else if (test === "jensenshannon") {
    statistic = jensenShannonDistance(shares.reference, shares.current);
  } else {
    statistic = populationStabilityIndex(fillZeroes(shares.reference), fillZeroes(shares.current));
  }
  return finish(name, "categorical", test, statistic, pValue, threshold, distribution);
}

function scoreCategories(test: "chisquare" | "z", c: Categories): { statistic: number; pValue: number } {
  if (test === "z") return zTestDrift(c.reference, c.current, c.first);
  const r = chiSquareDrift(c.reference, c.current);
  // One category: scipy returns NaN (0 degrees of freedom); both sides are then identical.
  return { statistic: r.statistic, pValue: c.labels.length === 1 ? 1 : r.pValue };
}

function finish(name: string, type: ColumnDrift["type"], test: DriftTest, statistic: number, pValue: number | null, threshold: number, distribution: DriftDistribution): ColumnDrift {
  const drifted = isDrifted(test, statistic, pValue, threshold);
  const finite = statistic === Infinity ? Number.MAX_VALUE : statistic;
  return { name, type, test, statistic: finite, pValue, threshold, drifted, distribution };
}

/** Every distinct value of two exact step CDFs, ascending, with its count on each side. */
function valueCategories(ref: EmpiricalCdf, cur: EmpiricalCdf): Categories {
  const labels: string[] = [];
  const r: number[] = [];
  const c: number[] = [];
  let i = 0;
  let j = 0;
  while (i < ref.x.length || j < cur.x.length) {
    const a = i < ref.x.length ? ref.x[i]! : Infinity;
    const b = j < cur.x.length ? cur.x[j]! : Infinity;
    const v = a < b ? a : b;
    labels.push(String(v));
    r.push(a === v ? ref.atOrBelow[i]! - ref.below[i++]! : 0);
    c.push(b === v ? cur.atOrBelow[j]! - cur.below[j++]! : 0);
  }
  return { labels, reference: Float64Array.from(r), current: Float64Array.from(c), first: 0 };
}

/** count / n per entry (a division, as Evidently computes shares). */
function share(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! / n;
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
