import { randomBytes } from "node:crypto";
import type { Cell } from "../data/table.ts";
import { z } from "zod";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";
import { PreconditionFailedError } from "./storage.ts";
import { describeIssues } from "./version-metadata.ts";

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
  /** The experiment that routed the prediction, when one did. @default - absent */
  experiment?: string;
}

/** A stored feedback line that could not be used, and why; it is skipped, never trained on. */
export interface UnreadableFeedback {
  /** The JSONL object it is in. */
  key: string;
  /** 1-based line within the object. */
  line: number;
  /** What is wrong with it. */
  reason: string;
}

/** Options of {@link readFeedback}. */
export interface ReadFeedbackOptions {
  /** Told about each line skipped as unreadable. @default - a process warning per line */
  onSkip?: (problem: UnreadableFeedback) => void;
}

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** Schema of one stored feedback line ({@link FeedbackRow}); JSON turns a non-finite prediction into null. */
export const feedbackRowSchema = z.object({
  id: z.string().min(1),
  index: z.number().int().min(0),
  time: z.string(),
  version: z.number().int().positive(),
  features: z.record(z.string(), cell),
  prediction: z.array(z.number().nullable()),
  label: z.union([z.string(), z.number(), z.boolean()]),
  experiment: z.string().optional(),
});

/** The object key a flush of labelled rows is stored under: time first, so a listing reads oldest first. */
export function feedbackKey(model: string, time: Date, instance: string, id: string): string {
  const stamp = time.toISOString().replace(/[-:]/g, "").replace(".", "");
  return `${keys.feedback(model)}${stamp}-${instance.replace(/[^A-Za-z0-9_-]/g, "-")}-${id.replace(/[^A-Za-z0-9_-]/g, "-")}.jsonl`;
}

/**
 * Stores labelled rows as one new JSONL object per flush (object stores cannot append), named
 * by time so a listing reads oldest first. Create-only: a flush never overwrites another. With
 * `options.id` the key is fixed by the caller (time, instance and id), and writing it again finds
 * it already there and succeeds: a replayed flush never stores its rows twice.
 */
export async function writeFeedback(
  registry: ModelRegistry,
  model: string,
  rows: readonly FeedbackRow[],
  instance: string,
  now: Date = new Date(),
  options: { id?: string } = {},
): Promise<string | undefined> {
  if (rows.length === 0) return undefined;
  return writeFeedbackLines(registry, model, Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(""), "utf8"), instance, now, options);
}

/**
 * {@link writeFeedback} for rows already serialised as JSONL (one row per line, each ending in a
 * newline), as the server's feedback log holds them: stored as they are, without parsing.
 */
export async function writeFeedbackLines(registry: ModelRegistry, model: string, jsonl: Buffer, instance: string, now: Date = new Date(), options: { id?: string } = {}): Promise<string> {
  assertModelName(model);
  const key = feedbackKey(model, now, instance, options.id ?? randomBytes(4).toString("hex"));
  try {
    await registry.storage.put(key, jsonl, { ifNoneMatch: "*" });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError) || options.id === undefined) throw err;
  }
  return key;
}

/**
 * Parses one stored JSONL object: its rows (with their 1-based line numbers), and a problem for
 * each line that is not JSON or not a feedback row (a torn or hand-edited line), which is left out.
 */
export function parseFeedbackObject(key: string, data: Buffer): { rows: FeedbackRow[]; lines: number[]; problems: UnreadableFeedback[] } {
  const rows: FeedbackRow[] = [];
  const lines: number[] = [];
  const problems: UnreadableFeedback[] = [];
  data
    .toString("utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        problems.push({ key, line: i + 1, reason: `not valid JSON (${(err as Error).message})` });
        return;
      }
      const parsed = feedbackRowSchema.safeParse(json);
      if (parsed.success) {
        rows.push(parsed.data as FeedbackRow);
        lines.push(i + 1);
      } else problems.push({ key, line: i + 1, reason: `not a feedback row: ${describeIssues(parsed.error)}` });
    });
  return { rows, lines, problems };
}

/**
 * The most recent `limit` labelled rows of a model (all when omitted), oldest first. Lines that
 * are not JSON or not feedback rows are skipped and reported to `options.onSkip`, so one bad line
 * never hides the rest.
 */
export async function readFeedback(registry: ModelRegistry, model: string, limit?: number, options: ReadFeedbackOptions = {}): Promise<FeedbackRow[]> {
  assertModelName(model);
  const onSkip = options.onSkip ?? ((p: UnreadableFeedback) => process.emitWarning(`skipped ${p.key} line ${p.line}: ${p.reason}`, { code: "MLOPS_FEEDBACK_UNREADABLE" }));
  const keysNewestFirst = (await registry.storage.list(keys.feedback(model))).filter((k) => k.endsWith(".jsonl")).reverse();
  const chunks: FeedbackRow[][] = [];
  let total = 0;
  for (const key of keysNewestFirst) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    const { rows, problems } = parseFeedbackObject(key, object.data);
    for (const p of problems) onSkip(p);
    chunks.unshift(rows);
    total += rows.length;
    if (limit !== undefined && total >= limit) break;
  }
  const all = chunks.flat();
  return limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
}
