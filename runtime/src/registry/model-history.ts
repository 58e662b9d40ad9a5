import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";
import { PreconditionFailedError } from "./storage.ts";
import { describeIssues } from "./version-metadata.ts";

/** Kinds of decisions and changes recorded in a model's history. */
export type ModelEventType =
  | "registered"
  | "alias-moved"
  | "alias-removed"
  | "drift-detected"
  | "retrain-started"
  | "retrain-failed"
  | "retrain-finished"
  | "gate-passed"
  | "gate-failed"
  | "shadow-started"
  | "shadow-finished"
  | "canary-step"
  | "canary-failed"
  | "promoted"
  | "rolled-back"
  /** A server could not load the champion and serves another intact version instead. */
  | "serving-fallback"
  /** A version registered by a training attempt the controller abandoned (it stopped mid-run); never gated, never served. */
  | "retrain-abandoned"
  /** Unreadable objects or poison feedback rows were set aside (see `quarantine`), with counts and reasons. */
  | "quarantined"
  /** A controller took the model's leadership lease. */
  | "leader-elected"
  /** An A/B experiment began splitting traffic between versions. */
  | "experiment-started"
  /** An experiment reached its sample or time budget: its numbers and decision. */
  | "experiment-concluded"
  /** An experiment was stopped by hand (with a winner or none): its numbers and decision. */
  | "experiment-stopped"
  /** The controller stopped before promoting a version that passed its canary: the policy wants a person's approval. */
  | "awaiting-approval"
  /** A person approved promoting the version awaiting approval. */
  | "approved"
  /** A person rejected the version awaiting approval; it is rolled back. */
  | "rejected";

/** One entry of a model's history: what happened, to which version, and why. */
export interface ModelEvent {
  /** Position in the history, from 1. */
  seq: number;
  /** ISO 8601. */
  time: string;
  model: string;
  type: ModelEventType;
  /** The version the event is about. */
  version?: number;
  /** The champion when the event happened. */
  champion?: number;
  /** Who decided: "controller", "cli", "train". */
  actor: string;
  /** A sentence a person can read. */
  reason: string;
  /** The numbers behind the decision (drift values, gate metrics, canary health). */
  details?: Record<string, unknown>;
  /**
   * The link to the event before it (see {@link verifyHistory}): that event's `hash`, or for an
   * event written before the chain existed, the sha256 of its canonical JSON; `null` for the first.
   * @default - absent on events written before the history was chained
   */
  prevHash?: string | null;
  /** sha256 (hex) of the event's canonical JSON without this field. @default - absent before the chain */
  hash?: string;
}

/** An event to record; the sequence number, time and chain fields are assigned. */
export type NewModelEvent = Omit<ModelEvent, "seq" | "time" | "model" | "prevHash" | "hash">;

const ATTEMPTS = 100;

/**
 * Appends an event to a model's history. Each event is its own create-only object numbered one
 * past the last, so concurrent writers never overwrite each other and the history never loses
 * an entry (on a lost race the writer takes the next number).
 *
 * Each event is chained to the one before it: `prevHash` is the link to the object stored at
 * `seq - 1` (read just before the create-only write of `seq`, and read again for `seq + 1` when
 * another writer took `seq` first), and `hash` covers the event including `prevHash`. Because a
 * number is taken only by a create-only write, at most one event ever links to a given event: the
 * chain cannot fork, whatever the number of writers.
 */
export async function appendEvent(registry: ModelRegistry, model: string, event: NewModelEvent, now: Date = new Date()): Promise<ModelEvent> {
  assertModelName(model);
  let seq = (await lastSeq(registry, model)) + 1;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const previous = seq > 1 ? await registry.storage.get(keys.event(model, seq - 1)) : undefined;
    const unhashed: Omit<ModelEvent, "hash"> = { seq, time: now.toISOString(), model, ...event, prevHash: previous ? linkTo(previous.data) : null };
    const full: ModelEvent = { ...unhashed, hash: eventHash(unhashed) };
    try {
      await registry.storage.put(keys.event(model, seq), `${JSON.stringify(full)}\n`, { ifNoneMatch: "*" });
      return full;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      seq++;
      await sleep(Math.random() * 5);
    }
  }
  throw mlopsError("MLOPS_ERR_REGISTRY_CONFLICT", { key: keys.events(model), attempts: ATTEMPTS });
}

/** A stored event that could not be read, and why; it is left out of the history. */
export interface UnreadableEvent {
  key: string;
  reason: string;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the bytes an event's hash covers.
 * Values are JSON values (events are parsed from JSON); `undefined` members are left out, as
 * JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

const sha256Hex = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** The hash of an event: sha256 of the canonical JSON of every field but `hash` (so `prevHash` is covered). */
export function eventHash(event: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
}

/**
 * What the next event's `prevHash` must be for a stored event object: its `hash` when it has one;
 * for an event from before the chain, the sha256 of its canonical JSON; for bytes that are not
 * JSON, the sha256 of the bytes.
 */
export function linkTo(data: Buffer): string {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch {
    return sha256Hex(data);
  }
  if (json !== null && typeof json === "object" && typeof (json as { hash?: unknown }).hash === "string") return (json as { hash: string }).hash;
  return sha256Hex(canonicalJson(json));
}

const eventSchema = z.looseObject({
  seq: z.number().int().positive(),
  time: z.string(),
  model: z.string(),
  type: z.string().min(1),
  version: z.number().int().positive().optional(),
  champion: z.number().int().positive().optional(),
  actor: z.string(),
  reason: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  prevHash: z.string().nullable().optional(),
  hash: z.string().optional(),
});

/**
 * A model's history, oldest first. An event object that is not JSON or not an event (a
 * hand-edited or damaged file) is left out and reported to `options.onSkip`, so one bad file
 * never hides the rest of the history.
 */
export async function listEvents(registry: ModelRegistry, model: string, options: { onSkip?: (problem: UnreadableEvent) => void } = {}): Promise<ModelEvent[]> {
  assertModelName(model);
  const onSkip = options.onSkip ?? ((p: UnreadableEvent) => process.emitWarning(`skipped history event ${p.key}: ${p.reason}`, { code: "MLOPS_EVENT_UNREADABLE" }));
  const out: ModelEvent[] = [];
  for (const key of await registry.storage.list(keys.events(model))) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    let json: unknown;
    try {
      json = JSON.parse(object.data.toString("utf8"));
    } catch (err) {
      onSkip({ key, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) onSkip({ key, reason: `not a history event: ${describeIssues(parsed.error)}` });
    else out.push(parsed.data as ModelEvent);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

async function lastSeq(registry: ModelRegistry, model: string): Promise<number> {
  const names = await registry.storage.list(keys.events(model));
  const last = names.at(-1);
  return last ? Number(last.slice(last.lastIndexOf("/") + 1, -".json".length)) || names.length : 0;
}
