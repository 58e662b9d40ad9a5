import { mlopsError, showValue } from "../errors.ts";
import { type FeatureKind, type ModelConfig, type ResolvedModelConfig, type Task, resolveNetwork } from "./model-config.ts";
import type { Table } from "./table.ts";
import { readCategory, readDate, readNumber } from "./values.ts";

/** Why a column was left out without being listed in `exclude`. */
export type SkipRule = "empty" | "constant" | "row-id" | "identifier";

/** What inference decided about a column, for the training report. */
export interface ColumnDecision {
  column: string;
  decision: FeatureKind | "skipped";
  reason: string;
  /** For skipped columns: which rule skipped it. @default - absent for used columns */
  rule?: SkipRule;
  /** Values of an inferred numerical or date column that did not read as one (treated as missing). @default - absent when there were none */
  junk?: { count: number; examples: string[] };
}

/** An integer target with more distinct values than this is a regression target. */
export const MAX_CLASSES_NUMERIC = 20;
/** An integer target with at most {@link MAX_CLASSES_NUMERIC} values is multiclass only with at least this many rows per distinct value on average. */
export const MIN_ROWS_PER_CLASS = 10;
/** Share of a column's present values that must read as numbers (or ISO dates) for it to be inferred numerical (or date); the rest count as junk and are treated as missing. */
export const NUMERIC_SHARE = 0.95;
/** A categorical column whose distinct share of rows exceeds this (and has > 50 values) looks like an identifier. */
const IDENTIFIER_SHARE = 0.5;
/** Column names that say "row number" (compared case-insensitively). */
const ROW_ID_NAME = /^(id|_id|row|rows|row_?id|row_?num(ber)?|index|idx|unnamed: ?0|#|no|n°|record_?id|key|pk)$/i;

/** How a column reads: its kind, and the values that did not fit it. */
export interface KindReading {
  kind: FeatureKind;
  /** Present values that did not read as the kind (numerical and date only). */
  junk: number;
  /** Up to 3 of them. */
  examples: string[];
}

/**
 * Kind of a column. Numerical when at least {@link NUMERIC_SHARE} of the present values read as
 * numbers (CSV strings allowed; missing tokens such as "", "NA", "-", "#N/A" do not count); date
 * when that share are ISO 8601 dates or date-times; categorical otherwise. The few values that did
 * not read are returned as junk: training treats them as missing and reports them.
 */
export function readKind(values: readonly unknown[]): KindReading {
  let numbers = 0;
  let dates = 0;
  let present = 0;
  const notNumber: string[] = [];
  const notDate: string[] = [];
  for (const v of values) {
    const r = readNumber(v as never, true);
    if (r.kind === "missing") continue;
    present++;
    if (r.kind === "number") numbers++;
    else if (notNumber.length < 3) notNumber.push(String(v));
    if (readDate(v as never) !== null) dates++;
    else if (notDate.length < 3 && r.kind !== "number") notDate.push(String(v));
  }
  if (numbers > 0 && numbers >= NUMERIC_SHARE * present) return { kind: "numerical", junk: present - numbers, examples: present > numbers ? notNumber : [] };
  if (dates > 0 && dates >= NUMERIC_SHARE * present) return { kind: "date", junk: present - dates, examples: present > dates ? notDate : [] };
  return { kind: "categorical", junk: 0, examples: [] };
}

/** Kind of a column (see {@link readKind}). */
export function inferKind(values: readonly unknown[]): FeatureKind {
  return readKind(values).kind;
}

/** A task and the rule that chose it, in words. */
export interface TaskInference {
  task: Task;
  rule: string;
}

/**
 * Task for a target column, by the first rule that fires:
 * 1. exactly 2 distinct values → binary;
 * 2. a value that is not a number → multiclass;
 * 3. a fractional number → regression;
 * 4. integers with more than {@link MAX_CLASSES_NUMERIC} distinct values → regression;
 * 5. integers with fewer than {@link MIN_ROWS_PER_CLASS} rows per distinct value → regression
 *    (too few rows to learn each value as a class; the order of the values carries information);
 * 6. otherwise (integers, 3-20 values, enough rows each) → multiclass.
 */
export function inferTaskRule(values: readonly unknown[]): TaskInference {
  const distinct = new Set<string>();
  let numeric = true;
  let fractional = false;
  let rows = 0;
  for (const v of values) {
    const c = readCategory(v as never);
    if (c === null) continue;
    rows++;
    distinct.add(c);
    const r = readNumber(v as never, true);
    if (r.kind !== "number") numeric = false;
    else if (!Number.isInteger(r.value)) fractional = true;
  }
  const k = distinct.size;
  if (k === 2) return { task: "binary", rule: "2 distinct values" };
  if (!numeric) return { task: "multiclass", rule: `${k} distinct values, not all numbers` };
  if (fractional) return { task: "regression", rule: "numbers with fractional values" };
  if (k > MAX_CLASSES_NUMERIC) return { task: "regression", rule: `integers with ${k} distinct values (> ${MAX_CLASSES_NUMERIC})` };
  const perValue = rows / Math.max(1, k);
  if (perValue < MIN_ROWS_PER_CLASS) return { task: "regression", rule: `integers with ${k} distinct values but ${perValue.toFixed(1)} rows per value (< ${MIN_ROWS_PER_CLASS}); set task: multiclass to treat them as classes` };
  return { task: "multiclass", rule: `integers with ${k} distinct values (<= ${MAX_CLASSES_NUMERIC}) and ${perValue.toFixed(1)} rows per value (>= ${MIN_ROWS_PER_CLASS}); set task: regression to treat them as numbers` };
}

/** Task for a target column (see {@link inferTaskRule}). */
export function inferTask(values: readonly unknown[]): Task {
  return inferTaskRule(values).task;
}

/**
 * Whether a column is a row identifier: every value present, an integer, and unique, and either
 * strictly monotonic in file order (1, 2, 3, ... or any increasing/decreasing run) or named like
 * an id (`id`, `row`, `index`, `Unnamed: 0`, ...). Such a column leaks the row order (a file sorted
 * by class) and says nothing about rows with new ids.
 */
export function isRowId(name: string, values: readonly unknown[]): string | undefined {
  if (values.length < 3) return undefined;
  const nums: number[] = [];
  for (const v of values) {
    const r = readNumber(v as never, true);
    if (r.kind !== "number" || !Number.isInteger(r.value)) return undefined;
    nums.push(r.value);
  }
  if (new Set(nums).size !== nums.length) return undefined;
  let up = true;
  let down = true;
  for (let i = 1; i < nums.length; i++) {
    if (nums[i]! <= nums[i - 1]!) up = false;
    if (nums[i]! >= nums[i - 1]!) down = false;
  }
  if (up || down) return `unique integers ${up ? "increasing" : "decreasing"} in file order look like a row id`;
  if (ROW_ID_NAME.test(name.trim())) return `unique integers in a column named ${JSON.stringify(name)} look like a row id`;
  return undefined;
}

/** Resolves a model config against a dataset: checks columns exist, infers the task and feature kinds. */
export function resolveConfig(config: ModelConfig, table: Table, defaultName: string): { config: ResolvedModelConfig; decisions: ColumnDecision[]; taskRule: string } {
  const has = (c: string) => table.columns.includes(c);
  if (!has(config.target)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: config.target, role: "target", available: [...table.columns] });
  for (const c of config.exclude) {
    if (!has(c)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: c, role: "excluded", available: [...table.columns] });
  }
  const valuesOf = (c: string) => {
    const j = table.columns.indexOf(c);
    return table.rows.map((r) => r[j]);
  };
  const inferred = config.task === undefined ? inferTaskRule(valuesOf(config.target)) : { task: config.task, rule: "set in config" };
  const task = inferred.task;
  const decisions: ColumnDecision[] = [];
  const features: { name: string; kind: FeatureKind }[] = [];
  const withJunk = (d: ColumnDecision, r: KindReading): ColumnDecision => (r.junk > 0 ? { ...d, junk: { count: r.junk, examples: r.examples } } : d);
  if (config.features) {
    for (const spec of config.features) {
      const name = typeof spec === "string" ? spec : spec.name;
      if (!has(name)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: name, role: "feature", available: [...table.columns] });
      if (name === config.target) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: [`features: ${JSON.stringify(name)} is the target column`] });
      if (features.some((f) => f.name === name)) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: [`features: ${JSON.stringify(name)} is listed twice`] });
      const given = typeof spec === "string" ? undefined : spec.kind;
      const reading = given ? undefined : readKind(valuesOf(name));
      const kind = given ?? reading!.kind;
      features.push({ name, kind });
      const d: ColumnDecision = { column: name, decision: kind, reason: given ? "set in config" : "inferred" };
      decisions.push(reading ? withJunk(d, reading) : d);
    }
  } else {
    for (const name of table.columns) {
      if (name === config.target || config.exclude.includes(name)) continue;
      const values = valuesOf(name);
      const present = values.filter((v) => readNumber(v ?? null, true).kind !== "missing");
      if (present.length === 0) {
        decisions.push({ column: name, decision: "skipped", reason: "every value is missing", rule: "empty" });
        continue;
      }
      const distinct = new Set(present.map((v) => readCategory(v ?? null))).size;
      if (distinct === 1 && present.length === values.length) {
        decisions.push({ column: name, decision: "skipped", reason: `constant: every row is ${showValue(present[0])}`, rule: "constant" });
        continue;
      }
      const rowId = isRowId(name, values);
      if (rowId) {
        decisions.push({ column: name, decision: "skipped", reason: `${rowId}; list it in features to use it`, rule: "row-id" });
        continue;
      }
      const reading = readKind(values);
      if (reading.kind === "categorical" && distinct > 50 && distinct / present.length > IDENTIFIER_SHARE) {
        decisions.push({ column: name, decision: "skipped", reason: `${distinct} distinct values in ${present.length} rows looks like an identifier; list it in features to use it`, rule: "identifier" });
        continue;
      }
      features.push({ name, kind: reading.kind });
      decisions.push(withJunk({ column: name, decision: reading.kind, reason: "inferred" }, reading));
    }
  }
  if (features.length === 0) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: ["features: no usable feature columns"] });
  const resolved: ResolvedModelConfig = {
    name: config.name ?? defaultName,
    target: config.target,
    task,
    features,
    maxCategories: config.maxCategories,
    numericalBins: config.numericalBins,
    // Provisional schedule from the table's size; training fixes it from the actual split sizes.
    network: resolveNetwork(config.network, Math.round(table.rows.length * (1 - config.network.testSplit) * (1 - config.network.validationSplit)), Math.round(table.rows.length * (1 - config.network.testSplit) * config.network.validationSplit), task),
  };
  if (config.positiveClass !== undefined) resolved.positiveClass = String(config.positiveClass);
  return { config: resolved, decisions, taskRule: inferred.rule };
}
