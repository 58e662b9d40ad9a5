import { mlopsError } from "../errors.ts";
import type { FeatureKind, ModelConfig, ResolvedModelConfig, Task } from "./model-config.ts";
import type { Table } from "./table.ts";
import { readCategory, readNumber } from "./values.ts";

/** What inference decided about a column, for the training report. */
export interface ColumnDecision {
  column: string;
  decision: "numerical" | "categorical" | "skipped";
  reason: string;
}

/** A numeric column with more distinct values than this (or any fractional value) is a regression target. */
const MAX_CLASSES_NUMERIC = 20;
/** A categorical column whose distinct share of rows exceeds this (and has > 50 values) looks like an identifier. */
const IDENTIFIER_SHARE = 0.5;

/** Kind of a column: numerical when every present value reads as a number (CSV strings allowed). */
export function inferKind(values: readonly unknown[]): FeatureKind {
  let present = 0;
  for (const v of values) {
    const r = readNumber(v as never, true);
    if (r.kind === "junk") return "categorical";
    if (r.kind === "number") present++;
  }
  return present > 0 ? "numerical" : "categorical";
}

/** Task for a target column: 2 classes → binary; numbers with many values or fractions → regression; else multiclass. */
export function inferTask(values: readonly unknown[]): Task {
  const distinct = new Set<string>();
  let numeric = true;
  let fractional = false;
  for (const v of values) {
    const c = readCategory(v as never);
    if (c === null) continue;
    distinct.add(c);
    const r = readNumber(v as never, true);
    if (r.kind !== "number") numeric = false;
    else if (!Number.isInteger(r.value)) fractional = true;
  }
  if (distinct.size === 2) return "binary";
  if (numeric && (fractional || distinct.size > MAX_CLASSES_NUMERIC)) return "regression";
  return "multiclass";
}

/** Resolves a model config against a dataset: checks columns exist, infers the task and feature kinds. */
export function resolveConfig(config: ModelConfig, table: Table, defaultName: string): { config: ResolvedModelConfig; decisions: ColumnDecision[] } {
  const has = (c: string) => table.columns.includes(c);
  if (!has(config.target)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: config.target, role: "target", available: [...table.columns] });
  for (const c of config.exclude) {
    if (!has(c)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: c, role: "excluded", available: [...table.columns] });
  }
  const valuesOf = (c: string) => {
    const j = table.columns.indexOf(c);
    return table.rows.map((r) => r[j]);
  };
  const task = config.task ?? inferTask(valuesOf(config.target));
  const decisions: ColumnDecision[] = [];
  const features: { name: string; kind: FeatureKind }[] = [];
  if (config.features) {
    for (const spec of config.features) {
      const name = typeof spec === "string" ? spec : spec.name;
      if (!has(name)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: name, role: "feature", available: [...table.columns] });
      if (name === config.target) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: [`features: ${JSON.stringify(name)} is the target column`] });
      if (features.some((f) => f.name === name)) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: [`features: ${JSON.stringify(name)} is listed twice`] });
      const given = typeof spec === "string" ? undefined : spec.kind;
      const kind = given ?? inferKind(valuesOf(name));
      features.push({ name, kind });
      decisions.push({ column: name, decision: kind, reason: given ? "set in config" : "inferred" });
    }
  } else {
    for (const name of table.columns) {
      if (name === config.target || config.exclude.includes(name)) continue;
      const values = valuesOf(name);
      const present = values.filter((v) => readCategory(v ?? null) !== null);
      if (present.length === 0) {
        decisions.push({ column: name, decision: "skipped", reason: "every value is missing" });
        continue;
      }
      const kind = inferKind(values);
      if (kind === "categorical") {
        const distinct = new Set(present.map((v) => readCategory(v ?? null))).size;
        if (distinct > 50 && distinct / present.length > IDENTIFIER_SHARE) {
          decisions.push({ column: name, decision: "skipped", reason: `${distinct} distinct values in ${present.length} rows looks like an identifier; list it in features to use it` });
          continue;
        }
      }
      features.push({ name, kind });
      decisions.push({ column: name, decision: kind, reason: "inferred" });
    }
  }
  if (features.length === 0) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: ["features: no usable feature columns"] });
  const resolved: ResolvedModelConfig = {
    name: config.name ?? defaultName,
    target: config.target,
    task,
    features,
    maxCategories: config.maxCategories,
    network: config.network,
  };
  if (config.positiveClass !== undefined) resolved.positiveClass = String(config.positiveClass);
  return { config: resolved, decisions };
}
