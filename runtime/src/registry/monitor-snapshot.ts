import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";

/** Drift of one feature in a server's window, as in the drift report. */
export interface FeatureDriftSnapshot {
  name: string;
  test: string;
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
}

/**
 * What one server instance saw of one model version: its traffic since it started serving the
 * version, the drift of the recent window against the version's reference profile, and live
 * quality from labelled feedback. Written periodically; the controller reads these to decide.
 */
export interface MonitorSnapshot {
  model: string;
  version: number;
  /** Server instance (host and pid), one snapshot object each. */
  instance: string;
  updatedAt: string;
  /** Requests answered by this version and how many failed (5xx), cumulative. */
  traffic: { requests: number; errors: number; rows: number; latencyP50Ms: number | null; latencyP99Ms: number | null };
  /** Served rows in the drift window. */
  window: { rows: number; capacity: number };
  /** Drift of the window against the reference profile; null until the window has enough rows or without a profile. */
  drift: { detected: boolean; share: number; driftShare: number; columns: number; drifted: number; features: FeatureDriftSnapshot[] } | null;
  /** Quality over the recent labelled predictions; null without feedback. */
  quality: { metric: string; value: number; labelled: number } | null;
  /** Shadow comparison when this version scored a copy of the champion's traffic. */
  shadow: { rows: number; agreement: number | null; meanAbsDiff: number | null } | null;
}

/** Writes (replaces) an instance's snapshot of a version. */
export async function writeMonitorSnapshot(registry: ModelRegistry, snapshot: MonitorSnapshot): Promise<void> {
  assertModelName(snapshot.model);
  const key = `${keys.monitor(snapshot.model, snapshot.version)}${snapshot.instance.replace(/[^A-Za-z0-9_-]/g, "-")}.json`;
  await registry.storage.put(key, `${JSON.stringify(snapshot)}\n`);
}

/** Every instance's latest snapshot of a version (unparseable ones are skipped: they are advisory). */
export async function readMonitorSnapshots(registry: ModelRegistry, model: string, version: number): Promise<MonitorSnapshot[]> {
  assertModelName(model);
  const out: MonitorSnapshot[] = [];
  for (const key of await registry.storage.list(keys.monitor(model, version))) {
    const object = await registry.storage.get(key);
    if (!object) continue;
    try {
      out.push(JSON.parse(object.data.toString("utf8")) as MonitorSnapshot);
    } catch {
      // a snapshot being replaced is never half-written (puts are atomic); anything else is junk to ignore
    }
  }
  return out;
}
