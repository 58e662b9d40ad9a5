import type { ResolvedModelConfig } from "../data/model-config.ts";
import { rowsWithTarget } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { seededRandom, shuffleInPlace } from "../model/random.ts";

/**
 * The train / validation / test row indices `trainModel` used for this config and table: the same
 * seeded shuffle and split sizes, so a post-training step scores the very holdout the version's
 * metrics come from (a test checks the metrics recomputed on it equal the registered ones).
 */
export function trainingSplit(config: ResolvedModelConfig, table: Table): { train: number[]; validation: number[]; test: number[] } {
  const { rows } = rowsWithTarget(table, config.target, config.task);
  const n = rows.length;
  const nTest = Math.max(1, Math.round(n * config.network.testSplit));
  const nVal = Math.max(1, Math.round((n - nTest) * config.network.validationSplit));
  shuffleInPlace(rows, seededRandom(config.network.seed ^ 0x5f3759df));
  return { test: rows.slice(0, nTest), validation: rows.slice(nTest, nTest + nVal), train: rows.slice(nTest + nVal) };
}
