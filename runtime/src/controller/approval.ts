import { mlopsError } from "../errors.ts";
import { type ModelEvent, type ModelRegistry, appendEvent, listEvents, readRollout, writeRollout } from "../registry/index.ts";

/** Events that end a wait for approval of the version they are about. */
const ENDS_WAIT: ReadonlySet<string> = new Set(["approved", "rejected", "promoted", "rolled-back"]);

/** Where a version stands with respect to approval, from the history. */
export interface ApprovalState {
  /** The `awaiting-approval` event of the current wait; undefined when the version never waited. */
  awaiting: ModelEvent | undefined;
  /** The event that ended that wait (approved, rejected, promoted, rolled-back), if any. */
  decision: ModelEvent | undefined;
}

/** The latest wait for approval of `version` in `events`, and what ended it. */
export function approvalState(events: readonly ModelEvent[], version: number): ApprovalState {
  const awaiting = events.findLast((e) => e.type === "awaiting-approval" && e.version === version);
  const decision = awaiting ? events.find((e) => e.seq > awaiting.seq && e.version === version && ENDS_WAIT.has(e.type)) : undefined;
  return { awaiting, decision };
}

/** Who decided and why; both required, so the history says it. */
export interface ApprovalDecision {
  /** The person deciding (`--by`). */
  by: string;
  /** Why (`--reason`). */
  reason: string;
}

async function openWait(registry: ModelRegistry, model: string, version: number): Promise<ModelEvent> {
  const { awaiting, decision } = approvalState(await listEvents(registry, model), version);
  if (awaiting === undefined) throw mlopsError("MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL", { model, version, state: "the controller never asked for its approval" });
  if (decision !== undefined) throw mlopsError("MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL", { model, version, state: `its wait (seq ${awaiting.seq}) already ended: ${decision.type} at seq ${decision.seq} by ${String(decision.details?.by ?? decision.actor)}` });
  const aliases = await registry.getAliases(model);
  if (aliases.challenger !== version) throw mlopsError("MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL", { model, version, state: `it is no longer the challenger (challenger: ${aliases.challenger ?? "none"})` });
  return awaiting;
}

function checkDecision(d: ApprovalDecision): void {
  const problems = [d.by.trim() === "" ? "--by must name who decides" : "", d.reason.trim() === "" ? "--reason must say why" : ""].filter(Boolean);
  if (problems.length > 0) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: problems.join("; ") });
}

/**
 * Approves promoting the version the controller holds for approval: records an `approved` event
 * (actor "cli", `details.by`); the controller's next pass runs the remaining canary steps and
 * promotes it. Throws MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL when nothing waits for it.
 */
export async function approve(registry: ModelRegistry, model: string, version: number, d: ApprovalDecision, now: Date = new Date()): Promise<ModelEvent> {
  checkDecision(d);
  const awaiting = await openWait(registry, model, version);
  return appendEvent(
    registry,
    model,
    { type: "approved", version, ...(awaiting.champion === undefined ? {} : { champion: awaiting.champion }), actor: "cli", reason: `version ${version} approved for promotion by ${d.by}: ${d.reason}`, details: { by: d.by, reason: d.reason, awaitingSeq: awaiting.seq } },
    now,
  );
}

/**
 * Rejects the version the controller holds for approval and rolls it back at once: traffic goes
 * back to the champion (rollout.json "none"), the challenger alias is removed, and `rejected` and
 * `rolled-back` events are recorded. Throws MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL when nothing waits for it.
 */
export async function reject(registry: ModelRegistry, model: string, version: number, d: ApprovalDecision, now: Date = new Date()): Promise<ModelEvent> {
  checkDecision(d);
  const awaiting = await openWait(registry, model, version);
  const champion = awaiting.champion;
  const event = await appendEvent(
    registry,
    model,
    { type: "rejected", version, ...(champion === undefined ? {} : { champion }), actor: "cli", reason: `version ${version} rejected by ${d.by}: ${d.reason}`, details: { by: d.by, reason: d.reason, awaitingSeq: awaiting.seq } },
    now,
  );
  const { rollout } = await readRollout(registry, model);
  if (rollout.challenger === version) await writeRollout(registry, model, { mode: "none", challenger: null, weight: 0, reason: `version ${version} rejected by ${d.by}` }, now);
  if ((await registry.getAliases(model)).challenger === version) {
    await registry.deleteAlias(model, "challenger").catch((err: { code?: string }) => {
      if (err.code !== "MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND") throw err;
    });
  }
  await appendEvent(
    registry,
    model,
    {
      type: "rolled-back",
      version,
      ...(champion === undefined ? {} : { champion }),
      actor: "cli",
      reason: `version ${version} rolled back${champion === undefined ? "" : `, version ${champion} stays champion`}: rejected by ${d.by}: ${d.reason}`,
      details: { phase: "approval", by: d.by, reason: d.reason, rejectedSeq: event.seq },
    },
    now,
  );
  return event;
}
