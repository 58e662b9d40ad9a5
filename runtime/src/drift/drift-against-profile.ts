/**
 * Online drift: a window of current values (e.g. the last N requests the server saw) against a
 * model version's reference profile. Only the columns passed are compared, so a window of features
 * can be checked against a profile that also holds the target.
 */

import type { Cell } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import { columnDrift } from "./column-drift.ts";
import { summarizeDrift } from "./dataset-drift.ts";
import { type DriftOptions, resolveDriftOptions } from "./drift-options.ts";
import type { DriftResult } from "./drift-result.ts";
import { type ReferenceProfile, decodeColumn } from "./reference-profile.ts";

/** One column of the current window: numbers (or numeric strings) for numerical columns, labels for categorical ones; null is missing. */
export interface CurrentColumn {
  name: string;
  values: readonly (number | null)[] | readonly (string | null)[] | readonly (Cell | undefined)[];
}

/**
 * Drift of `current` against `profile`, column by column with the profile's kinds, then the
 * dataset verdict. Throws MLOPS_ERR_DRIFT_COLUMNS naming columns the profile does not have,
 * MLOPS_ERR_DRIFT_EMPTY_COLUMN when a column has no present value, MLOPS_ERR_DRIFT_TEST when a
 * forced test does not fit a column, MLOPS_ERR_DRIFT_VALUE for text in a numerical column.
 */
export function driftAgainstProfile(profile: ReferenceProfile, current: readonly CurrentColumn[], options?: DriftOptions): DriftResult {
  const o = resolveDriftOptions(options);
  if (o.categorical.length > 0) {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", {
      source: "drift options",
      issues: ["categorical: a reference profile fixes each column's kind; pass kinds to buildReferenceProfile instead"],
    });
  }
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const unknown = current.filter((c) => !byName.has(c.name)).map((c) => c.name);
  if (unknown.length > 0) throw mlopsError("MLOPS_ERR_DRIFT_COLUMNS", { onlyInReference: [], onlyInCurrent: unknown });
  const seen = new Set<string>();
  for (const c of current) {
    if (seen.has(c.name)) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "current window", issues: [`column ${JSON.stringify(c.name)} is given twice`] });
    seen.add(c.name);
  }
  const columns = current.map((c) => columnDrift(c.name, decodeColumn(byName.get(c.name)!), c.values as readonly (Cell | undefined)[], o));
  return summarizeDrift(columns, o);
}
