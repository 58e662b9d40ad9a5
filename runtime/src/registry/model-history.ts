import { setTimeout as sleep } from "node:timers/promises";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";
import { PreconditionFailedError } from "./storage.ts";

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
  | "rolled-back";

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
}

/** An event to record; the sequence number and time are assigned. */
export type NewModelEvent = Omit<ModelEvent, "seq" | "time" | "model">;

const ATTEMPTS = 100;

/**
 * Appends an event to a model's history. Each event is its own create-only object numbered one
 * past the last, so concurrent writers never overwrite each other and the history never loses
 * an entry (on a lost race the writer takes the next number).
 */
export async function appendEvent(registry: ModelRegistry, model: string, event: NewModelEvent, now: Date = new Date()): Promise<ModelEvent> {
  assertModelName(model);
  let seq = (await lastSeq(registry, model)) + 1;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const full: ModelEvent = { seq, time: now.toISOString(), model, ...event };
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

/** A model's history, oldest first. */
export async function listEvents(registry: ModelRegistry, model: string): Promise<ModelEvent[]> {
  assertModelName(model);
  const out: ModelEvent[] = [];
  for (const key of await registry.storage.list(keys.events(model))) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    try {
      out.push(JSON.parse(object.data.toString("utf8")) as ModelEvent);
    } catch (err) {
      throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

async function lastSeq(registry: ModelRegistry, model: string): Promise<number> {
  const names = await registry.storage.list(keys.events(model));
  const last = names.at(-1);
  return last ? Number(last.slice(last.lastIndexOf("/") + 1, -".json".length)) || names.length : 0;
}
