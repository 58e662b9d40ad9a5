import { z } from "zod";
import { mlopsError } from "../errors.ts";

/** An artifact of a version with its checksum. */
export interface VersionFile {
  /** sha256 of the bytes, lowercase hex. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
}

/** A column of the training data as the trainer read it. */
export interface DatasetColumn {
  name: string;
  /** Type of its present values: number, string, boolean, mixed, or null (none present). */
  type: "number" | "string" | "boolean" | "mixed" | "null";
}

/** The exact training rows, copied into the registry content-addressed (opt-in). */
export interface DatasetSnapshot {
  /** URL of the Parquet copy, readable by `mlops train --data`. */
  url: string;
  /** Registry key of the copy: `datasets/sha256-<hex>.parquet`. */
  key: string;
  /** sha256 of the copy's bytes, lowercase hex (also in its key). */
  sha256: string;
  /** Size of the copy in bytes. */
  bytes: number;
  /** Rows in the copy (every row read, before rows without a target were dropped). */
  rows: number;
}

/** The dataset a version was trained on. */
export interface DatasetLineage {
  /** sha256 of the dataset file (of its files' digests, joined by newlines, for several), lowercase hex. */
  digest: string;
  /** Rows used. */
  rows: number;
  /** Where it came from (path or URL, as given to `mlops train --data`). */
  source: string;
  /** Every file read, with its size and sha256. @default - absent in versions registered before lineage recorded it */
  files?: { url: string; sha256: string; bytes: number }[];
  /** Format of the files. @default - absent before lineage recorded it */
  format?: "csv" | "jsonl" | "parquet";
  /** Rows read, before rows without a target were dropped. @default - absent before lineage recorded it */
  rowsRead?: number;
  /** Columns and the type of their values. @default - absent before lineage recorded it */
  schema?: DatasetColumn[];
  /** The registry copy of the exact training rows (`mlops train --snapshot`). @default - no snapshot */
  snapshot?: DatasetSnapshot;
}

/** The hyperparameter search a version's config came from (`mlops tune`). */
export interface TuningLineage {
  /** The search, under `models/<model>/tuning/<searchId>/`. */
  searchId: string;
  /** The trial whose config was trained. */
  trial: number;
  /** The trial's point of the search space. */
  params: Record<string, number | string | boolean>;
  /** What the search minimised and the trial's mean over the folds. */
  objective: string;
  value: number;
  /** Folds of the cross-validation, and trials the search had run when the version was trained. */
  folds: number;
  trials: number;
  sampler: string;
}

/** A registered model version: lineage, metrics and the checksum of every artifact (its `version.json`). */
export interface VersionMetadata {
  /** Model name. */
  model: string;
  /** Version number, from 1, never reused. */
  version: number;
  /** When the version was created, ISO 8601. */
  createdAt: string;
  /** Version this one was retrained from; `null` for a fresh training. */
  parent: number | null;
  /** Training data lineage. */
  dataset: DatasetLineage;
  /** TensorFlow.js backend used for training. */
  backend: string;
  /** Resolved model config; opaque to the registry. */
  config: unknown;
  /** Evaluation metrics by name. */
  metrics: Record<string, number>;
  /** Every artifact by file name with its checksum. */
  files: Record<string, VersionFile>;
  /** The tuning search the config came from. @default - absent for a version not trained by `mlops tune` */
  tuning?: TuningLineage;
  /** Room for later layers (drift reference profile summary, etc.). */
  extra?: Record<string, unknown>;
}

/** Input of `ModelRegistry.createVersion`: the artifacts and metadata; the number and checksums are assigned. */
export interface NewVersion {
  /** Artifacts by file name ('/'-separated segments of 1-63 characters of a-z, A-Z, 0-9, '.', '_', '-'). */
  files: Record<string, Buffer>;
  /** Version this one was retrained from; must exist. @default null */
  parent?: number | null;
  /** Training data lineage. */
  dataset: DatasetLineage;
  /** TensorFlow.js backend used for training. */
  backend: string;
  /** Resolved model config; must be JSON-serialisable. */
  config: unknown;
  /** Evaluation metrics by name; finite numbers. */
  metrics: Record<string, number>;
  /** The tuning search the config came from. @default - none */
  tuning?: TuningLineage;
  /** Room for later layers; must be JSON-serialisable. */
  extra?: Record<string, unknown>;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256");
const dataset = z.object({
  digest: sha256Hex,
  rows: z.number().int().min(0),
  source: z.string(),
  files: z.array(z.object({ url: z.string(), sha256: sha256Hex, bytes: z.number().int().min(0) })).optional(),
  format: z.enum(["csv", "jsonl", "parquet"]).optional(),
  rowsRead: z.number().int().min(0).optional(),
  schema: z.array(z.object({ name: z.string(), type: z.enum(["number", "string", "boolean", "mixed", "null"]) })).optional(),
  snapshot: z.object({ url: z.string(), key: z.string(), sha256: sha256Hex, bytes: z.number().int().min(0), rows: z.number().int().min(0) }).optional(),
});
const metrics = z.record(z.string(), z.number());
const tuning = z.object({
  searchId: z.string(),
  trial: z.number().int().min(0),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  objective: z.string(),
  value: z.number(),
  folds: z.number().int(),
  trials: z.number().int(),
  sampler: z.string(),
});

/** Schema of the metadata a caller hands to `createVersion` (files excluded). */
export const newVersionMetadata = z.object({
  parent: z.number().int().positive().nullable().optional(),
  dataset,
  backend: z.string().min(1),
  config: z.unknown(),
  metrics,
  tuning: tuning.optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

/** Schema of a stored `version.json`; unknown top-level fields written by newer code are kept. */
export const versionMetadata = z.looseObject({
  model: z.string(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  parent: z.number().int().positive().nullable(),
  dataset,
  backend: z.string(),
  config: z.unknown(),
  metrics,
  files: z.record(z.string(), z.object({ sha256: sha256Hex, bytes: z.number().int().min(0) })),
  tuning: tuning.optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Parses the manifest stored at `key` and checks it describes `model` version `version`.
 * Throws MLOPS_ERR_REGISTRY_CORRUPT naming the key and what is wrong.
 */
export function parseVersionMetadata(data: Buffer, key: string, model: string, version: number): VersionMetadata {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `not valid JSON (${(err as Error).message})` }, { cause: err });
  }
  const parsed = versionMetadata.safeParse(json);
  if (!parsed.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: describeIssues(parsed.error) });
  const meta = parsed.data as VersionMetadata;
  if (meta.model !== model || meta.version !== version) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", {
      key,
      reason: `it describes model ${JSON.stringify(meta.model)} version ${meta.version}, not ${JSON.stringify(model)} version ${version}`,
    });
  }
  return meta;
}

/** Throws a TypeError listing every problem (a caller's bug, not a user's) unless `v`'s metadata is well-formed. */
export function assertNewVersionMetadata(v: NewVersion): void {
  const parsed = newVersionMetadata.safeParse(v);
  if (!parsed.success) throw new TypeError(`invalid new version: ${describeIssues(parsed.error)}`);
}

/** One line per zod issue, `path: message`. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
