import type { MonitorSnapshot } from "../registry/index.ts";
import type { HealthPolicy } from "./policy.ts";
import { higherIsBetter, isQualityMetric } from "./quality-metric.ts";

/** Cumulative request and error counters per server instance, taken when a phase starts. */
export type TrafficBaseline = ReadonlyMap<string, { requests: number; errors: number }>;

/** The counters in a version's snapshots, by instance. */
export function trafficBaseline(snapshots: readonly MonitorSnapshot[]): TrafficBaseline {
  return new Map(snapshots.map((s) => [s.instance, { requests: s.traffic.requests, errors: s.traffic.errors }]));
}

/** The challenger's health since a phase started, compared with the champion. */
export interface RolloutHealth {
  /** Requests and failed (5xx) requests the challenger answered since the baseline, over all instances. */
  requests: number;
  errors: number;
  /** errors / requests; null without requests. */
  errorRate: number | null;
  /** The worst instance's recent p99 latency; null when no instance reports one. */
  p99LatencyMs: number | null;
  /** Live quality of both versions (labelled-weighted over instances); null unless both have enough labels on the same metric. */
  quality: { metric: string; challenger: number; champion: number; challengerLabelled: number; championLabelled: number; drop: number } | null;
  /** Whether the challenger answered at least the requests a phase needs before its health counts. */
  enoughTraffic: boolean;
  /** One sentence per bound broken; empty when healthy. */
  violations: string[];
}

/**
 * Health of the challenger from the servers' snapshots: error rate from the growth of the
 * cumulative counters since `baseline` (an instance whose counter went down restarted, so its
 * whole count is new; an instance absent from the baseline started during the phase), the worst
 * instance's p99, and the live-quality gap to the champion. Error rate and latency are judged
 * only once `minRequests` requests have been answered, so a handful of requests cannot fail a step.
 */
export function assessHealth(input: {
  challenger: readonly MonitorSnapshot[];
  champion: readonly MonitorSnapshot[];
  baseline: TrafficBaseline;
  health: HealthPolicy;
  minRequests: number;
}): RolloutHealth {
  const { health } = input;
  let requests = 0;
  let errors = 0;
  let p99: number | null = null;
  for (const s of input.challenger) {
    const base = input.baseline.get(s.instance);
    const reset = base !== undefined && (s.traffic.requests < base.requests || s.traffic.errors < base.errors);
    requests += base === undefined || reset ? s.traffic.requests : s.traffic.requests - base.requests;
    errors += base === undefined || reset ? s.traffic.errors : s.traffic.errors - base.errors;
    if (s.traffic.latencyP99Ms !== null && (p99 === null || s.traffic.latencyP99Ms > p99)) p99 = s.traffic.latencyP99Ms;
  }
  const errorRate = requests > 0 ? errors / requests : null;
  const enoughTraffic = requests >= input.minRequests;
  const violations: string[] = [];
  if (enoughTraffic && errorRate !== null && errorRate > health.maxErrorRate) {
    violations.push(`error rate ${pct(errorRate)} (${errors} of ${requests} requests) is above ${pct(health.maxErrorRate)}`);
  }
  if (enoughTraffic && p99 !== null && p99 > health.maxP99LatencyMs) violations.push(`p99 latency ${p99.toFixed(1)} ms is above ${health.maxP99LatencyMs} ms`);

  const quality = compareQuality(input.challenger, input.champion, health.minLabelled);
  if (quality && quality.drop > health.maxQualityDrop) {
    violations.push(
      `live ${quality.metric} ${quality.challenger.toFixed(4)} is worse than the champion's ${quality.champion.toFixed(4)} by ${quality.drop.toFixed(4)} (allowed ${health.maxQualityDrop})`,
    );
  }
  return { requests, errors, errorRate, p99LatencyMs: p99, quality, enoughTraffic, violations };
}

function compareQuality(challenger: readonly MonitorSnapshot[], champion: readonly MonitorSnapshot[], minLabelled: number): RolloutHealth["quality"] {
  const a = pooled(challenger);
  if (!a || !isQualityMetric(a.metric)) return null;
  const b = pooled(champion, a.metric);
  if (!b || a.labelled < minLabelled || b.labelled < minLabelled) return null;
  const drop = higherIsBetter(a.metric) ? b.value - a.value : a.value - b.value;
  return { metric: a.metric, challenger: a.value, champion: b.value, challengerLabelled: a.labelled, championLabelled: b.labelled, drop };
}

/** Labelled-weighted mean of the instances' live quality on one metric (the first reported unless given). */
function pooled(snapshots: readonly MonitorSnapshot[], metric?: string): { metric: string; value: number; labelled: number } | null {
  const withQuality = snapshots.filter((s) => s.quality !== null && s.quality.labelled > 0 && Number.isFinite(s.quality.value));
  const m = metric ?? withQuality[0]?.quality?.metric;
  if (m === undefined) return null;
  const same = withQuality.filter((s) => s.quality!.metric === m);
  const labelled = same.reduce((n, s) => n + s.quality!.labelled, 0);
  if (labelled === 0) return null;
  return { metric: m, value: same.reduce((n, s) => n + s.quality!.value * s.quality!.labelled, 0) / labelled, labelled };
}

/** The shadow comparison over instances: rows scored on the challenger, agreement and mean absolute difference (rows-weighted). */
export function shadowSummary(snapshots: readonly MonitorSnapshot[]): { rows: number; agreement: number | null; meanAbsDiff: number | null } {
  let rows = 0;
  let agree = 0;
  let agreeRows = 0;
  let diff = 0;
  let diffRows = 0;
  for (const s of snapshots) {
    if (!s.shadow) continue;
    rows += s.shadow.rows;
    if (s.shadow.agreement !== null) {
      agree += s.shadow.agreement * s.shadow.rows;
      agreeRows += s.shadow.rows;
    }
    if (s.shadow.meanAbsDiff !== null) {
      diff += s.shadow.meanAbsDiff * s.shadow.rows;
      diffRows += s.shadow.rows;
    }
  }
  return { rows, agreement: agreeRows > 0 ? agree / agreeRows : null, meanAbsDiff: diffRows > 0 ? diff / diffRows : null };
}

const pct = (x: number): string => `${Math.round(x * 10000) / 100}%`;
