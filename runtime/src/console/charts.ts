/**
 * Inline SVG charts of the console: a line/point chart (learning curves, drift over time) and a
 * horizontal bar chart (metrics against baselines, feature importance). Colours come from the
 * console stylesheet through classes (the CSP allows no inline styles); every chart is an
 * `img` with a title and a description, and the panels put the same numbers in a table.
 */
import { type SafeHtml, fmt, html, raw } from "./html.ts";

/** One point of a series. */
export interface Point {
  x: number;
  y: number;
  /** Extra class on the point's marker (e.g. `drifted`). */
  mark?: string;
  /** Tooltip text. */
  tip?: string;
}

/** A named line of points, drawn with the class `s<index>` unless `cls` says otherwise. */
export interface Series {
  name: string;
  points: Point[];
  cls?: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Unique id prefix for the title/description ids. */
  id: string;
  title: string;
  desc: string;
  series: Series[];
  /** How x values read: epochs (integers) or times (ms since the epoch). */
  x: "number" | "time";
  yLabel: string;
  /** Horizontal reference line (a drift threshold). */
  hline?: { y: number; label: string };
  /** Vertical marker (the best epoch). */
  vline?: { x: number; label: string };
  /** Draw only markers, no connecting lines. @default false */
  pointsOnly?: boolean;
}

const W = 600;
const H = 230;
const L = 52;
const R = 14;
const T = 14;
const B = 40;

/** The smallest 1, 2 or 5 × 10^k at or above `v`. */
function niceStep(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** Rounded-out axis bounds and tick values for data from `lo` to `hi`. */
function axis(lo: number, hi: number, ticks = 5): { lo: number; hi: number; values: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, values: [0, 0.5, 1] };
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / ticks);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const values: number[] = [];
  for (let v = a; v <= b + step * 1e-6; v += step) values.push(Number(v.toPrecision(12)));
  return { lo: a, hi: b, values };
}

const n2 = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : "0");

function timeLabel(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  return span > 2 * 86_400_000 ? iso.slice(5, 10) : span > 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}

/** A line (or point) chart; series without points are left out, and no series at all draws nothing. */
export function lineChart(o: LineChartOptions): SafeHtml {
  const series = o.series.filter((s) => s.points.some((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  if (series.length === 0) return html``;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const ys = all.map((p) => p.y).concat(o.hline ? [o.hline.y] : []);
  const xs = all.map((p) => p.x).concat(o.vline ? [o.vline.x] : []);
  const ya = axis(Math.min(0, ...ys), Math.max(...ys));
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (x0 === x1) {
    x0 -= o.x === "time" ? 60_000 : 1;
    x1 += o.x === "time" ? 60_000 : 1;
  }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - ya.lo) / (ya.hi - ya.lo)) * (H - T - B);
  const parts: string[] = [];
  for (const v of ya.values) {
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${n2(py(v))}" y2="${n2(py(v))}"/>`);
    parts.push(`<text class="tick" x="${L - 6}" y="${n2(py(v) + 4)}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xticks = o.x === "time" ? 4 : Math.min(6, Math.round(x1 - x0));
  let previous = "";
  for (let i = 0; i <= xticks; i++) {
    const x = x0 + ((x1 - x0) * i) / Math.max(1, xticks);
    const label = o.x === "time" ? timeLabel(x, x1 - x0) : fmt(Math.round(x));
    if (label === previous) continue;
    previous = label;
    parts.push(`<text class="tick" x="${n2(px(x))}" y="${H - B + 16}" text-anchor="${i === 0 ? "start" : i === xticks ? "end" : "middle"}">${label}</text>`);
  }
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${n2(py(ya.lo))}" y2="${n2(py(ya.lo))}"/>`);
  parts.push(`<text class="tick label" x="${L}" y="${H - 6}">${esc(o.x === "time" ? "time (UTC)" : "epoch")}</text>`);
  parts.push(`<text class="tick label" x="${W - R}" y="${H - 6}" text-anchor="end">${esc(o.yLabel)}</text>`);
  const chart = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${o.id}-t ${o.id}-d" xmlns="http://www.w3.org/2000/svg">`,
    html`<title id="${o.id}-t">${o.title}</title><desc id="${o.id}-d">${o.desc}</desc>`.value,
    ...parts,
  ];
  if (o.hline) chart.push(html`<g class="ref-line"><title>${o.hline.label}</title><line x1="${L}" x2="${W - R}" y1="${n2(py(o.hline.y))}" y2="${n2(py(o.hline.y))}"/></g>`.value);
  if (o.vline) chart.push(html`<g class="ref-line best"><title>${o.vline.label}</title><line x1="${n2(px(o.vline.x))}" x2="${n2(px(o.vline.x))}" y1="${T}" y2="${H - B}"/></g>`.value);
  series.forEach((s, i) => {
    const cls = s.cls ?? `s${i % 6}`;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (!o.pointsOnly && pts.length > 1) chart.push(`<polyline class="line ${cls}" points="${pts.map((p) => `${n2(px(p.x))},${n2(py(p.y))}`).join(" ")}"/>`);
    const r = pts.length > 60 && !o.pointsOnly ? 0 : 3.5;
    if (r > 0 || pts.some((p) => p.mark)) {
      for (const p of pts) {
        const tip = p.tip ?? `${s.name}: ${fmt(p.y)}`;
        chart.push(html`<circle class="${`pt ${cls}${p.mark ? ` ${p.mark}` : ""}`}" cx="${n2(px(p.x))}" cy="${n2(py(p.y))}" r="${p.mark ? 4.5 : r || 2}"><title>${tip}</title></circle>`.value);
      }
    }
  });
  chart.push("</svg>");
  const legend = series.length > 1 || o.hline || o.vline
    ? html`<ul class="legend">${series.map((s, i) => html`<li><span class="${`key ${s.cls ?? `s${i % 6}`}`}" aria-hidden="true"></span>${s.name}</li>`)}${o.hline ? html`<li><span class="key ref" aria-hidden="true"></span>${o.hline.label}</li>` : ""}${o.vline ? html`<li><span class="key ref best" aria-hidden="true"></span>${o.vline.label}</li>` : ""}</ul>`
    : html``;
  return html`<figure class="figure">${raw(chart.join(""))}${legend}</figure>`;
}

/** One row of a {@link barChart}: a label and one value per series. */
export interface BarRow {
  label: string;
  values: (number | null)[];
}

/** Horizontal grouped bars, one group per row; the value axis starts at 0 (or the smallest negative value). */
export function barChart(o: { id: string; title: string; desc: string; series: string[]; rows: BarRow[]; unit?: string }): SafeHtml {
  const rows = o.rows.filter((r) => r.values.some((v) => v !== null && Number.isFinite(v)));
  if (rows.length === 0) return html``;
  const values = rows.flatMap((r) => r.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const a = axis(Math.min(0, ...values), Math.max(0, ...values), 4);
  const label = 150;
  const bar = 12;
  const group = o.series.length * bar + 10;
  const h = T + rows.length * group + 24;
  const px = (v: number) => label + ((v - a.lo) / (a.hi - a.lo)) * (W - label - R - 40);
  const parts: string[] = [];
  for (const v of a.values) {
    parts.push(`<line class="grid" x1="${n2(px(v))}" x2="${n2(px(v))}" y1="${T - 4}" y2="${h - 20}"/>`);
    parts.push(`<text class="tick" x="${n2(px(v))}" y="${h - 6}" text-anchor="middle">${fmt(v)}</text>`);
  }
  rows.forEach((r, i) => {
    const y0 = T + i * group;
    const text = r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label;
    parts.push(html`<text class="tick row" x="${label - 8}" y="${n2(y0 + (o.series.length * bar) / 2 + 4)}" text-anchor="end"><title>${r.label}</title>${text}</text>`.value);
    r.values.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) return;
      const x = Math.min(px(0), px(v));
      const w = Math.max(1, Math.abs(px(v) - px(0)));
      parts.push(html`<rect class="${`bar s${j % 6}`}" x="${n2(x)}" y="${n2(y0 + j * bar)}" width="${n2(w)}" height="${bar - 2}"><title>${`${r.label} — ${o.series[j] ?? ""}: ${fmt(v)}${o.unit ?? ""}`}</title></rect>`.value);
      parts.push(`<text class="tick val" x="${n2(x + w + 4)}" y="${n2(y0 + j * bar + bar - 3)}">${fmt(v)}</text>`);
    });
  });
  const svg = [
    `<svg class="chart bars" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${o.id}-t ${o.id}-d" xmlns="http://www.w3.org/2000/svg">`,
    html`<title id="${o.id}-t">${o.title}</title><desc id="${o.id}-d">${o.desc}</desc>`.value,
    ...parts,
    "</svg>",
  ].join("");
  const legend = o.series.length > 1 ? html`<ul class="legend">${o.series.map((s, i) => html`<li><span class="${`key s${i % 6}`}" aria-hidden="true"></span>${s}</li>`)}</ul>` : html``;
  return html`<figure class="figure">${raw(svg)}${legend}</figure>`;
}

function esc(s: string): string {
  return html`${s}`.value;
}
