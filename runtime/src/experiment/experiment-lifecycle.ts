import type { PreprocessorState } from "../data/preprocessor.ts";
import { mlopsError } from "../errors.ts";
import { PREPROCESSOR_JSON } from "../model/train-model.ts";
import {
  DEFAULT_EXPERIMENT_HEADER,
  type Experiment,
  type ExperimentKey,
  type ModelRegistry,
  appendEvent,
  listExperiments,
  newExperimentId,
  readActiveExperiment,
  readExperiment,
  readRollout,
  writeExperiment,
} from "../registry/index.ts";
import { type ExperimentReport, experimentReport } from "./experiment-report.ts";

/** What `startExperiment` needs. */
export interface StartExperiment {
  /** Versions and weights; the first is the control. */
  variants: { version: number; weight: number }[];
  /** @default header x-mlops-experiment-key */
  key?: ExperimentKey;
  /** Labelled rows per variant before the test is read. @default 1000 when no time budget is given, else none */
  minSamples?: number | null;
  /** Time budget in ms. @default none */
  maxDurationMs?: number | null;
  /** Family-wise significance level. @default 0.05 */
  alpha?: number;
  /** @default exp-<time>-<random> */
  id?: string;
  actor: string;
}

/** Default labelled rows per variant when no budget is given. */
export const DEFAULT_MIN_SAMPLES = 1000;

const invalid = (field: string, reason: string) => mlopsError("MLOPS_ERR_EXPERIMENT_INVALID", { field, reason });

async function preprocessorOf(registry: ModelRegistry, model: string, version: number): Promise<PreprocessorState> {
  const key = `models/${model}/versions/${version}/${PREPROCESSOR_JSON}`;
  try {
    return JSON.parse((await registry.readFile(model, version, PREPROCESSOR_JSON)).toString("utf8")) as PreprocessorState;
  } catch (err) {
    if ((err as { code?: string }).code) throw err;
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
  }
}

/**
 * Starts an A/B experiment: validates the variants (distinct existing versions of one task and
 * feature list, positive weights), refuses while a canary or shadow rollout or another experiment
 * routes the model, writes the record and the routing copy servers read, and records
 * `experiment-started` in the history.
 */
export async function startExperiment(registry: ModelRegistry, model: string, request: StartExperiment, now: Date = new Date()): Promise<Experiment> {
  if (request.variants.length < 2) throw invalid("variants", `needs two or more versions, got ${request.variants.length}`);
  const seen = new Set<number>();
  for (const v of request.variants) {
    if (seen.has(v.version)) throw invalid("variants", `version ${v.version} is listed twice`);
    seen.add(v.version);
    if (!(v.weight > 0) || !Number.isFinite(v.weight)) throw invalid("variants", `version ${v.version} needs a positive weight, got ${v.weight}`);
  }
  const pres: PreprocessorState[] = [];
  for (const v of request.variants) {
    await registry.getVersion(model, v.version);
    pres.push(await preprocessorOf(registry, model, v.version));
  }
  const names = (p: PreprocessorState) => p.features.map((f) => f.name).join(",");
  for (let i = 1; i < pres.length; i++) {
    if (pres[i]!.targetTransform.task !== pres[0]!.targetTransform.task) throw invalid("variants", `version ${request.variants[i]!.version} is a ${pres[i]!.targetTransform.task} model, the control a ${pres[0]!.targetTransform.task} one`);
    if (names(pres[i]!) !== names(pres[0]!)) throw invalid("variants", `version ${request.variants[i]!.version} takes features ${names(pres[i]!)}, the control ${names(pres[0]!)}: clients could not send one request to both`);
  }
  const key = request.key ?? { source: "header", name: DEFAULT_EXPERIMENT_HEADER };
  if (key.source === "header" && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key.name)) throw invalid("key", `${JSON.stringify(key.name)} is not a valid header name`);
  const alpha = request.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw invalid("alpha", `must be between 0 and 1, got ${alpha}`);
  const { rollout } = await readRollout(registry, model);
  if (rollout.mode !== "none") throw mlopsError("MLOPS_ERR_EXPERIMENT_CONFLICT", { model, reason: `a ${rollout.mode} rollout of version ${rollout.challenger} routes its traffic` });
  const { experiment: active } = await readActiveExperiment(registry, model);
  if (active) throw mlopsError("MLOPS_ERR_EXPERIMENT_CONFLICT", { model, reason: `experiment ${active.id} is already running` });
  const maxDurationMs = request.maxDurationMs ?? null;
  const minSamples = request.minSamples === undefined ? (maxDurationMs === null ? DEFAULT_MIN_SAMPLES : null) : request.minSamples;
  const experiment: Experiment = {
    formatVersion: 1,
    id: request.id ?? newExperimentId(now),
    model,
    status: "running",
    variants: request.variants.map((v) => ({ version: v.version, weight: v.weight })),
    key,
    metric: pres[0]!.targetTransform.task === "regression" ? "absoluteError" : "accuracy",
    alpha,
    minSamples,
    maxDurationMs,
    startedAt: now.toISOString(),
    endsAt: maxDurationMs === null ? null : new Date(now.getTime() + maxDurationMs).toISOString(),
    startedBy: request.actor,
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(experiment.id)) throw invalid("id", `${JSON.stringify(experiment.id)} must be 1-80 letters, digits, '.', '_' or '-'`);
  if ((await listExperiments(registry, model)).some((e) => e.id === experiment.id)) throw invalid("id", `experiment ${experiment.id} already exists`);
  await writeExperiment(registry, experiment);
  const split = experiment.variants.map((v) => `${v.version}=${v.weight}`).join(",");
  await appendEvent(
    registry,
    model,
    {
      type: "experiment-started",
      version: experiment.variants[0]!.version,
      actor: request.actor,
      reason: `experiment ${experiment.id}: versions ${split} by ${key.source} ${key.name}, ${experiment.metric} tested at alpha ${alpha}, until ${[minSamples === null ? "" : `${minSamples} labelled rows per variant`, experiment.endsAt ?? ""].filter(Boolean).join(" or ")}`,
      details: { experiment: experiment.id, variants: experiment.variants, key, metric: experiment.metric, alpha, minSamples, endsAt: experiment.endsAt },
    },
    now,
  );
  return experiment;
}

/** The experiment `id` names, else the running one, else the newest. */
async function findExperiment(registry: ModelRegistry, model: string, id?: string): Promise<Experiment> {
  if (id !== undefined) return readExperiment(registry, model, id);
  const { experiment } = await readActiveExperiment(registry, model);
  if (experiment) return readExperiment(registry, model, experiment.id);
  await registry.getAliases(model);
  const all = await listExperiments(registry, model);
  if (all.length === 0) throw mlopsError("MLOPS_ERR_EXPERIMENT_NOT_FOUND", { model });
  return all.at(-1)!;
}

/**
 * An experiment's report; when it is running and its budget has been reached, concludes it (unless
 * `conclude` is false): routing ends, the record keeps the decision and the numbers, and
 * `experiment-concluded` is recorded in the history. The champion does not move by itself: the
 * decision recommends, `stopExperiment(..., { winner })` promotes.
 */
export async function experimentStatus(registry: ModelRegistry, model: string, options: { id?: string; conclude?: boolean; actor: string }, now: Date = new Date()): Promise<{ experiment: Experiment; report: ExperimentReport; concluded: boolean }> {
  const experiment = await findExperiment(registry, model, options.id);
  const pre = await preprocessorOf(registry, model, experiment.variants[0]!.version);
  const report = await experimentReport(registry, experiment, pre, now);
  if (experiment.status !== "running" || !report.budget.reached || options.conclude === false) return { experiment, report, concluded: false };
  const rec = report.recommendation!;
  const ended: Experiment = { ...experiment, status: "concluded", endedAt: now.toISOString(), decision: { winner: rec.winner, reason: rec.reason, by: options.actor, report: report as unknown as Record<string, unknown> } };
  await writeExperiment(registry, ended);
  await appendEvent(registry, model, { type: "experiment-concluded", ...(rec.winner === null ? {} : { version: rec.winner }), actor: options.actor, reason: `experiment ${experiment.id} reached its budget (${report.budget.why}): ${rec.reason}`, details: { experiment: experiment.id, report } }, now);
  return { experiment: ended, report: { ...report, status: "concluded" }, concluded: true };
}

/**
 * Stops the running experiment by hand: routing ends, the record and the history
 * (`experiment-stopped`) keep the final numbers and the decision. With `winner` (one of the
 * variants) that version becomes the champion, recorded as `promoted`.
 */
export async function stopExperiment(registry: ModelRegistry, model: string, options: { winner?: number; reason?: string; actor: string }, now: Date = new Date()): Promise<{ experiment: Experiment; report: ExperimentReport; promoted: boolean }> {
  const { experiment: active } = await readActiveExperiment(registry, model);
  if (!active) {
    await registry.getAliases(model);
    throw mlopsError("MLOPS_ERR_EXPERIMENT_NOT_FOUND", { model });
  }
  const experiment = await readExperiment(registry, model, active.id);
  if (options.winner !== undefined && !experiment.variants.some((v) => v.version === options.winner)) {
    throw invalid("winner", `version ${options.winner} is not a variant of experiment ${experiment.id} (${experiment.variants.map((v) => v.version).join(", ")})`);
  }
  const pre = await preprocessorOf(registry, model, experiment.variants[0]!.version);
  const report = await experimentReport(registry, experiment, pre, now);
  const winner = options.winner ?? null;
  const reason = options.reason ?? (winner === null ? "stopped without a winner" : `version ${winner} chosen as the winner`);
  const ended: Experiment = { ...experiment, status: "stopped", endedAt: now.toISOString(), decision: { winner, reason, by: options.actor, report: report as unknown as Record<string, unknown> } };
  await writeExperiment(registry, ended);
  const advice = report.recommendation ? ` (the numbers recommend ${report.recommendation.winner === null ? "no winner" : `version ${report.recommendation.winner}`})` : " (before its budget was reached: the numbers are interim)";
  await appendEvent(registry, model, { type: "experiment-stopped", ...(winner === null ? {} : { version: winner }), actor: options.actor, reason: `experiment ${experiment.id} stopped: ${reason}${advice}`, details: { experiment: experiment.id, winner, report } }, now);
  let promoted = false;
  if (winner !== null) {
    const aliases = await registry.getAliases(model);
    if (aliases.champion !== winner) {
      await registry.setAlias(model, "champion", winner);
      promoted = true;
      await appendEvent(registry, model, { type: "promoted", version: winner, champion: winner, actor: options.actor, reason: `winner of experiment ${experiment.id}${aliases.champion === undefined ? "" : `, replacing version ${aliases.champion}`}`, details: { alias: "champion", experiment: experiment.id, previous: aliases.champion ?? null } }, now);
    }
  }
  return { experiment: ended, report: { ...report, status: "stopped" }, promoted };
}
