import type { Experiment } from "../console-data.ts";
import { type SafeHtml, fmt, html } from "../html.ts";

const scalar = (v: unknown): string =>
  typeof v === "number" ? fmt(v) : typeof v === "string" || typeof v === "boolean" ? String(v) : v === null || v === undefined ? "—" : JSON.stringify(v);

/** Per-variant rows: each variant's own scalar fields, merged with `stats[<variant name>]` or `stats[<index>]` when the file keeps statistics apart. */
export function variantRows(e: Experiment): Record<string, unknown>[] {
  const stats = (e.data as Record<string, unknown>).stats;
  return (e.data.variants ?? []).map((v, i) => {
    const name = typeof v.name === "string" ? v.name : undefined;
    const extra = Array.isArray(stats) ? stats[i] : typeof stats === "object" && stats !== null ? (stats as Record<string, unknown>)[name ?? String(v.version ?? i)] : undefined;
    const row: Record<string, unknown> = {};
    for (const [k, val] of Object.entries({ ...v, ...(typeof extra === "object" && extra !== null ? extra : {}) })) {
      if (typeof val === "object" && val !== null && !Array.isArray(val)) for (const [k2, v2] of Object.entries(val)) row[`${k}.${k2}`] = v2;
      else row[k] = val;
    }
    return row;
  });
}

/** A model's A/B experiments (reads models/<m>/experiments/<id>.json): status and a table of the variants and their statistics. */
export function experimentsPanel(experiments: readonly Experiment[]): SafeHtml {
  const head = html`<h2 id="experiments-h">Experiments</h2>`;
  if (experiments.length === 0) return html`<section aria-labelledby="experiments-h">${head}<p class="none">No experiment recorded.</p></section>`;
  const cards = experiments.map((e, n) => {
    const rows = variantRows(e);
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const d = e.data as Record<string, unknown>;
    const facts = Object.entries(d).filter(([k, v]) => !["variants", "stats", "id", "status"].includes(k) && (typeof v !== "object" || v === null));
    const decision = d.decision ?? d.result;
    return html`<article class="mini" aria-labelledby="${`exp-${n}`}"><h3 id="${`exp-${n}`}">${e.id} ${e.data.status ? html`<span class="badge info">${e.data.status}</span>` : ""}</h3>
${facts.length ? html`<dl class="facts">${facts.map(([k, v]) => html`<div><dt>${k}</dt><dd>${scalar(v)}</dd></div>`)}</dl>` : ""}
${rows.length ? html`<div class="table-wrap"><table><thead><tr>${cols.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${cols.map((c, i) => (i === 0 ? html`<th scope="row">${scalar(r[c])}</th>` : html`<td>${scalar(r[c])}</td>`))}</tr>`)}</tbody></table></div>` : html`<p class="none">No variant recorded.</p>`}
${typeof decision === "object" && decision !== null ? html`<details><summary>Decision</summary><pre>${JSON.stringify(decision, null, 2)}</pre></details>` : ""}
</article>`;
  });
  return html`<section aria-labelledby="experiments-h">${head}<div class="grid">${cards}</div></section>`;
}
