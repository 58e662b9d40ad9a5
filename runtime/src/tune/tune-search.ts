import { randomBytes } from "node:crypto";
import { snapshotTable } from "../data/dataset-snapshot.ts";
import { resolveConfig } from "../data/infer-schema.ts";
import { type ModelConfig, type ResolvedModelConfig, modelConfig, networkConfig } from "../data/model-config.ts";
import { rowsWithTarget } from "../data/preprocessor.ts";
import { readTable } from "../data/read-table.ts";
import type { Table } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import { seededRandom } from "../model/random.ts";
import { type Registered, type TrainOutcome, registerModel, trainModel } from "../model/train-model.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import type { DatasetSnapshot, TuningLineage } from "../registry/version-metadata.ts";
import { objectiveOf } from "./cross-validate.ts";
import { type Observation, RandomSampler, type Sampler, type SamplerName } from "./sampler.ts";
import { type ParamSpec, type Params, applyParams, assertSpace, defaultPoint, defaultSearchSpace } from "./search-space.ts";
import { REDUCTION_FACTOR, rungEpochs } from "./successive-halving.ts";
import { TpeSampler } from "./tpe-sampler.ts";
import type { TrialExecutor } from "./trial-executor.ts";
import { FINISHED, type SearchRecord, type TrialRecord, listTrials, readSearch, readTrial, writeSearch, writeTrial } from "./tuning-records.ts";

/** What to search; only `registry`, `executor` and, for a new search, `table` and `config` are required. */
export interface TuneOptions {
  registry: ModelRegistry;
  /** Registry location the workers open (the same store as `registry`). */
  registryLocation: string;
  executor: TrialExecutor;
  /** Model the search and its result belong to. */
  model: string;
  /** The data of a new search (ignored, but checked against the stored digest, on resume). */
  table?: Table;
  /** The model config of a new search (target, features, network defaults). */
  config?: ModelConfig;
  /** Resume this search (finished trials are never rerun); also how a new search is named. @default - a new id */
  searchId?: string;
  /** Most trials in the search, over every session. @default 100 */
  trials?: number;
  /** Seconds this session may run trials; the best config's final training comes after. @default - no limit */
  budgetSeconds?: number;
  /** Folds of the cross-validation. @default 3 */
  folds?: number;
  sampler?: SamplerName;
  /** The space; @default - {@link defaultSearchSpace} */
  space?: ParamSpec[];
  /** Seed of the folds and the sampler. @default - the config's network.seed */
  seed?: number;
  /** Skip training and registering the best config. @default false */
  noRegister?: boolean;
  onTrial?: (t: TrialRecord, search: SearchRecord) => void;
  now?: () => Date;
  signal?: AbortSignal;
}

/** How a search ended. */
export interface TuneResult {
  search: SearchRecord;
  trials: TrialRecord[];
  /** The best config's version, when registered in this session. */
  registered?: Registered;
  /** Trials run (to a finished state) in this session. */
  ranThisSession: number;
}

/** A sampler by name. */
export const samplerFor = (name: SamplerName): Sampler => (name === "tpe" ? new TpeSampler() : new RandomSampler());

/** A fresh search id: `YYYYMMDDTHHMMSSZ-<6 hex>`, sorting by creation time. */
export const newSearchId = (now: Date): string => `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;

/** What a sampler learns from: every finished trial, a failed one ranked last. */
export function observations(trials: readonly TrialRecord[]): Observation[] {
  return trials
    .filter((t) => FINISHED.has(t.status))
    .map((t) => ({ params: t.params, value: t.status === "failed" || t.value === null ? Number.POSITIVE_INFINITY : t.value, rung: t.status === "failed" ? -1 : t.rungs.length - 1 }));
}

/** The best complete trial (lowest objective), or undefined. */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  return trials.filter((t) => t.status === "complete" && typeof t.value === "number" && Number.isFinite(t.value)).sort((a, b) => a.value! - b.value! || a.trial - b.trial)[0];
}

/** Mean of each metric over the best rung's folds. */
function meanMetrics(t: TrialRecord): Record<string, number> {
  const folds = t.rungs.at(-1)?.folds ?? [];
  const sums: Record<string, number[]> = {};
  for (const f of folds) for (const [k, v] of Object.entries(f.metrics)) if (typeof v === "number" && Number.isFinite(v)) (sums[k] ??= []).push(v);
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
}

/** Creates a new search's record (data copied into the registry so every worker reads the same bytes), or loads one to resume. */
async function openSearch(o: TuneOptions, now: Date): Promise<SearchRecord> {
  const { registry, model } = o;
  if (o.searchId !== undefined) {
    const existing = await registry.storage.get(`models/${model}/tuning/${o.searchId}/search.json`);
    if (existing) {
      const s = await readSearch(registry, model, o.searchId);
      if (o.table && o.table.digest !== s.data.digest) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_MISMATCH", { searchId: s.searchId, field: "data (sha256)", stored: s.data.digest, given: o.table.digest });
      if (o.config && o.config.target !== s.config.target) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_MISMATCH", { searchId: s.searchId, field: "target", stored: s.config.target, given: o.config.target });
      if (o.sampler && o.sampler !== s.sampler) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_MISMATCH", { searchId: s.searchId, field: "sampler", stored: s.sampler, given: o.sampler });
      if (o.folds && o.folds !== s.folds) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_MISMATCH", { searchId: s.searchId, field: "folds", stored: s.folds, given: o.folds });
      return s;
    }
    if (!o.table || !o.config) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_NOT_FOUND", { model, searchId: o.searchId });
  }
  if (!o.table || !o.config) throw new TypeError("a new search needs a table and a config");
  const { config } = resolveConfig(o.config, o.table, model);
  const resolved: ResolvedModelConfig = { ...config, name: model };
  const { rows } = rowsWithTarget(o.table, resolved.target, resolved.task);
  const folds = o.folds ?? 3;
  if (rows.length < folds * 4) throw mlopsError("MLOPS_ERR_DATA_TOO_SMALL", { rows: rows.length, needed: folds * 4 });
  const space = o.space ?? defaultSearchSpace(resolved.task);
  assertSpace(space);
  const snapshot = await snapshotTable(registry, o.table);
  return {
    searchId: o.searchId ?? newSearchId(now),
    model,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    status: "running",
    data: { source: o.table.source, digest: o.table.digest, rows: rows.length, url: snapshot.url, sha256: snapshot.sha256 },
    config: resolved,
    space,
    sampler: o.sampler ?? "tpe",
    objective: objectiveOf(resolved.task),
    folds,
    seed: o.seed ?? resolved.network.seed,
    pruning: { rungs: rungEpochs(resolved.network.epochs), reductionFactor: REDUCTION_FACTOR },
    budget: { trials: o.trials ?? 100, seconds: o.budgetSeconds ?? null },
    executor: { kind: o.executor.kind, workers: o.executor.kind === "local" ? o.executor.concurrentRuns : o.executor.trialsPerRun },
    elapsedSeconds: 0,
    best: null,
    registered: null,
  };
}

/**
 * Runs (or resumes) a hyperparameter search: the sampler proposes a point from the finished
 * trials, the point is recorded as a pending trial, and the executor's workers run trials
 * (k-fold cross-validation per successive-halving rung, pruned early when not among the best
 * third at a rung) until the trial or time budget is spent. Trials still running when time is
 * up are stopped and recorded as `stopped`; on resume they go on from their last finished rung,
 * and finished trials are never rerun. Then the best complete trial's config is trained on the
 * search's rows with `trainModel` and registered, its lineage naming the search.
 */
export async function tune(o: TuneOptions): Promise<TuneResult> {
  const now = o.now ?? (() => new Date());
  const { registry, model, executor } = o;
  const search = await openSearch(o, now());
  if (o.trials !== undefined) search.budget.trials = o.trials;
  if (o.budgetSeconds !== undefined || o.searchId === undefined) search.budget.seconds = o.budgetSeconds ?? null;
  const alreadyComplete = search.status === "complete";
  if (!alreadyComplete) search.status = "running";
  search.updatedAt = now().toISOString();
  await writeSearch(registry, search);
  const sampler = samplerFor(search.sampler);
  const target = { registry: o.registryLocation, model, searchId: search.searchId };
  const started = performance.now();
  const deadline = search.budget.seconds === null ? Number.POSITIVE_INFINITY : started + search.budget.seconds * 1000;
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const timer = Number.isFinite(deadline) ? setTimeout(() => stop.abort(new Error("time budget spent")), Math.max(0, deadline - performance.now())) : undefined;

  let trials = await listTrials(registry, model, search.searchId);
  // Unfinished trials of an earlier session (killed, or stopped by its budget) go first, with their recorded points.
  const queue = alreadyComplete ? [] : trials.filter((t) => !FINISHED.has(t.status)).map((t) => t.trial);
  let next = trials.reduce((m, t) => Math.max(m, t.trial + 1), 0);
  let ranThisSession = 0;
  const active = new Map<number, Promise<void>>();
  let runId = 0;
  const refresh = async () => {
    trials = await listTrials(registry, model, search.searchId);
    const best = bestTrial(trials);
    search.best = best ? { trial: best.trial, value: best.value!, params: best.params, metrics: meanMetrics(best) } : null;
  };
  const newTrial = async (): Promise<number> => {
    const n = next++;
    // Trial 0 is the untuned default, so the search has it to beat.
    const params: Params = n === 0 ? defaultPoint(search.space, search.config) : sampler.suggest(search.space, observations(trials), seededRandom((search.seed * 1_000_003 + n * 7919) >>> 0));
    await writeTrial(registry, model, { searchId: search.searchId, trial: n, params, status: "pending", rungs: [], value: null, epochsRun: 0, seconds: 0, updatedAt: now().toISOString() });
    return n;
  };
  const launch = (batch: number[]) => {
    const id = runId++;
    const p = executor.run(target, batch, stop.signal).then(async ({ crashed }) => {
      for (const n of batch) {
        const rec = await readTrial(registry, model, search.searchId, n);
        if (!rec || FINISHED.has(rec.status)) {
          if (rec) ranThisSession++;
          continue;
        }
        const why = crashed.get(n);
        if (stop.signal.aborted) await writeTrial(registry, model, { ...rec, status: "stopped", error: `stopped: ${describeStop(stop.signal.reason)}`, updatedAt: now().toISOString() });
        else {
          await writeTrial(registry, model, { ...rec, status: "failed", error: why ?? "the worker ended without recording a result", updatedAt: now().toISOString() });
          ranThisSession++;
        }
      }
      await refresh();
      search.updatedAt = now().toISOString();
      await writeSearch(registry, search);
      for (const n of batch) {
        const rec = trials.find((t) => t.trial === n);
        if (rec) o.onTrial?.(rec, search);
      }
    });
    active.set(id, p.finally(() => active.delete(id)));
  };
  try {
    while (!alreadyComplete) {
      while (!stop.signal.aborted && active.size < executor.concurrentRuns) {
        const batch: number[] = [];
        while (batch.length < executor.trialsPerRun && (queue.length > 0 || next < search.budget.trials)) batch.push(queue.length > 0 ? queue.shift()! : await newTrial());
        if (batch.length === 0) break;
        launch(batch);
      }
      if (active.size === 0) break;
      await Promise.race(active.values());
    }
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onOuterAbort);
    await Promise.allSettled(active.values());
    await refresh();
    search.elapsedSeconds = round(search.elapsedSeconds + (performance.now() - started) / 1000);
    if (!alreadyComplete) search.status = "stopped";
    search.updatedAt = now().toISOString();
    await writeSearch(registry, search);
  }
  if (o.signal?.aborted) throw o.signal.reason;
  const result: TuneResult = { search, trials, ranThisSession };
  if (alreadyComplete || o.noRegister) return result;
  const best = bestTrial(trials);
  if (!best) {
    const failed = trials.find((t) => t.status === "failed")?.error;
    throw mlopsError("MLOPS_ERR_TUNE_NO_COMPLETE_TRIAL", { searchId: search.searchId, trials: trials.length, reason: failed ? `e.g. ${failed}` : "every trial was pruned or stopped before its last rung" });
  }
  result.registered = await registerBest(o.registry, search, best, trials.length);
  search.registered = { version: result.registered.metadata.version };
  search.status = "complete";
  search.updatedAt = now().toISOString();
  await writeSearch(registry, search);
  return result;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const describeStop = (reason: unknown) => (reason instanceof Error ? reason.message : String(reason ?? "aborted"));

/**
 * The model config that trains the best trial's point on the search's rows: the search's
 * resolved features and task, the point's network, the last rung's epoch budget, and — where this
 * build's config supports them — no test split and a refit on every row after early stopping.
 */
export function finalConfig(search: SearchRecord, params: Params): ModelConfig {
  const tuned = applyParams(search.config, params, search.pruning.rungs.at(-1));
  const network: Record<string, unknown> = { ...tuned.network };
  if (networkConfig.safeParse({ testSplit: 0 }).success) network.testSplit = 0;
  if (networkConfig.safeParse({ refit: true }).success) network.refit = true;
  const { features, ...rest } = tuned as ResolvedModelConfig & Record<string, unknown>;
  return modelConfig.parse({ ...rest, features: features.map((f) => ({ name: f.name, kind: f.kind })), network });
}

/** Trains and registers the best trial's config with the search as its lineage. */
export async function registerBest(registry: ModelRegistry, search: SearchRecord, best: TrialRecord, trialCount: number): Promise<Registered> {
  const table = await readTable(search.data.url, { role: "the search's data" });
  const outcome: TrainOutcome = await trainModel({ table, config: finalConfig(search, best.params), defaultName: search.model });
  const snapshot: DatasetSnapshot = { url: search.data.url, key: search.data.url.slice(registry.storage.url.length + 1), sha256: search.data.sha256, bytes: table.files?.[0]?.bytes ?? 0, rows: table.rows.length };
  const tuning: TuningLineage = { searchId: search.searchId, trial: best.trial, params: best.params, objective: search.objective, value: best.value!, folds: search.folds, trials: trialCount, sampler: search.sampler };
  return registerModel(registry, outcome, table, null, snapshot, { tuning });
}
