/**
 * Offline drift between two whole tables (`mlops drift`): every test runs on the exact reference,
 * whatever its size (no sketch), with the same code path as monitoring against a profile.
 */

import { inferKind } from "../data/infer-schema.ts";
import type { Table } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import { categoricalReference, numericalReference, readCategoricalValues, readNumericalValues } from "./column-reference.ts";
import { columnDrift } from "./column-drift.ts";
import { summarizeDrift } from "./dataset-drift.ts";
import { type DriftOptions, resolveDriftOptions } from "./drift-options.ts";
import type { DriftResult } from "./drift-result.ts";
import type { ColumnKind } from "./drift-tests.ts";

const EXACT = { exactLimit: Infinity, distinctLimit: Infinity, knots: 0 };

/**
 * Drift of `current` against `reference`. Both must have the same columns (MLOPS_ERR_DRIFT_COLUMNS
 * names the differences); a column is numerical when every present value in both tables reads as
 * a number, unless `options.categorical` lists it.
 */
export function compareTables(reference: Table, current: Table, options?: DriftOptions): DriftResult {
  const o = resolveDriftOptions(options);
  const onlyInReference = reference.columns.filter((c) => !current.columns.includes(c));
  const onlyInCurrent = current.columns.filter((c) => !reference.columns.includes(c));
  if (onlyInReference.length || onlyInCurrent.length) throw mlopsError("MLOPS_ERR_DRIFT_COLUMNS", { onlyInReference, onlyInCurrent });
  for (const c of o.categorical) {
    if (!reference.columns.includes(c)) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: c, role: "categorical", available: [...reference.columns] });
  }
  const columns = reference.columns.map((name) => {
    const refCells = cellsOf(reference, name);
    const curCells = cellsOf(current, name);
    const inferred = inferKind([...refCells, ...curCells]);
    const kind: ColumnKind = o.categorical.includes(name) || inferred !== "numerical" ? "categorical" : "numerical";
    const ref = kind === "numerical" ? numericalReference(readNumericalValues(name, refCells), EXACT) : categoricalReference(readCategoricalValues(refCells), Infinity);
    return columnDrift(name, ref, curCells, o);
  });
  return summarizeDrift(columns, o);
}

function cellsOf(table: Table, name: string) {
  const j = table.columns.indexOf(name);
  return table.rows.map((r) => r[j] ?? null);
}
