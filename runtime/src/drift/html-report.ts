/**
 * The page `mlops drift --report <file.html>` writes: one self-contained HTML file (inline CSS
 * and inline SVG, no scripts, no network) with the dataset verdict on top, a summary table and
 * one card per column comparing the reference and current distributions.
 */

// Structural copies of the types in ./index.ts (the drift statistics), kept local so this file
// renders whatever matches the shape without depending on how the statistics are computed.
interface ColumnDrift {
  name: string;
  type: "numerical" | "categorical";
  test: "ks" | "chisquare" | "z" | "wasserstein" | "jensenshannon" | "psi";
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  distribution?:
    | { kind: "bins"; edges: number[]; reference: number[]; current: number[] }
    | { kind: "categories"; labels: string[]; reference: number[]; current: number[] };
}
interface DriftResult {
  drift: { detected: boolean; share: number; driftShare: number; columns: number; drifted: number };
  columns: ColumnDrift[];
}

/** Where the compared data came from and when the report was made; shown in the page header. */
export interface DriftReportMeta {
  /** Reference dataset (file name or URI), shown as given. */
  reference: string;
  /** Current dataset (file name or URI), shown as given. */
  current: string;
  /** When the report was generated (ISO 8601 preferred), shown as given. */
  generatedAt: string;
}

/** Categories drawn per column; the rest are summarised in a note under the chart. */
const MAX_CATEGORIES = 20;

const TEST_NAMES: Record<ColumnDrift["test"], string> = {
  ks: "Kolmogorov–Smirnov",
  chisquare: "Chi-squared",
  z: "Z-test for proportions",
  wasserstein: "Wasserstein distance (normed)",
  jensenshannon: "Jensen–Shannon distance",
  psi: "Population stability index",
};

/**
 * Renders a drift report as a complete HTML document. Every string from the report or `meta`
 * is escaped; drifted columns come first; a column without `distribution` gets a card without
 * a chart. The page contains no scripts and loads nothing, so it can be opened from disk,
 * attached to a ticket or served as a static file.
 */
export function renderDriftReport(report: DriftResult, meta: DriftReportMeta): string {
  const columns = report.columns
    .map((column, index) => ({ column, id: `col-${index + 1}` }))
    .sort((a, b) => Number(b.column.drifted) - Number(a.column.drifted));
  const drifted = columns.filter((c) => c.column.drifted).length;
  const total = columns.length;
  const title =
    total === 0
      ? "Drift report — no columns compared"
      : `Drift report — ${report.drift.detected ? "drift detected" : "no drift"} (${drifted} of ${total} column${total === 1 ? "" : "s"} drifted)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${renderVerdict(report, meta, drifted, total)}
${total === 0 ? `<p class="empty">The report has no columns: nothing was compared.</p>` : renderSummary(columns) + renderCards(columns)}
</main>
</body>
</html>
`;
}

function renderVerdict(report: DriftResult, meta: DriftReportMeta, drifted: number, total: number): string {
  const { detected, share, driftShare } = report.drift;
  const state = total === 0 ? "none" : detected ? "drift" : "ok";
  const headline = total === 0 ? "No columns compared" : detected ? "Drift detected" : "No drift detected";
  const shareValue = total === 0 ? 0 : finiteOr(share, drifted / total);
  const fill = clamp01(shareValue) * 100;
  const hasThreshold = Number.isFinite(driftShare);
  const threshold = hasThreshold ? pctShare(driftShare) : "—";
  const rule = hasThreshold
    ? `Dataset drift is declared when at least ${threshold} of columns drift.`
    : "No dataset drift threshold was given.";
  return `<header class="verdict ${state}" aria-label="Dataset verdict">
  <div class="verdict-main">
    <p class="eyebrow">Data drift report</p>
    <h1><span class="dot" aria-hidden="true"></span>${headline}</h1>
    <p class="counts"><strong>${drifted} of ${total}</strong> column${total === 1 ? "" : "s"} drifted
      <span class="sep" aria-hidden="true">·</span> share <strong>${pctShare(shareValue)}</strong>
      <span class="sep" aria-hidden="true">·</span> threshold <strong>${threshold}</strong></p>
    <div class="gauge" role="img" aria-label="${esc(`Drifted share ${pctShare(shareValue)}${hasThreshold ? ` against a threshold of ${threshold}` : ""}`)}">
      <div class="gauge-fill" style="width:${num(fill)}%"></div>
      ${hasThreshold ? `<div class="gauge-mark" style="left:${num(clamp01(driftShare) * 100)}%"></div>` : ""}
    </div>
    <p class="rule">${esc(rule)}</p>
  </div>
  <dl class="meta">
    <div><dt><span class="swatch ref" aria-hidden="true"></span>Reference</dt><dd>${esc(meta.reference)}</dd></div>
    <div><dt><span class="swatch cur" aria-hidden="true"></span>Current</dt><dd>${esc(meta.current)}</dd></div>
    <div><dt>Generated</dt><dd><time datetime="${esc(meta.generatedAt)}">${esc(meta.generatedAt)}</time></dd></div>
  </dl>
</header>`;
}

interface Entry {
  column: ColumnDrift;
  id: string;
}

function renderSummary(columns: Entry[]): string {
  const rows = columns
    .map(
      ({ column: c, id }) => `<tr class="${c.drifted ? "drift" : "ok"}">
  <th scope="row"><a href="#${id}">${esc(c.name)}</a></th>
  <td>${esc(c.type)}</td><td>${esc(TEST_NAMES[c.test] ?? c.test)}</td>
  <td class="n">${esc(fmt(c.statistic))}</td><td class="n">${c.pValue === null ? "—" : esc(fmt(c.pValue))}</td>
  <td class="n">${esc(fmt(c.threshold))}</td><td>${badge(c.drifted)}</td>
</tr>`,
    )
    .join("\n");
  return `<section class="summary" aria-labelledby="summary-title">
<h2 id="summary-title">Columns <span class="count">${columns.length}</span></h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Test</th><th scope="col" class="n">Statistic</th><th scope="col" class="n">p-value</th><th scope="col" class="n">Threshold</th><th scope="col">Result</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</section>
`;
}

function renderCards(columns: Entry[]): string {
  return `<section class="cards" aria-label="Column details">
<p class="legend" aria-hidden="true"><span class="swatch ref"></span>Reference <span class="swatch cur"></span>Current <span class="legend-note">bars show the share of rows per bin or category</span></p>
${columns.map(renderCard).join("\n")}
</section>`;
}

function renderCard({ column: c, id }: Entry): string {
  const isDistance = c.pValue === null;
  const stat = fmt(c.statistic);
  const threshold = fmt(c.threshold);
  const measured = isDistance ? c.statistic : c.pValue;
  const reason = !Number.isFinite(measured) || !Number.isFinite(c.threshold)
    ? `${isDistance ? "Distance" : "p-value"} ${fmt(measured)} cannot be compared with the ${threshold} threshold; reported as ${c.drifted ? "drift" : "no drift"}.`
    : isDistance
    ? c.drifted
      ? `Distance ${stat} reaches the ${threshold} threshold: drift.`
      : `Distance ${stat} stays below the ${threshold} threshold: no drift.`
    : c.drifted
      ? `p-value ${fmt(c.pValue)} is below the ${threshold} threshold: drift.`
      : `p-value ${fmt(c.pValue)} is not below the ${threshold} threshold: no drift.`;
  return `<article class="card ${c.drifted ? "drift" : "ok"}" id="${id}" data-drifted="${c.drifted}" aria-labelledby="${id}-name">
  <header class="card-head">
    <h3 id="${id}-name">${esc(c.name)}</h3>
    <span class="type">${esc(c.type)}</span>
    ${badge(c.drifted)}
  </header>
  ${renderChart(c, id)}
  <dl class="stats">
    <div class="test"><dt>Test</dt><dd>${esc(TEST_NAMES[c.test] ?? c.test)}</dd></div>
    <div><dt>${isDistance ? "Distance" : "Statistic"}</dt><dd>${esc(stat)}</dd></div>
    <div><dt>p-value</dt><dd>${isDistance ? `<span title="Not applicable to distance tests">—</span>` : esc(fmt(c.pValue))}</dd></div>
    <div><dt>Threshold</dt><dd>${esc(threshold)}</dd></div>
  </dl>
  <p class="reason">${esc(reason)}</p>
</article>`;
}

function badge(drifted: boolean): string {
  return drifted ? `<span class="badge drift">Drift</span>` : `<span class="badge ok">No drift</span>`;
}

// ---- charts ---------------------------------------------------------------------------------

const W = 560;
const PLOT_TOP = 14;
const PLOT_LEFT = 46;
const PLOT_RIGHT = 10;
const PLOT_H = 170;

interface Bar {
  /** Full label for tooltips and the description. */
  label: string;
  reference: number;
  current: number;
}

function renderChart(c: ColumnDrift, id: string): string {
  const d = c.distribution;
  if (!d) return `<div class="no-chart">No distribution data for this column.</div>`;
  const n = Math.max(d.reference.length, d.current.length, d.kind === "categories" ? d.labels.length : 0);
  if (n === 0) return `<div class="no-chart">The distribution has no bins.</div>`;
  const reference = proportions(d.reference, n);
  const current = proportions(d.current, n);
  return d.kind === "bins" ? histogram(c.name, id, d.edges, reference, current) : categoryChart(c.name, id, d.labels, reference, current);
}

function histogram(name: string, id: string, edges: number[], reference: number[], current: number[]): string {
  const n = reference.length;
  const usable = edges.length === n + 1 && edges.every(Number.isFinite);
  const constant = usable && edges[0] === edges[n];
  const bars: Bar[] = reference.map((r, i) => ({
    label: usable ? (constant ? fmtShort(edges[0]!) : `${fmtShort(edges[i]!)} – ${fmtShort(edges[i + 1]!)}`) : `bin ${i + 1}`,
    reference: r,
    current: current[i]!,
  }));
  const plotW = W - PLOT_LEFT - PLOT_RIGHT;
  const band = plotW / n;
  const axis: string[] = [];
  if (constant) {
    axis.push(xLabel(PLOT_LEFT + plotW / 2, `${fmtShort(edges[0]!)} (constant)`, "middle"));
  } else if (usable) {
    // At most ~7 edge labels so they never overlap; always the first and the last edge.
    const step = Math.ceil(n / 6);
    for (let i = 0; i <= n; i += step) axis.push(xLabel(PLOT_LEFT + i * band, fmtShort(edges[i]!), anchorFor(i, n)));
    if (n % step !== 0) axis.push(xLabel(PLOT_LEFT + n * band, fmtShort(edges[n]!), "end"));
  } else {
    axis.push(xLabel(PLOT_LEFT + plotW / 2, `${n} bins (edges unavailable)`, "middle"));
  }
  const height = PLOT_TOP + PLOT_H + 34;
  const kind = constant ? "a single value" : `${n} bin${n === 1 ? "" : "s"}`;
  const desc = `Histogram over ${kind}${usable && !constant ? ` from ${fmtShort(edges[0]!)} to ${fmtShort(edges[n]!)}` : ""}. ${largestShift(bars)}`;
  return svg(id, `Distribution of ${name}: reference vs current`, desc, height, bars, "overlay", axis.join(""));
}

function categoryChart(name: string, id: string, labels: string[], reference: number[], current: number[]): string {
  const all: Bar[] = reference.map((r, i) => ({ label: labels[i] ?? `#${i + 1}`, reference: r, current: current[i]! }));
  const ranked = all
    .map((bar, i) => ({ bar, i }))
    .sort((a, b) => b.bar.reference + b.bar.current - (a.bar.reference + a.bar.current) || a.i - b.i)
    .map((x) => x.bar);
  const shown = ranked.slice(0, MAX_CATEGORIES);
  const rest = ranked.slice(MAX_CATEGORIES);
  const plotW = W - PLOT_LEFT - PLOT_RIGHT;
  const band = plotW / shown.length;
  const rotate = shown.some((b) => b.label.length * 6.2 > band - 4);
  const maxChars = rotate ? 12 : Math.max(3, Math.floor((band - 4) / 6.2));
  const axis = shown
    .map((b, i) => {
      const x = PLOT_LEFT + (i + 0.5) * band;
      const text = truncate(b.label, maxChars);
      const y = PLOT_TOP + PLOT_H + 14;
      return rotate
        ? `<text class="tick" transform="translate(${num(x + 3)},${y}) rotate(-40)" text-anchor="end"><title>${esc(b.label)}</title>${esc(text)}</text>`
        : `<text class="tick" x="${num(x)}" y="${y}" text-anchor="middle"><title>${esc(b.label)}</title>${esc(text)}</text>`;
    })
    .join("");
  const height = PLOT_TOP + PLOT_H + (rotate ? 78 : 34);
  const desc = `Bar chart of ${all.length} categor${all.length === 1 ? "y" : "ies"}${rest.length ? `, the ${shown.length} most frequent shown` : ""}. ${largestShift(all)}`;
  const chart = svg(id, `Distribution of ${name}: reference vs current`, desc, height, shown, "grouped", axis);
  if (rest.length === 0) return chart;
  const restRef = rest.reduce((s, b) => s + b.reference, 0);
  const restCur = rest.reduce((s, b) => s + b.current, 0);
  return `${chart}<p class="other">+ ${rest.length} other categor${rest.length === 1 ? "y" : "ies"} not drawn: ${pct(restRef)} of reference rows, ${pct(restCur)} of current rows.</p>`;
}

function svg(id: string, title: string, desc: string, height: number, bars: Bar[], mode: "overlay" | "grouped", xAxis: string): string {
  const plotW = W - PLOT_LEFT - PLOT_RIGHT;
  const band = plotW / bars.length;
  const step = niceStep(Math.max(...bars.map((b) => Math.max(b.reference, b.current))) / 5);
  const steps = Math.max(1, Math.ceil(Math.max(...bars.map((b) => Math.max(b.reference, b.current))) / step - 1e-9));
  const top = step * steps;
  const digits = Math.max(0, Math.ceil(-Math.log10(step * 100) - 1e-9));
  const y = (v: number) => PLOT_TOP + PLOT_H - (v / top) * PLOT_H;
  const ticks: string[] = [];
  for (let k = 0; k <= steps; k++) {
    const ty = y(step * k);
    ticks.push(
      `<line class="grid${k === 0 ? " base" : ""}" x1="${PLOT_LEFT}" x2="${W - PLOT_RIGHT}" y1="${num(ty)}" y2="${num(ty)}"/>` +
        `<text class="tick" x="${PLOT_LEFT - 6}" y="${num(ty + 3.5)}" text-anchor="end">${esc(pct(step * k, digits))}</text>`,
    );
  }
  const rects = bars
    .map((b, i) => {
      const mid = PLOT_LEFT + (i + 0.5) * band;
      const gap = Math.min(2, band * 0.1);
      const tip = `${b.label}: reference ${pct(b.reference, 1)}, current ${pct(b.current, 1)}`;
      // Histogram: the current bar sits inside the reference bar, so both stay readable where
      // they overlap. Categories: side by side, capped so three categories are not three slabs.
      const wide = Math.min(band - gap, 160);
      const pair = Math.min(band * 0.38, 44);
      const [rx, rw, cx, cw] =
        mode === "overlay" ? [mid - wide / 2, wide, mid - wide / 4, wide / 2] : [mid - pair - 1, pair, mid + 1, pair];
      return `<g><title>${esc(tip)}</title>${rect("ref", rx, rw, y(b.reference), y(0))}${rect("cur", cx, cw, y(b.current), y(0))}</g>`;
    })
    .join("");
  return `<svg class="chart" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>
${ticks.join("")}
${rects}
${xAxis}
</svg>`;
}

function rect(series: "ref" | "cur", x: number, w: number, yTop: number, yBase: number): string {
  return `<rect class="bar ${series}" x="${num(x)}" y="${num(yTop)}" width="${num(Math.max(w, 0.5))}" height="${num(yBase - yTop)}"/>`;
}

function xLabel(x: number, text: string, anchor: "start" | "middle" | "end"): string {
  return `<text class="tick" x="${num(x)}" y="${PLOT_TOP + PLOT_H + 16}" text-anchor="${anchor}">${esc(text)}</text>`;
}

function anchorFor(i: number, n: number): "start" | "middle" | "end" {
  return i === 0 ? "start" : i === n ? "end" : "middle";
}

function largestShift(bars: Bar[]): string {
  let best: Bar | undefined;
  for (const b of bars) if (!best || Math.abs(b.current - b.reference) > Math.abs(best.current - best.reference)) best = b;
  if (!best || best.current === best.reference) return "Reference and current match.";
  return `Largest change: ${best.label}, from ${pct(best.reference, 1)} of reference rows to ${pct(best.current, 1)} of current rows.`;
}

// ---- numbers and text -----------------------------------------------------------------------

/** Proportions padded to `n`, with anything that is not a finite non-negative number drawn as 0. */
function proportions(values: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const v = values[i];
    return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0;
  });
}

/** The smallest 1, 2 or 5 × 10^k at or above `v`: grid lines land on round percentages. */
function niceStep(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 0.2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

function fmt(v: number | null): string {
  if (v === null) return "—";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) return exponential(v, 3);
  return String(Number(v.toPrecision(4)));
}

function fmtShort(v: number): string {
  const a = Math.abs(v);
  if (v === 0) return "0";
  if (a >= 1e9 || a < 1e-3) return exponential(v, 2);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/** `1.5e-7`, `2e6`: `digits` significant digits, trailing zeros and the plus sign dropped. */
function exponential(v: number, digits: number): string {
  const [mantissa, exponent] = v.toExponential(digits - 1).split("e");
  return `${Number(mantissa)}e${Number(exponent)}`;
}

function pct(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return fmt(v);
  const p = v * 100;
  const s = p.toFixed(digits);
  return `${digits > 0 && p !== 0 && Number(s) === 0 ? "<0.1" : s}%`;
}

/** A share as a percentage with at most one decimal, and none when it is whole. */
function pctShare(v: number): string {
  return Number.isFinite(v) ? `${Number((v * 100).toFixed(1))}%` : fmt(v);
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** A coordinate for an SVG attribute: two decimals at most, never NaN. */
function num(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : "0";
}

/** Shortens from the middle: labels often share a prefix (`city_…_12`), rarely a suffix. */
function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  const tail = Math.floor((max - 1) / 2);
  return `${chars.slice(0, max - 1 - tail).join("")}…${tail > 0 ? chars.slice(-tail).join("") : ""}`;
}

function esc(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// Reference is a neutral grey, current a strong blue: distinguishable in greyscale and for the
// common colour-vision deficiencies. Verdicts always carry text, never colour alone.
const CSS = `
:root{--ref:#8b95a5;--cur:#2457d6;--ink:#1b2230;--muted:#4a5568;--line:#e3e7ee;--bg:#f4f6f9;--card:#fff;
--drift:#b42318;--drift-bg:#fdecea;--ok:#1a7f37;--ok-bg:#e6f4ea;--none:#4a5568;--none-bg:#eef1f5}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body{margin:0}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
h1,h2,h3{margin:0;line-height:1.25}
a{color:var(--cur)}
.verdict{display:flex;flex-wrap:wrap;gap:24px 40px;justify-content:space-between;background:var(--card);border:1px solid var(--line);border-top:6px solid var(--none);border-radius:12px;padding:22px 26px;margin-bottom:24px}
.verdict.drift{border-top-color:var(--drift)}
.verdict.ok{border-top-color:var(--ok)}
.verdict-main{flex:1 1 420px;min-width:0}
.eyebrow{margin:0 0 4px;font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
.verdict h1{font-size:30px;display:flex;align-items:center;gap:12px}
.dot{width:14px;height:14px;border-radius:50%;background:var(--none);flex:none}
.drift .dot{background:var(--drift)}
.ok .dot{background:var(--ok)}
.verdict.drift h1{color:var(--drift)}
.verdict.ok h1{color:var(--ok)}
.counts{margin:10px 0 12px;font-size:16px}
.sep{color:#9aa3b2;margin:0 6px}
.gauge{position:relative;height:10px;border-radius:5px;background:var(--line);max-width:460px}
.gauge-fill{position:absolute;inset:0 auto 0 0;border-radius:5px;background:var(--none)}
.drift .gauge-fill{background:var(--drift)}
.ok .gauge-fill{background:var(--ok)}
.gauge-mark{position:absolute;top:-5px;bottom:-5px;width:2px;margin-left:-1px;background:var(--ink)}
.rule{margin:8px 0 0;font-size:13px;color:var(--muted)}
.meta{margin:0;display:grid;gap:10px;align-content:start;min-width:240px;max-width:100%;font-size:14px}
.meta div{display:grid;grid-template-columns:100px minmax(0,1fr);gap:8px}
.meta dt{color:var(--muted);display:flex;align-items:center;gap:6px}
.meta dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;vertical-align:-1px}
.swatch.ref{background:var(--ref)}
.swatch.cur{background:var(--cur)}
.empty{background:var(--card);border:1px dashed #b8c0cc;border-radius:12px;padding:32px;text-align:center;color:var(--muted)}
.summary{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 22px;margin-bottom:24px}
.summary h2{font-size:17px;margin-bottom:10px}
.count{font-size:13px;font-weight:600;color:var(--muted);background:var(--bg);border-radius:999px;padding:1px 8px;vertical-align:2px}
.table-wrap{max-height:420px;overflow:auto}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
thead th{position:sticky;top:0;background:var(--card);color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
tbody th{font-weight:600;max-width:280px;overflow:hidden;text-overflow:ellipsis}
.n{text-align:right;font-variant-numeric:tabular-nums}
tr.drift th a{color:var(--drift)}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:2px 9px;border-radius:999px;white-space:nowrap}
.badge.drift{color:var(--drift);background:var(--drift-bg)}
.badge.ok{color:var(--ok);background:var(--ok-bg)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,500px),1fr));gap:18px}
.legend{grid-column:1/-1;margin:0 -4px;padding:6px 4px;display:flex;align-items:center;gap:8px;font-size:14px;color:var(--ink);position:sticky;top:0;z-index:1;background:var(--bg)}
.legend .swatch.cur{margin-left:10px}
.legend-note{color:var(--muted);margin-left:auto;font-size:13px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 18px;min-width:0;scroll-margin-top:12px}
.card.drift{border-left:5px solid var(--drift)}
.card:target{outline:3px solid var(--cur);outline-offset:2px}
.card-head{display:flex;align-items:center;gap:10px;margin-bottom:8px}
.card-head h3{font-size:17px;overflow-wrap:anywhere;min-width:0}
.type{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:999px;padding:1px 8px;margin-left:auto}
.chart{display:block;width:100%;height:auto;overflow:visible}
.chart .bar.ref{fill:var(--ref)}
.chart .bar.cur{fill:var(--cur)}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .grid.base{stroke:#9aa3b2}
.chart .tick{font-size:11px;fill:var(--muted)}
.chart g:hover .bar.ref{fill:#6b7585}
.chart g:hover .bar.cur{fill:#163e9e}
.no-chart{display:grid;place-items:center;height:120px;border:1px dashed #b8c0cc;border-radius:8px;color:var(--muted);font-size:14px}
.other{margin:2px 0 0;font-size:13px;color:var(--muted)}
.stats{display:grid;grid-template-columns:minmax(0,1.7fr) repeat(3,minmax(0,1fr));gap:8px;margin:12px 0 0}
.stats div{background:var(--bg);border-radius:8px;padding:7px 10px;min-width:0}
.stats dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.stats dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.stats .test dd{font-weight:500;font-size:14px;overflow-wrap:normal}
.reason{margin:10px 0 0;font-size:14px;color:var(--muted)}
.card.drift .reason{color:var(--drift)}
@media print{html{background:#fff}.card,.summary,.verdict{break-inside:avoid}.table-wrap{max-height:none}}
`;
