import type { Importance } from "../console-data.ts";
import { barChart } from "../charts.ts";
import { type SafeHtml, fmt, html, notRecorded } from "../html.ts";

/** Global feature importance, largest first (reads the version artifact importance.json). */
export function importancePanel(importance: Importance | undefined): SafeHtml {
  const head = html`<h2 id="importance-h">Feature importance</h2>`;
  if (!importance || importance.features.length === 0) return html`<section aria-labelledby="importance-h">${head}${notRecorded("Feature importance")}</section>`;
  const features = [...importance.features].sort((a, b) => (b.meanAbsAttribution ?? b.permutationImportance ?? 0) - (a.meanAbsAttribution ?? a.permutationImportance ?? 0));
  const chart = barChart({
    id: "importance-chart",
    title: "Feature importance",
    desc: `${features.length} feature(s) by mean absolute attribution${importance.method ? ` (${importance.method})` : ""} and permutation importance.`,
    series: ["mean |attribution|", "permutation importance"],
    rows: features.map((f) => ({ label: f.name, values: [f.meanAbsAttribution ?? null, f.permutationImportance ?? null] })),
  });
  return html`<section aria-labelledby="importance-h">${head}${importance.method ? html`<p>Method: ${importance.method}</p>` : ""}${chart}
<details><summary>Importance as a table</summary><div class="table-wrap"><table><thead><tr><th scope="col">Feature</th><th scope="col" class="n">Mean |attribution|</th><th scope="col" class="n">Permutation importance</th></tr></thead>
<tbody>${features.map((f) => html`<tr><th scope="row">${f.name}</th><td class="n">${fmt(f.meanAbsAttribution ?? null)}</td><td class="n">${fmt(f.permutationImportance ?? null)}</td></tr>`)}</tbody></table></div></details></section>`;
}
