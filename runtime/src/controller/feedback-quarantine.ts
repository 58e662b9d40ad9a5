import { type FeedbackRow, type ModelRegistry, parseFeedbackObject, PreconditionFailedError, quarantine, type UnreadableFeedback } from "../registry/index.ts";
import { registryLayout as keys } from "../registry/registry-layout.ts";

/** Labelled rows fit to train on, and the lines that are not, with why. */
export interface CheckedFeedback {
  /** The newest `limit` usable rows, oldest first. */
  rows: FeedbackRow[];
  /** Lines left out: unreadable JSON, not a feedback row, or a poison row (`check` refused it). */
  problems: UnreadableFeedback[];
}

/**
 * Like `readFeedback`, and also refuses rows `check` finds unfit to train on (it returns why):
 * a `{"$gt": 1}` feature, a label of 1e308, a class the model does not have. Nothing is thrown
 * for a bad line: it is reported in `problems` and the rest is used.
 */
export async function readCheckedFeedback(registry: ModelRegistry, model: string, limit: number, check: (row: FeedbackRow) => string | undefined): Promise<CheckedFeedback> {
  const keysNewestFirst = (await registry.storage.list(keys.feedback(model))).filter((k) => k.endsWith(".jsonl")).reverse();
  const chunks: FeedbackRow[][] = [];
  const problems: UnreadableFeedback[] = [];
  let total = 0;
  for (const key of keysNewestFirst) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    const parsed = parseFeedbackObject(key, object.data);
    problems.push(...parsed.problems);
    const rows: FeedbackRow[] = [];
    parsed.rows.forEach((row, i) => {
      const why = check(row);
      if (why === undefined) rows.push(row);
      else problems.push({ key, line: parsed.lines[i]!, reason: `poison row (${row.id}#${row.index}): ${why}` });
    });
    chunks.unshift(rows);
    total += rows.length;
    if (total >= limit) break;
  }
  const all = chunks.flat();
  return { rows: all.slice(Math.max(0, all.length - limit)), problems };
}

/**
 * Sets the lines named in `problems` aside: each object's bad lines go to the model's quarantine
 * (raw, with a record of every line's reason) and the object is rewritten without them, by
 * compare-and-swap on the bytes that were read (an object that changed meanwhile is left for the
 * next pass). Returns how many lines were moved, from which objects.
 */
export async function quarantineFeedback(registry: ModelRegistry, model: string, problems: readonly UnreadableFeedback[], actor: string, now: Date): Promise<{ lines: number; objects: string[] }> {
  const byKey = new Map<string, Map<number, string>>();
  for (const p of problems) (byKey.get(p.key) ?? byKey.set(p.key, new Map()).get(p.key)!).set(p.line, p.reason);
  let moved = 0;
  const objects: string[] = [];
  for (const [key, bad] of byKey) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    const lines = object.data.toString("utf8").split("\n");
    const keep: string[] = [];
    const out: string[] = [];
    lines.forEach((text, i) => {
      if (bad.has(i + 1)) out.push(text);
      else if (text.trim() !== "") keep.push(text);
    });
    if (out.length === 0) continue;
    const reasons = [...bad.entries()].map(([line, reason]) => `line ${line}: ${reason}`).join("\n");
    await quarantine(registry, model, key, Buffer.from(`${out.join("\n")}\n`), reasons, actor, now);
    try {
      if (keep.length === 0) await registry.storage.delete(key);
      else await registry.storage.put(key, `${keep.join("\n")}\n`, { ifMatch: object.etag });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      continue;
    }
    moved += out.length;
    objects.push(key);
  }
  return { lines: moved, objects };
}
