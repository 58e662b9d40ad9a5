import type { VersionMetadata } from "../../registry/index.ts";
import { barChart } from "../charts.ts";
import { type SafeHtml, fmt, html } from "../html.ts";

type Baselines = Record<string, Record<string, number>>;
type Intervals = Record<string, { low: number; high: number }>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** version.json's optional `baselines` (name → metrics), top level or under `extra`; undefined when absent or malformed. */
export function baselinesOf(meta: VersionMetadata): Baselines | undefined {
  const raw = (meta as unknown as Record<string, unknown>).baselines ?? meta.extra?.baselines;
  if (!isRecord(raw)) return undefined;
  const out: Baselines = {};
  for (const [name, metrics] of Object.entries(raw)) {
    if (!isRecord(metrics)) continue;
    const m: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) if (typeof v === "number") m[k] = v;
    // Training's baselines object also holds its verdicts and the compared metric's name.
    if (Object.keys(m).length > 0) out[name] = m;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** version.json's optional `intervals` (metric → {low, high} or [low, high]): top level, under `extra`, or training's `extra.evaluation`. */
export function intervalsOf(meta: VersionMetadata): Intervals | undefined {
  const evaluation = meta.extra?.evaluation;
  const raw = (meta as unknown as Record<string, unknown>).intervals ?? meta.extra?.intervals ?? (isRecord(evaluation) ? evaluation.intervals : undefined);
  if (!isRecord(raw)) return undefined;
  const out: Intervals = {};
  for (const [k, v] of Object.entries(raw)) {
    if (isRecord(v) && typeof v.low === "number" && typeof v.high === "number") out[k] = { low: v.low, high: v.high };
    else if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number") out[k] = { low: v[0], high: v[1] };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Test metrics with their confidence intervals and the baselines' metrics (reads version.json: metrics, baselines, intervals). */
export function metricsPanel(meta: VersionMetadata): SafeHtml {
  const names = Object.keys(meta.metrics).sort();
  const baselines = baselinesOf(meta);
  const intervals = intervalsOf(meta);
  const baselineNames = Object.keys(baselines ?? {}).sort();
  if (names.length === 0) return html`<section aria-labelledby="metrics-h"><h2 id="metrics-h">Metrics</h2><p class="none">No metric recorded.</p></section>`;
  const rows = names.map(
    (m) => html`<tr><th scope="row">${m}</th><td class="n">${fmt(meta.metrics[m])}</td>${
      intervals ? html`<td class="n">${intervals[m] ? `${fmt(intervals[m].low)} – ${fmt(intervals[m].high)}` : "—"}</td>` : ""
    }${baselineNames.map((b) => html`<td class="n">${baselines![b]![m] === undefined ? "—" : fmt(baselines![b]![m])}</td>`)}</tr>`,
  );
  const chart = baselines
    ? barChart({
        id: "metrics-chart",
        title: `Test metrics of version ${meta.version} against the baselines`,
        desc: `${names.length} metric(s); bars for this version and ${baselineNames.join(", ")}.`,
        series: [`version ${meta.version}`, ...baselineNames],
        rows: names.map((m) => ({ label: m, values: [meta.metrics[m] ?? null, ...baselineNames.map((b) => baselines[b]![m] ?? null)] })),
      })
    : html``;
  return html`<section aria-labelledby="metrics-h"><h2 id="metrics-h">Metrics</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Metric</th><th scope="col" class="n">Test set</th>${intervals ? html`<th scope="col" class="n">Interval</th>` : ""}${baselineNames.map((b) => html`<th scope="col" class="n">${`Baseline: ${b}`}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>
${baselines ? chart : html`<p class="none">Baselines not recorded.</p>`}${intervals ? "" : html`<p class="none">Confidence intervals not recorded.</p>`}
</section>`;
}
