import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";

/** Why an object (or part of one) was set aside, stored next to its copy. */
export interface QuarantineRecord {
  /** The key the bytes were read from. */
  key: string;
  /** What was wrong, as a sentence. */
  reason: string;
  /** Who set it aside ("controller", "cli"). */
  actor: string;
  /** ISO 8601. */
  time: string;
}

/**
 * Sets bytes read from `key` aside under `models/<model>/quarantine/<key within the model>.<time>`
 * (a raw copy, restorable by hand) with a `.reason.json` record beside it, so nothing unreadable
 * is ever lost, and readers stop tripping over it once the caller removes or rewrites the
 * original. Returns the copy's key.
 */
export async function quarantine(registry: ModelRegistry, model: string, key: string, data: Buffer, reason: string, actor: string, now: Date = new Date()): Promise<string> {
  const within = key.startsWith(keys.model(model)) ? key.slice(keys.model(model).length) : key;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  const copy = `${keys.quarantine(model)}${within}.${stamp}`;
  await registry.storage.put(copy, data);
  const record: QuarantineRecord = { key, reason, actor, time: now.toISOString() };
  await registry.storage.put(`${copy}.reason.json`, `${JSON.stringify(record, null, 2)}\n`);
  return copy;
}
