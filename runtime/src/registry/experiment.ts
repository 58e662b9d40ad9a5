import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";
import { describeIssues } from "./version-metadata.ts";

/** The request header an experiment reads its sticky key from unless told otherwise. */
export const DEFAULT_EXPERIMENT_HEADER = "x-mlops-experiment-key";

/** How requests are assigned to variants: the value of a request header, or of a named feature (of the first row). */
export const experimentKeySchema = z.object({ source: z.enum(["header", "feature"]), name: z.string().min(1).max(200) });

const variantsSchema = z
  .array(z.object({ version: z.number().int().positive(), weight: z.number().positive().finite() }))
  .min(2)
  .refine((vs) => new Set(vs.map((v) => v.version)).size === vs.length, { message: "variants must be distinct versions" });

/** Schema of `models/<m>/experiments/<id>.json` (and of the routing copy `models/<m>/experiment.json`). */
export const experimentSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/),
  model: z.string(),
  /** running: servers route by it; concluded: its budget ran out and the decision was recorded; stopped: ended by hand. */
  status: z.enum(["running", "concluded", "stopped"]),
  /** The first variant is the control every other is tested against. */
  variants: variantsSchema,
  key: experimentKeySchema,
  /** The quality the test compares: accuracy (two-proportion z-test) for classifiers, absolute error (Welch t-test) for regressors. */
  metric: z.enum(["accuracy", "absoluteError"]),
  /** Family-wise significance level, split over the comparisons with the control (Bonferroni). */
  alpha: z.number().gt(0).lt(1),
  /** Labelled rows every variant needs before the fixed-horizon test is read. */
  minSamples: z.number().int().positive().nullable(),
  /** Time budget; servers stop routing by the experiment at `endsAt`. */
  maxDurationMs: z.number().int().positive().nullable(),
  startedAt: z.string(),
  endsAt: z.string().nullable(),
  startedBy: z.string(),
  endedAt: z.string().optional(),
  /** The decision, written when the experiment ends. */
  decision: z
    .object({
      winner: z.number().int().positive().nullable(),
      reason: z.string(),
      by: z.string(),
      report: z.record(z.string(), z.unknown()),
    })
    .optional(),
});

/** An experiment's record. */
export type Experiment = z.output<typeof experimentSchema>;
/** A sticky key's source. */
export type ExperimentKey = z.output<typeof experimentKeySchema>;

function parseExperiment(data: Buffer, key: string): Experiment {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
  }
  const parsed = experimentSchema.safeParse(json);
  if (!parsed.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: describeIssues(parsed.error) });
  return parsed.data;
}

/** The running experiment servers route by, with its etag; undefined when none runs. */
export async function readActiveExperiment(registry: ModelRegistry, model: string): Promise<{ experiment: Experiment | undefined; etag: string | undefined }> {
  assertModelName(model);
  const key = keys.activeExperiment(model);
  const object = await registry.storage.get(key);
  if (!object) return { experiment: undefined, etag: undefined };
  return { experiment: parseExperiment(object.data, key), etag: object.etag };
}

/** One experiment's record; MLOPS_ERR_EXPERIMENT_NOT_FOUND when there is none by that id. */
export async function readExperiment(registry: ModelRegistry, model: string, id: string): Promise<Experiment> {
  assertModelName(model);
  if (!experimentSchema.shape.id.safeParse(id).success) throw mlopsError("MLOPS_ERR_EXPERIMENT_NOT_FOUND", { model, id });
  const key = keys.experiment(model, id);
  const object = await registry.storage.get(key);
  if (!object) throw mlopsError("MLOPS_ERR_EXPERIMENT_NOT_FOUND", { model, id });
  return parseExperiment(object.data, key);
}

/** Every experiment of a model, oldest first. */
export async function listExperiments(registry: ModelRegistry, model: string): Promise<Experiment[]> {
  assertModelName(model);
  const prefix = keys.experiments(model);
  const out: Experiment[] = [];
  for (const key of await registry.storage.list(prefix)) {
    const rest = key.slice(prefix.length);
    if (rest.includes("/") || !rest.endsWith(".json")) continue;
    const object = await registry.storage.get(key);
    if (object) out.push(parseExperiment(object.data, key));
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** Writes an experiment's record and, while it runs, the routing copy servers read (removed when it ends). */
export async function writeExperiment(registry: ModelRegistry, experiment: Experiment): Promise<void> {
  experimentSchema.parse(experiment);
  const body = `${JSON.stringify(experiment, null, 2)}\n`;
  await registry.storage.put(keys.experiment(experiment.model, experiment.id), body);
  if (experiment.status === "running") await registry.storage.put(keys.activeExperiment(experiment.model), body);
  else await registry.storage.delete(keys.activeExperiment(experiment.model));
}

/** A fresh experiment id: `exp-<UTC time>-<random>`. */
export function newExperimentId(now: Date): string {
  return `exp-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

/**
 * Where a sticky key falls in [0, 1): the first 48 bits of sha256(experiment id, NUL, key). The same
 * key lands in the same bucket on every server and after every restart; a new experiment (new id)
 * reshuffles.
 */
export function experimentBucket(id: string, key: string): number {
  const h = createHash("sha256").update(id).update("\u0000").update(key).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** The variant (version) a key is assigned to, by the variants' weights. */
export function assignVariant(experiment: Pick<Experiment, "id" | "variants">, key: string): number {
  const total = experiment.variants.reduce((s, v) => s + v.weight, 0);
  const u = experimentBucket(experiment.id, key) * total;
  let edge = 0;
  for (const v of experiment.variants) {
    edge += v.weight;
    if (u < edge) return v.version;
  }
  return experiment.variants.at(-1)!.version;
}

/** Whether servers route by the experiment at `now`: running and inside its time budget. */
export function isRouting(experiment: Experiment | undefined, now: Date = new Date()): experiment is Experiment {
  return experiment !== undefined && experiment.status === "running" && (experiment.endsAt === null || now.getTime() < Date.parse(experiment.endsAt));
}

/** Traffic one server saw for one variant of an experiment. */
export interface VariantTraffic {
  requests: number;
  /** Requests answered with a 5xx. */
  errors: number;
  latencySumMs: number;
  latencySumSquaresMs: number;
}

const trafficSchema = z.object({
  instance: z.string(),
  updatedAt: z.string(),
  variants: z.record(z.string(), z.object({ requests: z.number().int().nonnegative(), errors: z.number().int().nonnegative(), latencySumMs: z.number().nonnegative(), latencySumSquaresMs: z.number().nonnegative() })),
});

/** Writes one server's cumulative traffic counts of an experiment (one object per server instance). */
export async function writeExperimentTraffic(registry: ModelRegistry, model: string, id: string, instance: string, variants: Record<string, VariantTraffic>, now: Date = new Date()): Promise<void> {
  const key = `${keys.experimentTraffic(model, id)}${instance.replace(/[^A-Za-z0-9_-]/g, "-")}.json`;
  await registry.storage.put(key, `${JSON.stringify({ instance, updatedAt: now.toISOString(), variants })}\n`);
}

/** An experiment's traffic per variant, summed over every server's object (unreadable objects are skipped and reported). */
export async function readExperimentTraffic(registry: ModelRegistry, model: string, id: string, onSkip: (key: string, reason: string) => void = () => {}): Promise<Map<number, VariantTraffic>> {
  const out = new Map<number, VariantTraffic>();
  for (const key of await registry.storage.list(keys.experimentTraffic(model, id))) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    let parsed;
    try {
      parsed = trafficSchema.safeParse(JSON.parse(object.data.toString("utf8")));
    } catch (err) {
      onSkip(key, (err as Error).message);
      continue;
    }
    if (!parsed.success) {
      onSkip(key, describeIssues(parsed.error));
      continue;
    }
    for (const [v, t] of Object.entries(parsed.data.variants)) {
      const sum = out.get(Number(v)) ?? { requests: 0, errors: 0, latencySumMs: 0, latencySumSquaresMs: 0 };
      sum.requests += t.requests;
      sum.errors += t.errors;
      sum.latencySumMs += t.latencySumMs;
      sum.latencySumSquaresMs += t.latencySumSquaresMs;
      out.set(Number(v), sum);
    }
  }
  return out;
}
