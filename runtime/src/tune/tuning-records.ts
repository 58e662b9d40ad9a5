import { z } from "zod";
import type { ResolvedModelConfig } from "../data/model-config.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { registryLayout } from "../registry/registry-layout.ts";
import { describeIssues } from "../registry/version-metadata.ts";
import type { FoldResult } from "./cross-validate.ts";
import type { SamplerName } from "./sampler.ts";
import { type ParamSpec, type Params, paramSpec } from "./search-space.ts";

/** A search id: `YYYYMMDDTHHMMSSZ-<hex>` when generated; any 1-63 of a-z, A-Z, 0-9, '.', '_', '-' when given. */
export const searchIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Trial states: pending (sampled, not started), running, and the finished ones; `stopped` (budget ran out mid-trial) resumes. */
export const TRIAL_STATUSES = ["pending", "running", "complete", "pruned", "failed", "stopped"] as const;
/** A trial state. */
export type TrialStatus = (typeof TRIAL_STATUSES)[number];
/** States a trial never leaves: it is not run again on resume. */
export const FINISHED: ReadonlySet<TrialStatus> = new Set(["complete", "pruned", "failed"]);

/** One successive-halving rung a trial finished: its epoch budget and the k folds' results. */
export interface RungResult {
  /** Epoch budget of the rung (early stopping may end a fold sooner). */
  epochs: number;
  /** Mean objective over the folds. */
  value: number;
  folds: FoldResult[];
  /** Wall-clock seconds of the rung's k trainings. */
  seconds: number;
}

/** `models/<m>/tuning/<searchId>/trials/<n>.json`. */
export interface TrialRecord {
  searchId: string;
  trial: number;
  params: Params;
  status: TrialStatus;
  /** Rungs finished, in order. */
  rungs: RungResult[];
  /** Objective at the last finished rung (null before the first). */
  value: number | null;
  /** Epochs trained over every rung and fold. */
  epochsRun: number;
  /** Wall-clock seconds over every attempt. */
  seconds: number;
  /** Why the trial failed or was stopped. */
  error?: string;
  /** Who ran it last: `local:<pid>` or `kubernetes:<job>/<index>`. */
  worker?: string;
  updatedAt: string;
}

/** `models/<m>/tuning/<searchId>/search.json`. */
export interface SearchRecord {
  searchId: string;
  model: string;
  createdAt: string;
  updatedAt: string;
  /** running while a `mlops tune` works on it; stopped when its budget ran out or it was killed; complete once the best config is registered. */
  status: "running" | "stopped" | "complete";
  /** The rows every trial reads: a content-addressed copy in the registry. */
  data: { source: string; digest: string; rows: number; url: string; sha256: string };
  /** The resolved model config every trial starts from (features, task, network defaults). */
  config: ResolvedModelConfig;
  space: ParamSpec[];
  sampler: SamplerName;
  /** What is minimised: mean held-out log loss (classification) or RMSE (regression) over the folds. */
  objective: "logLoss" | "rmse";
  folds: number;
  seed: number;
  /** Successive halving: epoch budgets of the rungs and the reduction factor. */
  pruning: { rungs: number[]; reductionFactor: number };
  /** The budget of the latest session: most trials in total, and seconds for that session (null: none). */
  budget: { trials: number; seconds: number | null };
  executor: { kind: "local" | "kubernetes"; workers: number };
  /** Seconds spent over every session. */
  elapsedSeconds: number;
  /** Best complete trial so far. */
  best: { trial: number; value: number; params: Params; metrics: Record<string, number> } | null;
  /** The version the best config was trained into. */
  registered: { version: number } | null;
}

const foldResult = z.object({ value: z.number().nullable(), metrics: z.record(z.string(), z.number().nullable()), epochs: z.number(), bestEpoch: z.number(), rows: z.number() });
const params = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));
const trialSchema = z.looseObject({
  searchId: z.string(),
  trial: z.number().int().min(0),
  params,
  status: z.enum(TRIAL_STATUSES),
  rungs: z.array(z.object({ epochs: z.number(), value: z.number().nullable(), folds: z.array(foldResult), seconds: z.number() })),
  value: z.number().nullable(),
  epochsRun: z.number(),
  seconds: z.number(),
  error: z.string().optional(),
  worker: z.string().optional(),
  updatedAt: z.string(),
});
const searchSchema = z.looseObject({
  searchId: z.string(),
  model: z.string(),
  status: z.enum(["running", "stopped", "complete"]),
  data: z.object({ source: z.string(), digest: z.string(), rows: z.number(), url: z.string(), sha256: z.string() }),
  config: z.looseObject({ name: z.string(), target: z.string(), task: z.enum(["binary", "multiclass", "regression"]), network: z.looseObject({}) }),
  space: z.array(paramSpec),
  sampler: z.enum(["tpe", "random"]),
  objective: z.enum(["logLoss", "rmse"]),
  folds: z.number().int().min(2),
  seed: z.number().int(),
  pruning: z.object({ rungs: z.array(z.number().int().positive()).min(1), reductionFactor: z.number().min(2) }),
  budget: z.object({ trials: z.number().int().min(1), seconds: z.number().nullable() }),
  executor: z.object({ kind: z.enum(["local", "kubernetes"]), workers: z.number().int().min(1) }),
  elapsedSeconds: z.number(),
  best: z.object({ trial: z.number(), value: z.number(), params, metrics: z.record(z.string(), z.number()) }).nullable(),
  registered: z.object({ version: z.number().int().positive() }).nullable(),
});

// JSON has no NaN: a metric undefined on a fold (AUC with one class) is stored as null.
const toJson = (v: unknown) => `${JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x), 2)}\n`;

function parse<T>(schema: z.ZodType, data: Buffer, key: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `not valid JSON (${(err as Error).message})` }, { cause: err });
  }
  const r = schema.safeParse(json);
  if (!r.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: describeIssues(r.error) });
  return r.data as T;
}

/** Reads a search's record; MLOPS_ERR_TUNE_SEARCH_NOT_FOUND when it does not exist. */
export async function readSearch(registry: ModelRegistry, model: string, searchId: string): Promise<SearchRecord> {
  const key = registryLayout.tuningSearch(model, searchId);
  const got = await registry.storage.get(key);
  if (!got) throw mlopsError("MLOPS_ERR_TUNE_SEARCH_NOT_FOUND", { model, searchId });
  return parse<SearchRecord>(searchSchema, got.data, key);
}

/** Writes a search's record (only the `mlops tune` coordinating the search writes it). */
export async function writeSearch(registry: ModelRegistry, search: SearchRecord): Promise<void> {
  await registry.storage.put(registryLayout.tuningSearch(search.model, search.searchId), toJson(search));
}

/** Reads one trial; undefined when it does not exist. */
export async function readTrial(registry: ModelRegistry, model: string, searchId: string, trial: number): Promise<TrialRecord | undefined> {
  const key = registryLayout.tuningTrial(model, searchId, trial);
  const got = await registry.storage.get(key);
  return got ? parse<TrialRecord>(trialSchema, got.data, key) : undefined;
}

/** Writes one trial's record. */
export async function writeTrial(registry: ModelRegistry, model: string, record: TrialRecord): Promise<void> {
  await registry.storage.put(registryLayout.tuningTrial(model, record.searchId, record.trial), toJson(record));
}

/** Every trial of a search, by trial number. */
export async function listTrials(registry: ModelRegistry, model: string, searchId: string): Promise<TrialRecord[]> {
  const prefix = registryLayout.tuningTrials(model, searchId);
  const numbers = (await registry.storage.list(prefix))
    .map((k) => /^(\d+)\.json$/.exec(k.slice(prefix.length))?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const out: TrialRecord[] = [];
  for (const n of numbers) {
    const t = await readTrial(registry, model, searchId, n);
    if (t) out.push(t);
  }
  return out;
}

/** Ids of a model's searches, oldest first (generated ids start with their UTC time). */
export async function listSearches(registry: ModelRegistry, model: string): Promise<string[]> {
  const prefix = registryLayout.tuning(model);
  const ids = new Set<string>();
  for (const k of await registry.storage.list(prefix)) {
    const [id, file] = k.slice(prefix.length).split("/");
    if (id && file === "search.json") ids.add(id);
  }
  return [...ids].sort();
}
