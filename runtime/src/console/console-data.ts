/**
 * What the console reads from the registry, and only reads: models, versions, aliases, the
 * rollout, the history, the servers' monitoring snapshots, experiments and the optional
 * per-version artifacts (learning curve, feature importance). Anything unreadable becomes a
 * problem line shown on the page instead of failing the page.
 */
import { z } from "zod";
import type { MlopsError } from "../errors.ts";
import { type ModelEvent, type ModelRegistry, type MonitorSnapshot, type Rollout, type VersionMetadata, listEvents, readRollout } from "../registry/index.ts";
import { registryLayout as keys } from "../registry/registry-layout.ts";

/** A model as the list page shows it. */
export interface ModelSummary {
  name: string;
  versions: number;
  latest: VersionMetadata | undefined;
  aliases: Record<string, number>;
  rollout: Rollout | undefined;
  problems: string[];
}

/** Version artifact `learning-curve.json`: loss per epoch and the epoch whose weights were kept. */
export const learningCurveSchema = z.looseObject({
  epochs: z.array(z.looseObject({ epoch: z.number(), loss: z.number().nullable().optional(), valLoss: z.number().nullable().optional(), valMetric: z.number().nullable().optional() })),
  bestEpoch: z.number().nullable().optional(),
});
/** A parsed learning curve. */
export type LearningCurve = z.output<typeof learningCurveSchema>;

/** Version artifact `importance.json`: global feature importance. */
export const importanceSchema = z.looseObject({
  method: z.string().optional(),
  features: z.array(z.looseObject({ name: z.string(), meanAbsAttribution: z.number().nullable().optional(), permutationImportance: z.number().nullable().optional() })),
});
/** A parsed importance file. */
export type Importance = z.output<typeof importanceSchema>;

/** An experiment file `models/<m>/experiments/<id>.json`, read loosely: its shape belongs to the experiment runner. */
export const experimentSchema = z.looseObject({
  id: z.string().optional(),
  status: z.string().optional(),
  variants: z.array(z.record(z.string(), z.unknown())).optional(),
});
/** One experiment as read, with its id from the file name. */
export interface Experiment {
  id: string;
  key: string;
  data: z.output<typeof experimentSchema>;
}

/** Everything the model page shows. */
export interface ModelView {
  name: string;
  versions: VersionMetadata[];
  aliases: Record<string, number>;
  rollout: Rollout | undefined;
  events: ModelEvent[];
  snapshots: MonitorSnapshot[];
  experiments: Experiment[];
  problems: string[];
}

/** Everything a version page shows. */
export interface VersionView {
  model: ModelView;
  meta: VersionMetadata;
  learningCurve: LearningCurve | undefined;
  importance: Importance | undefined;
}

/** Artifact names the console looks for in a version. */
export const OPTIONAL_ARTIFACTS = { learningCurve: "learning-curve.json", importance: "importance.json" } as const;

const message = (err: unknown): string => (err as MlopsError)?.message ?? String(err);

async function readVersions(registry: ModelRegistry, model: string, problems: string[]): Promise<VersionMetadata[]> {
  const numbers = await registry.versionNumbers(model);
  const found = await Promise.all(
    numbers.map((n) =>
      registry.getVersion(model, n).catch((err) => {
        problems.push(message(err));
        return undefined;
      }),
    ),
  );
  return found.filter((v): v is VersionMetadata => v !== undefined);
}

async function readAliases(registry: ModelRegistry, model: string, problems: string[]): Promise<Record<string, number>> {
  try {
    return await registry.getAliases(model);
  } catch (err) {
    problems.push(message(err));
    return {};
  }
}

async function readRolloutOrProblem(registry: ModelRegistry, model: string, problems: string[]): Promise<Rollout | undefined> {
  try {
    return (await readRollout(registry, model)).rollout;
  } catch (err) {
    problems.push(message(err));
    return undefined;
  }
}

async function readJson(registry: ModelRegistry, key: string, problems: string[]): Promise<unknown> {
  const object = await registry.storage.get(key);
  if (object === undefined) return undefined;
  try {
    return JSON.parse(object.data.toString("utf8"));
  } catch (err) {
    problems.push(`${key} is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

/** Every model with its version count, latest version, aliases and rollout. */
export async function readModelList(registry: ModelRegistry): Promise<ModelSummary[]> {
  const names = await registry.listModels();
  return Promise.all(
    names.map(async (name) => {
      const problems: string[] = [];
      const numbers = await registry.versionNumbers(name);
      const last = numbers.at(-1);
      const latest = last === undefined ? undefined : await registry.getVersion(name, last).catch((err) => void problems.push(message(err)));
      return { name, versions: numbers.length, latest: latest ?? undefined, aliases: await readAliases(registry, name, problems), rollout: await readRolloutOrProblem(registry, name, problems), problems };
    }),
  );
}

/** Every server instance's snapshot of every version of a model, oldest first. */
export async function readAllSnapshots(registry: ModelRegistry, model: string, problems: string[]): Promise<MonitorSnapshot[]> {
  const out: MonitorSnapshot[] = [];
  for (const key of await registry.storage.list(`${keys.model(model)}monitor/`)) {
    const json = await readJson(registry, key, problems);
    if (json !== null && typeof json === "object" && typeof (json as MonitorSnapshot).updatedAt === "string" && typeof (json as MonitorSnapshot).version === "number") out.push(json as MonitorSnapshot);
    else if (json !== undefined) problems.push(`${key} is not a monitoring snapshot`);
  }
  return out.sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
}

/** A model's experiments (any `models/<m>/experiments/<id>.json`), by id. */
export async function readExperiments(registry: ModelRegistry, model: string, problems: string[]): Promise<Experiment[]> {
  const prefix = `${keys.model(model)}experiments/`;
  const out: Experiment[] = [];
  for (const key of await registry.storage.list(prefix)) {
    const name = key.slice(prefix.length);
    if (name.includes("/") || !name.endsWith(".json")) continue;
    const json = await readJson(registry, key, problems);
    if (json === undefined) continue;
    const parsed = experimentSchema.safeParse(json);
    if (parsed.success) out.push({ id: parsed.data.id ?? name.slice(0, -5), key, data: parsed.data });
    else problems.push(`${key} is not an experiment: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return out;
}

/** Everything about one model; undefined when the registry has neither versions nor history for it. */
export async function readModelView(registry: ModelRegistry, model: string): Promise<ModelView | undefined> {
  const problems: string[] = [];
  const versions = await readVersions(registry, model, problems);
  const events = await listEvents(registry, model, { onSkip: (p) => problems.push(`skipped history event ${p.key}: ${p.reason}`) });
  if (versions.length === 0 && events.length === 0 && problems.length === 0) return undefined;
  const [aliases, rollout, snapshots, experiments] = await Promise.all([
    readAliases(registry, model, problems),
    readRolloutOrProblem(registry, model, problems),
    readAllSnapshots(registry, model, problems),
    readExperiments(registry, model, problems),
  ]);
  return { name: model, versions, aliases, rollout, events, snapshots, experiments, problems };
}

async function readArtifact<S extends z.ZodType>(registry: ModelRegistry, meta: VersionMetadata, file: string, schema: S, problems: string[]): Promise<z.output<S> | undefined> {
  if (!Object.hasOwn(meta.files, file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse((await registry.readFile(meta.model, meta.version, file)).toString("utf8"));
  } catch (err) {
    problems.push(`${file} of version ${meta.version}: ${message(err)}`);
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  problems.push(`${file} of version ${meta.version} is not in the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return undefined;
}

/** One version with its model's context and optional artifacts; undefined when it does not exist. */
export async function readVersionView(registry: ModelRegistry, model: string, version: number): Promise<VersionView | undefined> {
  const view = await readModelView(registry, model);
  const meta = view?.versions.find((v) => v.version === version);
  if (!view || !meta) return undefined;
  const [learningCurve, importance] = await Promise.all([
    readArtifact(registry, meta, OPTIONAL_ARTIFACTS.learningCurve, learningCurveSchema, view.problems),
    readArtifact(registry, meta, OPTIONAL_ARTIFACTS.importance, importanceSchema, view.problems),
  ]);
  return { model: view, meta, learningCurve, importance };
}
