import { rowsWithTarget } from "../data/preprocessor.ts";
import { readTable } from "../data/read-table.ts";
import type { Table } from "../data/table.ts";
import { describeError, mlopsError } from "../errors.ts";
import { initBackend } from "../model/backend.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { assignFolds, crossValidate } from "./cross-validate.ts";
import { applyParams } from "./search-space.ts";
import { promotable } from "./successive-halving.ts";
import { FINISHED, type SearchRecord, type TrialRecord, listTrials, readSearch, readTrial, writeTrial } from "./tuning-records.ts";

/** What {@link runTrial} needs. */
export interface RunTrialOptions {
  registry: ModelRegistry;
  model: string;
  searchId: string;
  trial: number;
  /** Recorded as the trial's `worker`. @default `local:<pid>` */
  worker?: string;
  /** The search's rows, when the caller has them already (else read from the search's registry copy). */
  table?: Table;
  now?: () => Date;
}

/**
 * Runs one trial of a search to a finished state, reading everything from the registry (so a
 * local worker process and a Kubernetes pod run it the same way): k-fold cross-validation at each
 * successive-halving rung not yet recorded, the rung's result written to the trial's record before
 * the promotion decision against the other trials' values at that rung, then `pruned` or on to the
 * next rung, `complete` after the last. A trial already finished is returned as it is (never rerun);
 * one stopped mid-way resumes at its next rung. A training failure (divergence, bad data in a fold)
 * is recorded as `failed`; a registry failure is thrown.
 */
export async function runTrial(options: RunTrialOptions): Promise<TrialRecord> {
  const { registry, model, searchId, trial } = options;
  const now = options.now ?? (() => new Date());
  const search = await readSearch(registry, model, searchId);
  const record = await readTrial(registry, model, searchId, trial);
  if (!record) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `tuning search ${searchId} of ${model} has no trial ${trial}` });
  if (FINISHED.has(record.status)) return record;
  const save = async (patch: Partial<TrialRecord>) => {
    Object.assign(record, patch, { updatedAt: now().toISOString() });
    await writeTrial(registry, model, record);
  };
  await save({ status: "running", worker: options.worker ?? `local:${process.pid}` });
  let stage = "reading the data";
  try {
    await initBackend();
    const table = options.table ?? (await readTable(search.data.url, { role: "the search's data" }));
    const folds = foldsOf(search, table);
    const rungs = search.pruning.rungs;
    for (let r = record.rungs.length; r < rungs.length; r++) {
      stage = `rung ${r + 1} (${rungs[r]} epochs)`;
      const started = performance.now();
      const cv = await crossValidate({ table, config: applyParams(search.config, record.params, rungs[r]), folds });
      const seconds = (performance.now() - started) / 1000;
      await save({
        rungs: [...record.rungs, { epochs: rungs[r]!, value: cv.value, folds: cv.folds, seconds }],
        value: cv.value,
        epochsRun: record.epochsRun + cv.folds.reduce((s, f) => s + f.epochs, 0),
        seconds: record.seconds + seconds,
      });
      if (r === rungs.length - 1) break;
      const competing = (await listTrials(registry, model, searchId)).map((t) => (t.trial === trial ? cv.value : t.rungs[r]?.value)).filter((v): v is number => typeof v === "number");
      if (!promotable(cv.value, competing, search.pruning.reductionFactor)) {
        await save({ status: "pruned" });
        return record;
      }
    }
    await save({ status: "complete" });
  } catch (err) {
    if (/^MLOPS_ERR_REGISTRY_/.test((err as { code?: string }).code ?? "")) throw err;
    await save({ status: "failed", error: `${stage}: ${describeError(err)}` });
  }
  return record;
}

/** The search's folds over the rows that have a target: the same for every trial (seeded by the search). */
export function foldsOf(search: SearchRecord, table: Table): number[][] {
  const { rows } = rowsWithTarget(table, search.config.target, search.config.task);
  return assignFolds(table, rows, search.config.target, search.config.task, search.folds, search.seed);
}
