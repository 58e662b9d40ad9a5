import { randomBytes } from "node:crypto";
import type { Cell } from "../data/table.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";

/** A served prediction with the ground truth that came back for it: future training data. */
export interface FeedbackRow {
  /** Prediction id from the response, and the row's index in that request. */
  id: string;
  index: number;
  /** When the label arrived, ISO 8601. */
  time: string;
  /** The version that made the prediction. */
  version: number;
  /** The raw features as served, keyed by feature name. */
  features: Record<string, Cell>;
  /** The model's output row. */
  prediction: number[];
  /** The true target value. */
  label: Cell;
}

/**
 * Stores labelled rows as one new JSONL object per flush (object stores cannot append), named
 * by time so a listing reads oldest first. Create-only: a flush never overwrites another.
 */
export async function writeFeedback(registry: ModelRegistry, model: string, rows: readonly FeedbackRow[], instance: string, now: Date = new Date()): Promise<string | undefined> {
  assertModelName(model);
  if (rows.length === 0) return undefined;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  const key = `${keys.feedback(model)}${stamp}-${instance.replace(/[^A-Za-z0-9_-]/g, "-")}-${randomBytes(4).toString("hex")}.jsonl`;
  await registry.storage.put(key, rows.map((r) => `${JSON.stringify(r)}\n`).join(""), { ifNoneMatch: "*" });
  return key;
}

/** The most recent `limit` labelled rows of a model (all when omitted), oldest first. */
export async function readFeedback(registry: ModelRegistry, model: string, limit?: number): Promise<FeedbackRow[]> {
  assertModelName(model);
  const keysNewestFirst = (await registry.storage.list(keys.feedback(model))).filter((k) => k.endsWith(".jsonl")).reverse();
  const chunks: FeedbackRow[][] = [];
  let total = 0;
  for (const key of keysNewestFirst) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    const rows = object.data
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((line, i) => {
        try {
          return JSON.parse(line) as FeedbackRow;
        } catch (err) {
          throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `line ${i + 1}: ${(err as Error).message}` });
        }
      });
    chunks.unshift(rows);
    total += rows.length;
    if (limit !== undefined && total >= limit) break;
  }
  const all = chunks.flat();
  return limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
}
