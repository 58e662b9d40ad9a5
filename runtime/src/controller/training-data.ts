import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { snapshotTable } from "../data/dataset-snapshot.ts";
import { modelConfig } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import type { Cell, Table } from "../data/table.ts";
import { readCategory } from "../data/values.ts";
import { registryLayout } from "../registry/registry-layout.ts";
import { mlopsError } from "../errors.ts";
import { type FeedbackRow, type ModelRegistry, type VersionMetadata, readFeedback } from "../registry/index.ts";
import { parseWith } from "../validation.ts";
import { tunedConfig } from "../tune/tuned-config.ts";
import type { TrainingPolicy } from "./policy.ts";

/**
 * Column of the training table holding each feedback row's `<prediction id>#<index>` (empty for
 * reference rows). It is not a feature (the config lists features explicitly); it lets the next
 * retrain, whose reference is this table, skip feedback rows it already contains.
 */
export const FEEDBACK_ID_COLUMN = "_mlops_feedback_id";

/** Labelled feedback split into rows to train on and the most recent rows held out for the gate. */
export interface FeedbackSplit {
  /** Up to `recentRows` labelled rows before the holdout, oldest first. */
  train: FeedbackRow[];
  /** The most recent labelled rows: `holdoutRows`, but never more than half the labelled rows. */
  holdout: FeedbackRow[];
  /** Labelled rows read. */
  labelled: number;
}

/**
 * Reads the latest labelled feedback and takes the holdout from its newest end. `read` returns the
 * newest `limit` rows, oldest first. @default - readFeedback (the controller passes one that also
 * sets poison rows aside)
 */
export async function splitFeedback(
  registry: ModelRegistry,
  model: string,
  training: TrainingPolicy,
  read: (limit: number) => Promise<FeedbackRow[]> = (limit) => readFeedback(registry, model, limit),
): Promise<FeedbackSplit> {
  const rows = await read(training.recentRows + training.holdoutRows);
  const labelled = rows.filter((r) => readCategory(r.label) !== null);
  const holdoutSize = Math.min(training.holdoutRows, Math.floor(labelled.length / 2));
  const end = labelled.length - holdoutSize;
  return { train: labelled.slice(Math.max(0, end - training.recentRows), end), holdout: labelled.slice(end), labelled: labelled.length };
}

/** A training table and config staged for one retrain. */
export interface PreparedTrainingData {
  /**
   * URL of the table to train on (reference rows, then feedback rows), staged in the model store
   * as content-addressed Parquet (`<registry>/datasets/sha256-<hex>.parquet`), so a training Job
   * on any node reads it with the runtime's workload identity. It becomes the new version's
   * `dataset.source` and snapshot, and the next retrain starts from it.
   */
  dataPath: string;
  /** URL of the champion's resolved model config as JSON (with the tuned network when `training.config` is "tuned"), staged in the model store beside the model's controller state. */
  configPath: string;
  /** The reference table used, or null with the reason it was not. */
  reference: { source: string | null; note: string | null };
  /** Row counts: reference rows, new feedback rows, feedback rows skipped as already in the reference, total. */
  rows: { reference: number; feedback: number; duplicates: number; total: number };
}

/**
 * Stages the training table and config for a retrain in the model store (no shared filesystem
 * needed): the reference rows (the policy's `referenceData`, else the champion's training data,
 * any dataset URL; skipped with a note when it is gone and none was configured) followed by the
 * feedback rows as rows with the target column set to their label. The holdout is not passed in,
 * so it never reaches training. `dir` is created for the run's log.
 */
export async function prepareTrainingData(input: {
  champion: VersionMetadata;
  feedback: readonly FeedbackRow[];
  training: TrainingPolicy;
  registry: ModelRegistry;
  dir: string;
}): Promise<PreparedTrainingData> {
  const { champion, training } = input;
  const config = parseWith(modelConfig, champion.config, `model config of ${champion.model} version ${champion.version}`);
  const features = (config.features ?? []).map((f) => (typeof f === "string" ? f : f.name));
  let reference: Table | undefined;
  let note: string | null = null;
  if (!training.includeReference) note = "includeReference is false";
  else {
    const source = training.referenceData ?? champion.dataset.source;
    try {
      reference = await readTable(source);
    } catch (err) {
      if (training.referenceData !== undefined || (err as { code?: string }).code !== "MLOPS_ERR_DATA_FILE_NOT_FOUND") throw err;
      note = `the champion's training file ${source} no longer exists; training on feedback rows only`;
    }
  }
  const columns = reference ? [...reference.columns] : [];
  for (const c of [...features, config.target]) {
    if (columns.includes(c)) continue;
    if (reference) throw mlopsError("MLOPS_ERR_DATA_COLUMN_MISSING", { column: c, role: c === config.target ? "target" : "feature", available: [...reference.columns] });
    columns.push(c);
  }
  if (!columns.includes(FEEDBACK_ID_COLUMN)) columns.push(FEEDBACK_ID_COLUMN);
  const idAt = columns.indexOf(FEEDBACK_ID_COLUMN);
  const rows: Cell[][] = [];
  const seen = new Set<string>();
  for (const r of reference?.rows ?? []) {
    const row = columns.map((_, j) => (j < r.length ? (r[j] ?? null) : null));
    const id = row[idAt];
    if (typeof id === "string" && id !== "") seen.add(id);
    rows.push(row);
  }
  let duplicates = 0;
  let added = 0;
  for (const f of input.feedback) {
    const id = `${f.id}#${f.index}`;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    rows.push(columns.map((c) => (c === config.target ? f.label : c === FEEDBACK_ID_COLUMN ? id : Object.hasOwn(f.features, c) ? (f.features[c] ?? null) : null)));
    added++;
  }
  await mkdir(input.dir, { recursive: true });
  const staged = await snapshotTable(input.registry, { source: "retraining table", columns, rows, digest: "" });
  const base = training.config === "tuned" ? (await tunedConfig(input.registry, champion)).config : champion.config;
  const configText = `${JSON.stringify({ ...(base as object), name: champion.model }, null, 2)}\n`;
  const configKey = `${registryLayout.model(champion.model)}controller/configs/sha256-${createHash("sha256").update(configText).digest("hex")}.json`;
  await input.registry.storage.put(configKey, configText);
  const referenceRows = reference?.rows.length ?? 0;
  return {
    dataPath: staged.url,
    configPath: `${input.registry.storage.url}/${configKey}`,
    reference: { source: reference?.source ?? null, note },
    rows: { reference: referenceRows, feedback: added, duplicates, total: referenceRows + added },
  };
}
