import { mlopsError, showValue } from "../errors.ts";
import type { FeatureKind, NumericalBins, ResolvedModelConfig, Task } from "./model-config.ts";
import type { Cell, Table } from "./table.ts";
import { readCategory, readDate, readNumber } from "./values.ts";

/**
 * A numerical feature: mapped through the training split's quantiles to a standard normal score
 * (`quantiles`), or, in preprocessors written before those, standardised with the training
 * split's mean and std; missing → 0 (the median, or the mean).
 * With `missingIndicator` (the training split had missing or non-numeric values) a second column
 * is 1 where the value was missing, so the network can tell an imputed mean from a real one.
 */
export interface NumericalFeature {
  name: string;
  kind: "numerical";
  mean: number;
  std: number;
  /**
   * Ascending values at evenly spaced ranks of the training split (the minimum first, the maximum
   * last). A value encodes as Φ⁻¹ of its interpolated rank, a value tied over several knots at
   * the middle of their span: a spike (the zeros of a rain column) lands apart from the smallest
   * non-zero values, and a long tail no longer squeezes the bulk of the values together, which a
   * mean/std scale does. Values beyond the range saturate at the end knots.
   * @default - mean/std standardisation (preprocessors written before it existed)
   */
  quantiles?: number[];
  /**
   * Edges of piecewise-linear bins (ascending, distinct; training quantiles at even ranks). Bin t
   * adds a column that is 0 below edge t, 1 above edge t + 1 and linear between: a step the
   * network can place at any of them, where a smooth input makes it learn sharp changes (a bad
   * week of flight delays, a dose threshold) slowly or not at all.
   * @default - no bins (preprocessors written before they existed, or too few training rows)
   */
  bins?: number[];
  /** Adds a 0/1 "was missing" column after the value. @default false (preprocessors written before it existed) */
  missingIndicator?: boolean;
}
/**
 * A categorical feature: one-hot over `categories`, plus one out-of-vocabulary bucket for unseen
 * values; with `missingBucket` (the training split had missing values) missing values get a
 * bucket of their own after it, else they share the out-of-vocabulary one.
 */
export interface CategoricalFeature {
  name: string;
  kind: "categorical";
  categories: string[];
  /** A separate slot for missing values, after the out-of-vocabulary one. @default false (preprocessors written before it existed) */
  missingBucket?: boolean;
}
/**
 * Calendar parts a date feature expands to, in encoding order. A part constant over the training
 * dates is left out (the hour of plain dates, the month of dates that are all 1 January);
 * preprocessors written before that kept every part up to `hour`, which they left out alone.
 */
export const DATE_PARTS = ["year", "month", "dayOfWeek", "dayOfYear", "days", "hour"] as const;
/** A calendar part: year, month 1-12, day of week 0 (Sunday)-6, day of year 1-366, days since 1970-01-01, hour of the day 0-24 with minutes as a fraction (UTC). */
export type DatePart = (typeof DATE_PARTS)[number];
/**
 * Periods of the calendar parts that wrap around. A part fitted with its period is encoded as
 * sin and cos of its phase (two columns), so December sits next to January and 23:00 next to
 * midnight, instead of at opposite ends of a standardised scale.
 */
export const DATE_PERIODS: Partial<Record<DatePart, number>> = { month: 12, dayOfWeek: 7, dayOfYear: 365.25, hour: 24 };
/** One encoded calendar part: standardised (mean, std), or with `period` as sin/cos of its phase. */
export interface DatePartTransform {
  part: DatePart;
  mean: number;
  std: number;
  /** Encode as sin and cos of 2π · value / period (two columns); mean and std are then unused. @default - standardised (preprocessors written before it existed) */
  period?: number;
  /** Piecewise-linear bins after the standardised value, as {@link NumericalFeature.bins} (parts without a period: year, days). @default - none */
  bins?: number[];
}
/**
 * A date feature (ISO dates or date-times, read in UTC): each part of {@link DATE_PARTS}
 * standardised with the training split's mean and std, or as sin/cos when it is periodic
 * ({@link DATE_PERIODS}); missing → the mean (zeros), plus a "was missing" column when the
 * training split had missing or unreadable dates.
 */
export interface DateFeature {
  name: string;
  kind: "date";
  parts: DatePartTransform[];
  missingIndicator?: boolean;
}
/** A fitted feature transform. */
export type FeatureTransform = NumericalFeature | CategoricalFeature | DateFeature;
/** How the target is encoded: class labels by index, or a regression target's scale. */
export type TargetTransform =
  | {
      task: "binary" | "multiclass";
      classes: string[];
      /** Binary only: P(classes[1]) at or above this predicts classes[1]. @default 0.5 (preprocessors written before it existed) */
      threshold?: number;
    }
  | { task: "regression"; mean: number; std: number };

const PART_INDEX = Object.fromEntries(DATE_PARTS.map((p, i) => [p, i])) as Record<DatePart, number>;

/** The calendar parts of a UTC timestamp in ms, in {@link DATE_PARTS} order. */
export function dateParts(ms: number): number[] {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const dayOfYear = Math.floor((ms - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const day = Math.floor(ms / 86_400_000);
  return [year, d.getUTCMonth() + 1, d.getUTCDay(), dayOfYear, day, (ms - day * 86_400_000) / 3_600_000];
}

/** The kind a feature has on the wire: dates travel as strings like categories. */
export function wireKind(f: { kind: FeatureKind }): "numerical" | "categorical" {
  return f.kind === "numerical" ? "numerical" : "categorical";
}

/** Everything needed to turn raw rows into the network's input; saved with each model version. */
export interface PreprocessorState {
  formatVersion: 1;
  target: string;
  features: FeatureTransform[];
  targetTransform: TargetTransform;
  /** Number of columns of the encoded matrix. */
  width: number;
}

/** Per-feature counts of values that were not clean, for the training report. */
export interface FeatureIssues {
  /** Missing values: imputed with the training mean (numerical, date; flagged in the missing-indicator column when the feature has one) or put in the missing bucket (categorical; the out-of-vocabulary bucket for preprocessors without one). */
  missing: number;
  /** Values that are not numbers in a numerical feature (imputed when fitting). */
  junk: number;
  /** Categories not in the fitted vocabulary (out-of-vocabulary bucket). */
  unseen: number;
  /** Up to 3 of the junk values. */
  examples: string[];
  /** Up to 3 of the unseen categories. @default - absent in reports written before it existed */
  unseenExamples?: string[];
}
/** What encoding found in the data. */
export interface EncodeReport {
  rows: number;
  features: Record<string, FeatureIssues>;
}

/** How strictly raw values are read. */
export interface EncodeOptions {
  /** Accept numeric strings for numerical features (CSV input). */
  numericStrings: boolean;
  /** Junk in a numerical feature: impute it and report (training), or reject the row (scoring, serving). */
  junk: "impute" | "reject";
  /**
   * With `junk: "reject"`: called for each rejected row (with the first bad feature) instead of
   * throwing MLOPS_ERR_INFER_FEATURE; the row's encoding is then meaningless and the caller drops it.
   * @default - throw on the first bad row
   */
  onReject?: (row: number, feature: string, reason: string) => void;
  /**
   * A number or boolean for a categorical feature: read as its JSON text like any value (files,
   * where training read it the same way), or accepted only when that text is one of the
   * feature's categories and refused otherwise (requests: a client sending 1 for "USA" would
   * otherwise get the out-of-vocabulary prediction without a word).
   */
  nonStringCategories: "read" | "known-only";
}

/** Lenient reading for fitting on a training file. */
export const FIT: EncodeOptions = { numericStrings: true, junk: "impute", nonStringCategories: "read" };
/** Strict reading for batch scoring files. */
export const SCORE_FILE: EncodeOptions = { numericStrings: true, junk: "reject", nonStringCategories: "read" };
/** Strict reading for requests: numbers for numerical features, strings (or exact known categories) for categorical ones. */
export const SERVE: EncodeOptions = { numericStrings: false, junk: "reject", nonStringCategories: "known-only" };

/** Counts a junk cell of a feature and keeps the first three as examples. */
function recordJunk(is: FeatureIssues | undefined, cell: unknown): void {
  if (!is) return;
  is.junk++;
  if (is.examples.length < 3) is.examples.push(String(cell));
}

/** Encoded columns a feature occupies: its value(s), one-hot slots, missing indicator or bucket. */
export const widthOf = (f: FeatureTransform): number =>
  f.kind === "numerical" ? numericalWidth(f) : f.kind === "date" ? datePartsWidth(f) + (f.missingIndicator ? 1 : 0) : f.categories.length + (f.missingBucket ? 2 : 1);

/** Columns of piecewise-linear bins with these edges. */
const binsWidth = (bins: readonly number[] | undefined): number => (bins ? bins.length - 1 : 0);

/** Offset of a numerical feature's bin columns in its group: after the value and the quantile score. */
const binsOffset = (f: NumericalFeature): number => 1 + (f.quantiles ? 1 : 0);

/** Columns of a numerical feature: the standardised value, its quantile score, its bins, the missing indicator. */
const numericalWidth = (f: NumericalFeature): number => binsOffset(f) + binsWidth(f.bins) + (f.missingIndicator ? 1 : 0);

/** Columns a date feature's parts occupy: two for a periodic part, one for a standardised one plus its bins. */
const datePartsWidth = (f: DateFeature): number => f.parts.reduce((w, p) => w + (p.period ? 2 : 1 + binsWidth(p.bins)), 0);

/** Fewest training rows per piecewise-linear bin when the count is automatic. */
export const ROWS_PER_BIN = 50;
/** Most piecewise-linear bins per feature when the count is automatic. */
export const MAX_AUTO_BINS = 32;
/** Fewest bins worth adding when the count is automatic. */
export const MIN_AUTO_BINS = 8;
/** Training rows per bin column over all features when the count is automatic. */
export const ROWS_PER_BIN_COLUMN = 5;

/**
 * Bins per numerical feature (and linear date part) for a training split of `rows` rows with
 * `binnable` such inputs: the configured count, or "auto": one per 50 rows, at most 32, and at
 * most one bin column per 5 rows over all features together; none when that leaves fewer than 8.
 * Measured on bench/quality.ts (4 seeds): bins lift flights (ROC AUC 0.586 → 0.601) and
 * seattle-weather (accuracy 0.856 → 0.865); on cars' 240 rows they cost RMSE (2.54 → 2.66),
 * and on digits' 64 pixel columns (1,000 more inputs for 860 rows) accuracy (0.972 → 0.967).
 */
export function binCount(setting: NumericalBins | undefined, rows: number, binnable: number): number {
  if (typeof setting === "number") return setting;
  const n = Math.min(MAX_AUTO_BINS, Math.floor(rows / ROWS_PER_BIN), Math.floor(rows / ROWS_PER_BIN_COLUMN / Math.max(1, binnable)));
  return n >= MIN_AUTO_BINS ? n : 0;
}

/** Fits the feature and target transforms on the given (training) rows of `table`. */
export function fitPreprocessor(config: ResolvedModelConfig, table: Table, rows: readonly number[]): PreprocessorState {
  // Inputs that may get bins: numerical features, and a date's year and days.
  const binnable = config.features.reduce((n, f) => n + (f.kind === "numerical" ? 1 : f.kind === "date" ? 2 : 0), 0);
  const bins = binCount(config.numericalBins, rows.length, binnable);
  const features = config.features.map((f): FeatureTransform => {
    const j = table.columns.indexOf(f.name);
    if (f.kind === "numerical") return fitNumerical(f.name, table, j, rows, true, bins);
    if (f.kind === "date") return fitDate(f.name, table, j, rows, bins);
    return fitCategorical(f.name, table, j, rows, config.maxCategories);
  });
  const targetTransform = fitTarget(config, table, rows);
  return { formatVersion: 1, target: config.target, features, targetTransform, width: features.reduce((w, f) => w + widthOf(f), 0) };
}

/** Running mean and population std (Welford). */
class Moments {
  n = 0;
  mean = 0;
  private m2 = 0;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  /** Population variance; 0 for fewer than two values. */
  get variance(): number {
    return this.n > 1 ? this.m2 / this.n : 0;
  }
  get std(): number {
    const s = Math.sqrt(this.variance);
    return s > 1e-12 ? s : 1;
  }
}

/** Knots of a numerical feature's quantile map (fewer when there are fewer training values). */
export const QUANTILE_KNOTS = 101;

function fitNumerical(name: string, table: Table, j: number, rows: readonly number[], quantiles = true, bins = 0): NumericalFeature {
  const m = new Moments();
  const values: number[] = [];
  for (const i of rows) {
    const r = readNumber(table.rows[i]![j], true);
    if (r.kind === "number") {
      m.add(r.value);
      values.push(r.value);
    }
  }
  const f: NumericalFeature = { name, kind: "numerical", mean: m.n > 0 ? m.mean : 0, std: m.std };
  values.sort((a, b) => a - b);
  if (quantiles && values.length > 1 && values[0] !== values.at(-1)) f.quantiles = quantileKnots(values);
  const edges = binEdges(values, bins);
  if (edges) f.bins = edges;
  if (m.n < rows.length) f.missingIndicator = true;
  return f;
}

/**
 * Edges of `bins` piecewise-linear bins of ascending `sorted`: its values (not interpolated
 * between them) at ranks 0, 1/bins, ..., 1, repeated values merged: a pixel column of three grey
 * levels gets two bins, a 0/1 column none. Undefined when fewer than two bins remain.
 */
function binEdges(sorted: readonly number[], bins: number): number[] | undefined {
  if (bins < 2 || sorted.length < 2) return undefined;
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const x = sorted[Math.floor((i * (sorted.length - 1)) / bins)]!;
    if (edges.length === 0 || x > edges.at(-1)!) edges.push(x);
  }
  return edges.length > 2 ? edges : undefined;
}

/** Writes the piecewise-linear bin columns of `x` at out[at ...]. */
function encodeBins(edges: readonly number[], x: number, out: Float32Array, at: number): void {
  for (let t = 0; t + 1 < edges.length; t++) {
    const lo = edges[t]!;
    const hi = edges[t + 1]!;
    out[at + t] = x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo);
  }
}

/** Values at evenly spaced ranks of ascending `sorted` (linear interpolation between ranks, as numpy's percentile). */
function quantileKnots(sorted: readonly number[]): number[] {
  const k = Math.min(QUANTILE_KNOTS, sorted.length);
  return Array.from({ length: k }, (_, i) => {
    const pos = (i * (sorted.length - 1)) / (k - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
  });
}

/**
 * A value's standard normal score under the quantile map `q`: its rank among the knots (the
 * middle of the knots it ties with, linear between neighbours), kept half a knot inside (0, 1)
 * so the end knots map to about ±2.6 rather than ±∞.
 */
export function quantileScore(q: readonly number[], x: number): number {
  const k = q.length;
  let rank: number;
  if (x <= q[0]!) rank = x === q[0] ? lastAtMost(q, x) / 2 : 0;
  else if (x >= q[k - 1]!) rank = x === q[k - 1] ? (firstAtLeast(q, x) + k - 1) / 2 : k - 1;
  else {
    const lo = firstAtLeast(q, x);
    if (q[lo] === x) rank = (lo + lastAtMost(q, x)) / 2;
    else rank = lo - 1 + (x - q[lo - 1]!) / (q[lo]! - q[lo - 1]!);
  }
  return normalQuantile((rank + 0.5) / k);
}

/** Index of the first knot ≥ x (binary search). */
function firstAtLeast(q: readonly number[], x: number): number {
  let lo = 0;
  let hi = q.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the last knot ≤ x (binary search). */
function lastAtMost(q: readonly number[], x: number): number {
  let lo = 0;
  let hi = q.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation (relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

function fitDate(name: string, table: Table, j: number, rows: readonly number[], bins = 0): DateFeature {
  const moments = DATE_PARTS.map(() => new Moments());
  // Values of the parts without a period, for their bins.
  const linear = DATE_PARTS.map((part): number[] | undefined => (bins > 0 && !DATE_PERIODS[part] ? [] : undefined));
  let n = 0;
  for (const i of rows) {
    const t = readDate(table.rows[i]![j]);
    if (t === null) continue;
    n++;
    dateParts(t).forEach((v, p) => {
      moments[p]!.add(v);
      linear[p]?.push(v);
    });
  }
  // A constant part says nothing; as a sin/cos pair it would even be a constant input.
  const parts = DATE_PARTS.flatMap((part, p): DatePartTransform[] => {
    if (moments[p]!.variance === 0) return [];
    const period = DATE_PERIODS[part];
    const edges = linear[p] && binEdges(linear[p].sort((a, b) => a - b), bins);
    return [{ part, mean: moments[p]!.mean, std: moments[p]!.std, ...(period ? { period } : {}), ...(edges ? { bins: edges } : {}) }];
  });
  const f: DateFeature = { name, kind: "date", parts };
  if (n < rows.length) f.missingIndicator = true;
  return f;
}

function fitCategorical(name: string, table: Table, j: number, rows: readonly number[], max: number): CategoricalFeature {
  const counts = new Map<string, number>();
  let missing = false;
  for (const i of rows) {
    const c = readCategory(table.rows[i]![j]);
    if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
    else missing = true;
  }
  const categories = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([c]) => c);
  const f: CategoricalFeature = { name, kind: "categorical", categories };
  if (missing) f.missingBucket = true;
  return f;
}

function fitTarget(config: ResolvedModelConfig, table: Table, rows: readonly number[]): TargetTransform {
  const j = table.columns.indexOf(config.target);
  if (config.task === "regression") {
    const f = fitNumerical(config.target, table, j, rows, false);
    return { task: "regression", mean: f.mean, std: f.std };
  }
  const seen = new Set<string>();
  for (const i of rows) {
    const c = readCategory(table.rows[i]![j]);
    if (c !== null) seen.add(c);
  }
  const classes = sortLabels([...seen]);
  if (config.task === "binary") {
    if (classes.length !== 2) {
      throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: config.target, reason: `a binary task needs exactly 2 classes in the training split, found ${classes.length} (${classes.slice(0, 5).map((c) => showValue(c)).join(", ")})` });
    }
    if (config.positiveClass !== undefined) {
      if (!classes.includes(config.positiveClass)) {
        throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: config.target, reason: `positiveClass ${showValue(config.positiveClass)} is not one of its classes (${classes.join(", ")})` });
      }
      if (classes[1] !== config.positiveClass) classes.reverse();
    }
  } else if (classes.length < 2) {
    throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: config.target, reason: `needs at least 2 classes, found ${classes.length}` });
  } else if (classes.length > 1000) {
    throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: config.target, reason: `${classes.length} classes is too many for a classifier; is this a regression target?` });
  }
  return { task: config.task, classes };
}

/** Sorts class labels numerically when they are all numbers, else lexically. */
function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => readNumber(l, true).kind === "number");
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}

/** A numerical feature's value columns: standardised, its quantile score, its bins. */
function encodeNumber(f: NumericalFeature, x: number, out: Float32Array, o: number): void {
  out[o] = (x - f.mean) / f.std;
  if (f.quantiles) out[o + 1] = quantileScore(f.quantiles, x);
  if (f.bins) encodeBins(f.bins, x, out, o + binsOffset(f));
}

/** The training median (the middle quantile knot; the mean without knots), which a missing value's bins encode. */
const medianOf = (f: NumericalFeature): number => (f.quantiles ? f.quantiles[(f.quantiles.length - 1) >> 1]! : f.mean);

const vocabularies = new WeakMap<CategoricalFeature, Map<string, number>>();
/** A categorical feature's category → slot map, built once per fitted feature. */
function vocabulary(f: CategoricalFeature): Map<string, number> {
  let m = vocabularies.get(f);
  if (!m) vocabularies.set(f, (m = new Map(f.categories.map((c, i) => [c, i]))));
  return m;
}

/** Reads one raw value for feature `f` (index `k`) of row `row`. */
export type CellGetter = (row: number, k: number) => Cell | undefined;

/**
 * Encodes `n` rows into a row-major Float32Array of n × state.width. The same function serves
 * training, batch scoring and HTTP requests, so the transform cannot differ between them; only
 * how strictly raw values are read differs (`options`).
 */
export function encodeRows(state: PreprocessorState, n: number, get: CellGetter, options: EncodeOptions, report?: EncodeReport): Float32Array {
  const out = new Float32Array(n * state.width);
  const issues = report ? state.features.map((f) => (report.features[f.name] ??= { missing: 0, junk: 0, unseen: 0, examples: [] })) : undefined;
  if (report) report.rows += n;
  let o = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < state.features.length; k++) {
      const f = state.features[k]!;
      const cell = get(r, k);
      if (f.kind === "numerical") {
        // A finite JSON number, the common case, without readNumber's result object.
        if (typeof cell === "number" && cell - cell === 0) {
          encodeNumber(f, cell, out, o);
          o += numericalWidth(f);
          continue;
        }
        const v = readNumber(cell, options.numericStrings);
        if (v.kind === "number") encodeNumber(f, v.value, out, o);
        else {
          if (v.kind === "junk") {
            if (options.junk === "reject") {
              const expected = options.numericStrings ? "a number" : "a JSON number (or null/NaN when unknown)";
              const reason = `expected ${expected}, got ${showValue(cell)}`;
              if (!options.onReject) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row: r, feature: f.name, reason });
              options.onReject(r, f.name, reason);
              o = (r + 1) * state.width;
              break;
            }
            recordJunk(issues?.[k], cell);
          } else if (issues) issues[k]!.missing++;
          // The training mean, standardised, is 0, as is the median's quantile score; the bins
          // take the median too.
          out[o] = 0;
          if (f.bins) encodeBins(f.bins, medianOf(f), out, o + binsOffset(f));
          if (f.missingIndicator) out[o + numericalWidth(f) - 1] = 1;
        }
        o += numericalWidth(f);
      } else if (f.kind === "date") {
        const t = readDate(cell);
        const pw = datePartsWidth(f);
        const w = pw + (f.missingIndicator ? 1 : 0);
        if (t !== null) {
          const parts = dateParts(t);
          let c = o;
          for (const { part, mean, std, period, bins } of f.parts) {
            const v = parts[PART_INDEX[part]]!;
            if (period) {
              const phase = (2 * Math.PI * v) / period;
              out[c++] = Math.sin(phase);
              out[c++] = Math.cos(phase);
            } else {
              out[c++] = (v - mean) / std;
              if (bins) {
                encodeBins(bins, v, out, c);
                c += binsWidth(bins);
              }
            }
          }
        } else {
          const missing = cell === null || cell === undefined || (typeof cell === "number" && Number.isNaN(cell)) || (typeof cell === "string" && readNumber(cell, true).kind === "missing");
          if (!missing) {
            if (options.junk === "reject") {
              const reason = `expected an ISO 8601 date or date-time string (2024-03-05, 2024-03-05T10:20:30Z), got ${showValue(cell)}`;
              if (!options.onReject) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row: r, feature: f.name, reason });
              options.onReject(r, f.name, reason);
              o = (r + 1) * state.width;
              break;
            }
            recordJunk(issues?.[k], cell);
          } else if (issues) issues[k]!.missing++;
          if (f.missingIndicator) out[o + pw] = 1;
        }
        o += w;
      } else {
        if (cell !== null && cell !== undefined && typeof cell === "object") {
          const reason = `expected a string, number or boolean, got ${showValue(cell)}`;
          if (!options.onReject) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row: r, feature: f.name, reason });
          options.onReject(r, f.name, reason);
          o = (r + 1) * state.width;
          break;
        }
        const c = readCategory(cell);
        let slot = c === null ? -1 : (vocabulary(f).get(c) ?? -1);
        if (c === null && f.missingBucket) {
          if (issues) issues[k]!.missing++;
          slot = f.categories.length + 1;
        } else if (slot < 0) {
          if (options.nonStringCategories === "known-only" && (typeof cell === "number" || typeof cell === "boolean") && c !== null) {
            const shown = f.categories.slice(0, 10).map((x) => showValue(x)).join(", ") + (f.categories.length > 10 ? `, ... (${f.categories.length} in all)` : "");
            throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row: r, feature: f.name, reason: `is categorical (${shown}); got the ${typeof cell} ${showValue(cell)}, which is not one of its categories: send the category as a string` });
          }
          if (issues) {
            const is = issues[k]!;
            if (c === null) is.missing++;
            else {
              is.unseen++;
              const ex = (is.unseenExamples ??= []);
              if (ex.length < 3 && !ex.includes(c)) ex.push(c);
            }
          }
          slot = f.categories.length;
        }
        out[o + slot] = 1;
        o += f.categories.length + (f.missingBucket ? 2 : 1);
      }
    }
  }
  return out;
}

/** Encodes the given rows of a table, looking features up by column name. */
export function encodeTable(state: PreprocessorState, table: Table, rows: readonly number[], options: EncodeOptions, report?: EncodeReport): Float32Array {
  const cols = state.features.map((f) => {
    const j = table.columns.indexOf(f.name);
    if (j < 0) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: f.name, role: "feature", available: [...table.columns] });
    return j;
  });
  return encodeRows(state, rows.length, (r, k) => table.rows[rows[r]!]![cols[k]!], options, report);
}

/** Kind and position of each raw input feature, for model metadata. */
export function featureSignature(state: PreprocessorState): { name: string; kind: FeatureKind; categories?: string[] }[] {
  return state.features.map((f) => (f.kind === "categorical" ? { name: f.name, kind: f.kind, categories: [...f.categories] } : { name: f.name, kind: f.kind }));
}

/**
 * Encodes the target of the given rows: class index (classification) or the raw value
 * (regression). Rows whose target is missing or unknown must have been dropped by the caller.
 */
export function encodeTarget(state: PreprocessorState, table: Table, rows: readonly number[]): Float64Array {
  const j = table.columns.indexOf(state.target);
  const t = state.targetTransform;
  // Float64, so a regression target with a large mean keeps its precision until it is standardised.
  const out = new Float64Array(rows.length);
  rows.forEach((i, r) => {
    const cell = table.rows[i]![j];
    if (t.task === "regression") {
      const v = readNumber(cell, true);
      if (v.kind !== "number") throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: state.target, reason: `row ${i + 1} has ${showValue(cell)}, not a number` });
      out[r] = v.value;
    } else {
      const idx = t.classes.indexOf(readCategory(cell) ?? "");
      if (idx < 0) throw mlopsError("MLOPS_ERR_DATA_TARGET", { column: state.target, reason: `row ${i + 1} has class ${showValue(cell)}, not seen in training (${t.classes.join(", ")})` });
      out[r] = idx;
    }
  });
  return out;
}

/** Indices of rows whose target is usable for `task`; the rest are reported as dropped. */
export function rowsWithTarget(table: Table, target: string, task: Task): { rows: number[]; dropped: number } {
  const j = table.columns.indexOf(target);
  const rows: number[] = [];
  table.rows.forEach((r, i) => {
    const ok = task === "regression" ? readNumber(r[j], true).kind === "number" : readCategory(r[j]) !== null;
    if (ok) rows.push(i);
  });
  return { rows, dropped: table.rows.length - rows.length };
}
