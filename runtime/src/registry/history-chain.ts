import { eventHash, linkTo } from "./model-history.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";

/** One thing {@link verifyHistory} found about one event. */
export interface ChainFinding {
  /** The event's position (for a missing event, the number that has no object). */
  seq: number;
  /** Its storage key. */
  key: string;
  /**
   * `broken`: the chain does not hold here (changed, deleted, inserted, unreadable, stripped of its hash);
   * `legacy`: written before the history was chained, so nothing can vouch for it;
   * `set-aside`: missing because the controller quarantined it as unreadable (a later `quarantined` event says so).
   */
  kind: "broken" | "legacy" | "set-aside";
  /** A sentence naming what is wrong. */
  message: string;
}

/** What {@link verifyHistory} found. */
export interface HistoryVerification {
  model: string;
  /** Event objects read. */
  events: number;
  /** Events carrying a hash that checked out. */
  chained: number;
  /** The first and last seq of the chained part; null when no event is chained. */
  chainStart: number | null;
  chainEnd: number | null;
  /** The `hash` of the newest event: record it elsewhere to detect a deleted tail later. */
  head: string | null;
  /** Every finding, in seq order. */
  findings: ChainFinding[];
  /** The first `broken` finding; undefined when the chain holds. */
  firstBroken: ChainFinding | undefined;
}

const EVENT_FILE = /^([0-9]{12})\.json$/;

/**
 * Checks a model's history chain from the stored objects: every chained event's `hash` must match
 * its content and its `prevHash` the event before it (see `appendEvent`); numbers must run without
 * gaps; once the chain has started, every event must carry a hash. Events written before the chain
 * existed are reported as `legacy`, not failures. An event missing because the controller set it
 * aside as unreadable (named in a later `quarantined` event) is reported as `set-aside`.
 *
 * What a chain alone cannot show: a deleted tail (the newest events) leaves a shorter, valid
 * chain. Compare `head` with a value recorded elsewhere (a CI log, a ticket) to catch that.
 */
export async function verifyHistory(registry: ModelRegistry, model: string): Promise<HistoryVerification> {
  assertModelName(model);
  const prefix = keys.events(model);
  const stored = new Map<number, { key: string; data: Buffer }>();
  for (const key of await registry.storage.list(prefix)) {
    const m = EVENT_FILE.exec(key.slice(prefix.length));
    if (!m) continue;
    const object = await registry.storage.get(key);
    if (object) stored.set(Number(m[1]), { key, data: object.data });
  }
  const parsed = new Map<number, Record<string, unknown> | undefined>();
  const setAside = new Set<string>();
  for (const [seq, { data }] of stored) {
    let json: unknown;
    try {
      json = JSON.parse(data.toString("utf8"));
    } catch {
      json = undefined;
    }
    const event = json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    parsed.set(seq, event);
    const objects = event?.type === "quarantined" ? (event.details as { objects?: unknown } | undefined)?.objects : undefined;
    if (Array.isArray(objects)) for (const o of objects) if (typeof o === "string") setAside.add(o);
  }

  const findings: ChainFinding[] = [];
  const last = Math.max(0, ...stored.keys());
  let chainStart: number | null = null;
  let chainEnd: number | null = null;
  let chained = 0;
  for (let seq = 1; seq <= last; seq++) {
    const key = keys.event(model, seq);
    const object = stored.get(seq);
    const broken = (message: string) => findings.push({ seq, key, kind: "broken", message });
    if (object === undefined) {
      if (setAside.has(key)) findings.push({ seq, key, kind: "set-aside", message: `seq ${seq} was set aside as unreadable by the controller (see the quarantined event)` });
      else broken(`seq ${seq} is missing: the event was deleted (seq ${seq + 1} follows seq ${seq - 1})`);
      continue;
    }
    const event = parsed.get(seq);
    if (event === undefined) {
      broken(`seq ${seq} is not a JSON object: it was damaged or overwritten`);
      continue;
    }
    if (event.seq !== seq) {
      broken(`seq ${seq} is stored under seq ${seq} but says seq ${JSON.stringify(event.seq)}: it was moved or replaced`);
      continue;
    }
    if (typeof event.hash !== "string") {
      if (chainStart !== null) broken(`seq ${seq} has no hash, but the chain started at seq ${chainStart}: it was inserted or rewritten and its hash removed`);
      else findings.push({ seq, key, kind: "legacy", message: `seq ${seq} is an unchained legacy event (written before the history carried hashes)` });
      continue;
    }
    chainStart ??= seq;
    if (eventHash(event) !== event.hash) {
      broken(`seq ${seq} (${String(event.type)}) was changed after it was written: its content no longer matches its hash`);
      continue;
    }
    const previous = seq > 1 ? stored.get(seq - 1) : undefined;
    const expected = seq === 1 ? null : previous === undefined ? undefined : linkTo(previous.data);
    if (expected !== undefined && event.prevHash !== expected) {
      broken(
        seq === 1
          ? `seq 1 links to an earlier event (prevHash ${String(event.prevHash)}), but it is the first`
          : `seq ${seq} (${String(event.type)}) does not link to seq ${seq - 1}: one of the two was rewritten (its hash recomputed) or replaced`,
      );
      continue;
    }
    chained++;
    chainEnd = seq;
  }
  const newest = parsed.get(last);
  return {
    model,
    events: stored.size,
    chained,
    chainStart,
    chainEnd,
    head: typeof newest?.hash === "string" ? newest.hash : null,
    findings,
    firstBroken: findings.find((f) => f.kind === "broken"),
  };
}
