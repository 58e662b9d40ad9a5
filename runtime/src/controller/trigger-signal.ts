import type { MonitorSnapshot } from "../registry/index.ts";
import type { TriggerPolicy } from "./policy.ts";
import { higherIsBetter } from "./quality-metric.ts";

/** Drift of one listed feature across the instances whose windows count. */
export interface FeatureDriftEvidence {
  name: string;
  /** Instances reporting the feature drifted. */
  instances: number;
  /** Share of the counted window rows held by those instances. */
  rowsShare: number;
  /** Largest test statistic reported, and the test. */
  statistic: number | null;
  test: string | null;
}

/** What one check of the champion's snapshots found. */
export interface TriggerSignal {
  /** Whether a retrain signal holds in this check. */
  holds: boolean;
  /** Whether any snapshot was usable (fresh, with a full enough window or enough labels); without evidence a check neither counts nor resets. */
  evidence: boolean;
  /** Fresh snapshots as `instance@updatedAt`, sorted: equal values mean nothing new was observed. */
  observed: string;
  /** One sentence per signal that holds. */
  reasons: string[];
  /** The numbers behind it, recorded in the drift-detected event. */
  details: {
    instances: number;
    windowRows: number;
    dataset: { detected: boolean; rowsShare: number; share: number; driftShare: number | null; columns: number | null; drifted: string[] } | null;
    features: FeatureDriftEvidence[];
    quality: { metric: string; value: number; labelled: number; threshold: number; crossed: boolean } | null;
  };
}

/**
 * Evaluates the trigger on every instance's snapshot of the champion. Instances are combined by
 * a rows-weighted majority: dataset drift (or a listed feature's drift) holds when the instances
 * reporting it hold at least half of the counted window rows, so one replica with an odd slice of
 * traffic does not trigger a retrain on its own. Only snapshots updated within
 * `maxSnapshotAgeSeconds` and windows of at least `minWindowRows` rows count. Live quality is the
 * labelled-weighted mean over instances reporting the policy's metric.
 */
export function evaluateTrigger(snapshots: readonly MonitorSnapshot[], trigger: TriggerPolicy, now: Date): TriggerSignal {
  const fresh = snapshots.filter((s) => now.getTime() - Date.parse(s.updatedAt) <= trigger.maxSnapshotAgeSeconds * 1000);
  const observed = fresh.map((s) => `${s.instance}@${s.updatedAt}`).sort().join(",");
  const windows = fresh.filter((s) => s.drift !== null && s.window.rows >= trigger.minWindowRows);
  const windowRows = windows.reduce((n, s) => n + s.window.rows, 0);
  const reasons: string[] = [];
  const details: TriggerSignal["details"] = { instances: fresh.length, windowRows, dataset: null, features: [], quality: null };
  let holds = false;

  if (windows.length > 0) {
    const detectedRows = windows.reduce((n, s) => n + (s.drift!.detected ? s.window.rows : 0), 0);
    const rowsShare = detectedRows / windowRows;
    const share = windows.reduce((n, s) => n + s.drift!.share * s.window.rows, 0) / windowRows;
    const drifted = majorityFeatures(windows, windowRows);
    const first = windows[0]!.drift!;
    const detected = rowsShare >= 0.5;
    details.dataset = { detected, rowsShare, share, driftShare: first.driftShare, columns: first.columns, drifted };
    if (trigger.datasetDrift && detected) {
      holds = true;
      reasons.push(
        `dataset drift on ${windows.filter((s) => s.drift!.detected).length} of ${windows.length} instance(s), holding ${pct(rowsShare)} of ${windowRows} window rows; drifted columns: ${drifted.length ? drifted.join(", ") : "none on a majority"} (average drifted share ${pct(share)}, dataset drift at ${pct(first.driftShare)})`,
      );
    }
    for (const name of trigger.features) {
      let rows = 0;
      let instances = 0;
      let statistic: number | null = null;
      let test: string | null = null;
      for (const s of windows) {
        const f = s.drift!.features.find((x) => x.name === name);
        if (!f?.drifted) continue;
        rows += s.window.rows;
        instances++;
        if (statistic === null || f.statistic > statistic) {
          statistic = f.statistic;
          test = f.test;
        }
      }
      const evidence: FeatureDriftEvidence = { name, instances, rowsShare: rows / windowRows, statistic, test };
      details.features.push(evidence);
      if (evidence.rowsShare >= 0.5) {
        holds = true;
        reasons.push(`feature ${name} drifted on ${instances} of ${windows.length} instance(s) (${test} statistic ${statistic?.toFixed(4)})`);
      }
    }
  }

  const q = trigger.qualityDrop;
  let qualityEvidence = false;
  if (q) {
    const labelled = fresh.filter((s) => s.quality !== null && s.quality.metric === q.metric && Number.isFinite(s.quality.value));
    const n = labelled.reduce((sum, s) => sum + s.quality!.labelled, 0);
    if (n >= q.minLabelled) {
      qualityEvidence = true;
      const value = labelled.reduce((sum, s) => sum + s.quality!.value * s.quality!.labelled, 0) / n;
      const crossed = higherIsBetter(q.metric) ? value < q.threshold : value > q.threshold;
      details.quality = { metric: q.metric, value, labelled: n, threshold: q.threshold, crossed };
      if (crossed) {
        holds = true;
        reasons.push(`live ${q.metric} ${value.toFixed(4)} over ${n} labelled rows is ${higherIsBetter(q.metric) ? "below" : "above"} ${q.threshold}`);
      }
    }
  }
  return { holds, evidence: windows.length > 0 || qualityEvidence, observed, reasons, details };
}

/** Features the instances holding at least half of the window rows report as drifted. */
function majorityFeatures(windows: readonly MonitorSnapshot[], windowRows: number): string[] {
  const rows = new Map<string, number>();
  for (const s of windows) for (const f of s.drift!.features) if (f.drifted) rows.set(f.name, (rows.get(f.name) ?? 0) + s.window.rows);
  return [...rows].filter(([, r]) => r / windowRows >= 0.5).map(([name]) => name);
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
