import { mlopsError } from "../errors.ts";
import { type ModelEvent, type ModelRegistry, appendEvent, listEvents, readRollout, writeRollout } from "../registry/index.ts";

/**
 * The champions a model has had, oldest first, ending with the current one, as the history tells
 * it: a promotion or a champion alias move pushes a version; a manual rollback pops the one it
 * undid. Successive rollbacks therefore walk back one promotion at a time.
 */
export function championLineage(events: readonly ModelEvent[], current: number | undefined): number[] {
  const stack: number[] = [];
  for (const e of events) {
    if (e.version === undefined) continue;
    const manualRollback = e.type === "rolled-back" && e.details?.manual === true;
    if (manualRollback) {
      const to = e.details?.to;
      if (stack.at(-1) === e.version) stack.pop();
      if (typeof to === "number" && stack.at(-1) !== to) stack.push(to);
    } else if ((e.type === "promoted" || (e.type === "alias-moved" && e.details?.alias === "champion")) && stack.at(-1) !== e.version) {
      stack.push(e.version);
    }
  }
  if (current !== undefined && stack.at(-1) !== current) stack.push(current);
  return stack;
}

/** What a manual rollback did. */
export interface RollbackResult {
  /** The champion before, and the restored one. */
  from: number;
  to: number;
  /** Whether a shadow or canary rollout was stopped, and the challenger alias removed. */
  clearedRollout: boolean;
  removedChallenger: number | null;
}

/**
 * Puts the previous champion back (found in the model's history; MLOPS_ERR_CONTROLLER_NO_PREVIOUS_CHAMPION
 * when there is none), stops any rollout, removes the challenger alias, and records a rolled-back
 * event by `actor`. The champion moves first, in one compare-and-swap, so a crash part-way leaves
 * the restored champion serving; a controller cleans up the rest on start.
 */
export async function rollback(registry: ModelRegistry, model: string, actor: string, now: Date = new Date()): Promise<RollbackResult> {
  const aliases = await registry.getAliases(model);
  const from = aliases.champion;
  const lineage = championLineage(await listEvents(registry, model), from);
  const to = lineage.at(-2);
  if (from === undefined || to === undefined) throw mlopsError("MLOPS_ERR_CONTROLLER_NO_PREVIOUS_CHAMPION", { model, champion: from ?? null });
  await registry.setAlias(model, "champion", to);
  const { rollout } = await readRollout(registry, model);
  const clearedRollout = rollout.mode !== "none";
  if (clearedRollout) await writeRollout(registry, model, { mode: "none", challenger: null, weight: 0, reason: `rolled back to version ${to} by ${actor}` }, now);
  let removedChallenger: number | null = null;
  const challenger = (await registry.getAliases(model)).challenger;
  if (challenger !== undefined) {
    await registry.deleteAlias(model, "challenger").catch((err: { code?: string }) => {
      if (err.code !== "MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND") throw err;
    });
    removedChallenger = challenger;
  }
  await appendEvent(
    registry,
    model,
    {
      type: "rolled-back",
      version: from,
      champion: to,
      actor,
      reason: `champion rolled back by ${actor} from version ${from} to the previous champion, version ${to}${clearedRollout ? `; ${rollout.mode} rollout of version ${rollout.challenger} stopped` : ""}`,
      details: { manual: true, from, to, clearedRollout, removedChallenger },
    },
    now,
  );
  return { from, to, clearedRollout, removedChallenger };
}
