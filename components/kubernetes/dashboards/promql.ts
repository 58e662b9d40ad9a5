/** A PromQL expression and where it is used (dashboard panel or alert rule), for checks. */
export interface PromqlReference {
  /** `dashboard:<uid>/<panel title>` or `rule:<alert name>`. */
  source: string;
  /** The PromQL expression. */
  expr: string;
}

const KEYWORDS = new Set([
  "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
  "offset", "bool", "inf", "nan", "atan2",
]);

/**
 * Metric names a PromQL expression selects. A small lexer, not a parser: string literals, label
 * matchers, grouping clauses and range/subquery brackets are removed, then every identifier that
 * is not a function call or keyword is a metric name. The tests check it against the official
 * Prometheus parser (@prometheus-io/lezer-promql) for every expression we ship.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const rest = stripped.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(word.toLowerCase())) continue;
    const before = stripped.slice(0, m.index ?? 0);
    if (/[0-9.]$/.test(before)) continue; // unit suffix of a number/duration, e.g. 1e3
    names.add(word);
  }
  return [...names].sort();
}

/** A metric a process exports, as prom-client's `registry.getMetricsAsJSON()` describes it. */
export interface ExportedMetric {
  name: string;
  type: string;
}

/**
 * Metric names outside what the platform actually exports: the runtime's metrics (histograms
 * and summaries also as `_bucket`/`_sum`/`_count`), the DCGM exporter's `DCGM_FI_*`,
 * kube-state-metrics' `kube_*`, node-exporter's `node_*`, and Prometheus's own `up`.
 */
export function unknownMetricNames(names: Iterable<string>, runtimeMetrics: readonly ExportedMetric[]): string[] {
  const known = new Set<string>();
  for (const m of runtimeMetrics) {
    known.add(m.name);
    if (m.type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) known.add(m.name + s);
    if (m.type === "summary") for (const s of ["_sum", "_count"]) known.add(m.name + s);
  }
  return [...new Set(names)].filter((n) => !(known.has(n) || /^DCGM_FI_[A-Z0-9_]+$/.test(n) || /^kube_[a-z0-9_]+$/.test(n) || /^node_[a-z0-9_]+$/.test(n) || n === "up")).sort();
}
