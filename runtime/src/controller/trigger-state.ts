import type { ModelRegistry } from "../registry/index.ts";
import { registryLayout } from "../registry/registry-layout.ts";

/** How many consecutive checks the trigger held, kept so a restarted (or `--once`) controller keeps counting. */
export interface TriggerState {
  /** The champion the count is about; a new champion starts from 0. */
  champion: number;
  /** Consecutive checks with the signal. */
  consecutive: number;
  /** The snapshots last counted (`TriggerSignal.observed`), so a check without new snapshots does not count twice. */
  observed: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** Where the controller keeps its trigger count, beside the model's other objects. */
export const triggerStateKey = (model: string): string => registryLayout.controllerTrigger(model);

/** The persisted trigger count; a fresh one when none is stored, it is unreadable, or it is about another champion. */
export async function readTriggerState(registry: ModelRegistry, model: string, champion: number): Promise<TriggerState> {
  const fresh: TriggerState = { champion, consecutive: 0, observed: "", updatedAt: new Date(0).toISOString() };
  const object = await registry.storage.get(triggerStateKey(model));
  if (!object) return fresh;
  try {
    const state = JSON.parse(object.data.toString("utf8")) as TriggerState;
    return state.champion === champion && Number.isInteger(state.consecutive) && typeof state.observed === "string" ? state : fresh;
  } catch {
    return fresh; // advisory: a lost count only delays a retrain
  }
}

/** Stores the trigger count (one atomic put). */
export async function writeTriggerState(registry: ModelRegistry, model: string, state: TriggerState): Promise<void> {
  await registry.storage.put(triggerStateKey(model), `${JSON.stringify(state)}\n`);
}
