import type { ResolvedModelConfig } from "../data/model-config.ts";
import { rowsWithTarget } from "../data/preprocessor.ts";
import type { Table } from "../data/table.ts";
import { splitRows } from "../model/split.ts";
import { labeller } from "../model/train-model.ts";

/**
 * The train / validation / test row indices `trainModel` used for this config and table: the same
 * seeded split, stratified by class or (regression) target quantile, so a post-training step scores the very holdout
 * the version's metrics come from (a test checks the metrics recomputed on it equal the registered
 * ones). With `testSplit: 0` (k-fold evaluation) the test split is empty.
 */
export function trainingSplit(config: ResolvedModelConfig, table: Table): { train: number[]; validation: number[]; test: number[] } {
  const { rows } = rowsWithTarget(table, config.target, config.task);
  const { train, validation, test } = splitRows(rows, config.network.testSplit, config.network.validationSplit, config.network.seed, labeller(table, config, rows));
  return { train, validation, test };
}
