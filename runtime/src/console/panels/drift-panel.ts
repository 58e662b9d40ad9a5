import type { MonitorSnapshot } from "../../registry/index.ts";
import { type Point, lineChart } from "../charts.ts";
import { type SafeHtml, fmt, html, timeTag } from "../html.ts";

/** Tests whose statistic is a p-value comparison (drift below the threshold); the rest are distances (drift at or above it). */
const P_VALUE_TESTS = new Set(["ks", "chisquare", "z"]);

interface FeaturePoint {
  time: number;
  version: number;
  instance: string;
  test: string;
  value: number;
  threshold: number;
  drifted: boolean;
}

/** Smallest p-value drawn: a p-value of 0 (underflow) is drawn as 10^-16. */
const P_FLOOR = 1e-16;

/** How a measured value is drawn: −log10 for p-values (so drift is above the line for every test), the distance as is. */
const score = (pTest: boolean, v: number): number => (pTest ? -Math.log10(Math.max(P_FLOOR, Math.min(1, v))) : v);

/** Per feature, the value each snapshot compared with its threshold: the p-value for p-value tests, the distance otherwise. */
export function driftSeries(snapshots: readonly MonitorSnapshot[]): Map<string, FeaturePoint[]> {
  const out = new Map<string, FeaturePoint[]>();
  for (const s of snapshots) {
    const time = Date.parse(s.updatedAt);
    if (!Number.isFinite(time) || !s.drift || !Array.isArray(s.drift.features)) continue;
    for (const f of s.drift.features) {
      if (typeof f?.name !== "string") continue;
      const pTest = P_VALUE_TESTS.has(f.test) && typeof f.pValue === "number";
      const value = pTest ? (f.pValue as number) : f.statistic;
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const list = out.get(f.name) ?? [];
      list.push({ time, version: s.version, instance: s.instance, test: f.test, value, threshold: f.threshold, drifted: f.drifted === true });
      out.set(f.name, list);
    }
  }
  return out;
}

/**
 * Drift per feature over time (reads models/<m>/monitor/<v>/*.json: each server instance keeps
 * its latest snapshot per version, so there is one point per instance and version): a chart per
 * feature with its threshold, and a table of traffic, window and live quality per snapshot.
 */
export function driftPanel(snapshots: readonly MonitorSnapshot[], what = "this model"): SafeHtml {
  const head = html`<h2 id="drift-h">Drift per feature over time</h2>`;
  if (snapshots.length === 0) return html`<section aria-labelledby="drift-h">${head}<p class="none">No monitoring snapshot recorded: no server has served ${what} yet.</p></section>`;
  const series = driftSeries(snapshots);
  const names = [...series.keys()].sort((a, b) => Number(series.get(b)!.some((p) => p.drifted)) - Number(series.get(a)!.some((p) => p.drifted)) || a.localeCompare(b));
  const charts = names.map((name, i) => {
    const points = series.get(name)!.sort((a, b) => a.time - b.time);
    const last = points.at(-1)!;
    const pTest = P_VALUE_TESTS.has(last.test);
    const point = (p: FeaturePoint): Point => ({
      x: p.time,
      y: score(pTest, p.value),
      ...(p.drifted ? { mark: "drifted" } : {}),
      tip: `${new Date(p.time).toISOString()} v${p.version} ${p.instance}: ${pTest ? "p-value" : "distance"} ${fmt(p.value)}${p.drifted ? " (drift)" : ""}`,
    });
    // One line per version: its instances' snapshots in time order.
    const versions = [...new Set(points.map((p) => p.version))].sort((a, b) => a - b);
    const lines = versions.map((v) => ({ name: `version ${v}`, points: points.filter((p) => p.version === v).map(point) }));
    const drifted = points.filter((p) => p.drifted).length;
    return html`<article class="mini" aria-labelledby="${`drift-f${i}`}">
<h3 id="${`drift-f${i}`}">${name} ${drifted > 0 ? html`<span class="badge bad">drift in ${drifted} of ${points.length}</span>` : html`<span class="badge good">no drift</span>`}</h3>
${lineChart({
  id: `drift-c${i}`,
  title: `Drift of ${name} over time`,
  desc: `${points.length} snapshot(s) from ${new Date(points[0]!.time).toISOString()} to ${new Date(last.time).toISOString()}; test ${last.test}; latest ${pTest ? "p-value" : "distance"} ${fmt(last.value)} against a threshold of ${fmt(last.threshold)}; ${drifted} drifted.`,
  series: lines,
  x: "time",
  yLabel: pTest ? `−log10 p (${last.test}); drift above the line` : `distance (${last.test}); drift at or above the line`,
  hline: { y: score(pTest, last.threshold), label: pTest ? `threshold p = ${fmt(last.threshold)}` : `threshold ${fmt(last.threshold)}` },
})}
</article>`;
  });
  const rows = [...snapshots].reverse().map(
    (s) => html`<tr><th scope="row">v${s.version}</th><td>${s.instance}</td><td>${timeTag(s.updatedAt)}</td>
<td class="n">${s.traffic?.requests ?? "—"}</td><td class="n">${s.traffic?.errors ?? "—"}</td><td class="n">${fmt(s.traffic?.latencyP50Ms ?? null)}</td><td class="n">${fmt(s.traffic?.latencyP99Ms ?? null)}</td>
<td class="n">${s.window ? `${s.window.rows} / ${s.window.capacity}` : "—"}</td>
<td>${s.drift ? (s.drift.detected ? html`<span class="badge bad">drift</span> ${s.drift.drifted} of ${s.drift.columns}` : html`<span class="badge good">none</span> ${s.drift.drifted} of ${s.drift.columns}`) : "not computed"}</td>
<td>${s.quality ? `${s.quality.metric} ${fmt(s.quality.value)} (${s.quality.labelled} labelled)` : "no feedback"}</td></tr>`,
  );
  return html`<section aria-labelledby="drift-h">${head}
<p class="muted">One point per server instance and version (each instance keeps its latest snapshot). Drift is above the dashed threshold line: p-value tests are drawn as −log10 p (p = 0.05 is 1.3), distance tests as the distance. Red points are drifted windows.</p>
${names.length === 0 ? html`<p class="none">No window had enough rows for drift yet.</p>` : html`<div class="grid">${charts}</div>`}
<h3>Snapshots</h3>
<div class="table-wrap" tabindex="0" role="region" aria-label="Monitoring snapshots"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Instance</th><th scope="col">Updated</th><th scope="col" class="n">Requests</th><th scope="col" class="n">5xx</th><th scope="col" class="n">p50 ms</th><th scope="col" class="n">p99 ms</th><th scope="col" class="n">Window rows</th><th scope="col">Dataset drift</th><th scope="col">Live quality</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`;
}
