import type { VersionMetadata } from "../../registry/index.ts";
import { type SafeHtml, fmt, html, seg, timeTag } from "../html.ts";

/** Aliases pointing at each version. */
export function aliasesByVersion(aliases: Record<string, number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [alias, v] of Object.entries(aliases).sort()) out.set(v, [...(out.get(v) ?? []), alias]);
  return out;
}

/** Alias badges. */
export const aliasBadges = (names: readonly string[]): SafeHtml => html`${names.map((a) => html`<span class="${`badge alias${a === "champion" ? " champion" : ""}`}">${a}</span> `)}`;

/** The versions table: number, created, parent, aliases, rows trained on and every metric (reads version.json of each version and aliases.json). */
export function versionsPanel(model: string, versions: readonly VersionMetadata[], aliases: Record<string, number>): SafeHtml {
  if (versions.length === 0) return html`<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2><p class="none">No readable version.</p></section>`;
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))].sort();
  const byVersion = aliasesByVersion(aliases);
  const rows = [...versions].reverse().map(
    (v) => html`<tr>
<th scope="row"><a href="${`/ui/models/${seg(model)}/versions/${v.version}`}">${v.version}</a></th>
<td>${timeTag(v.createdAt)}</td>
<td>${v.parent === null ? "—" : html`<a href="${`/ui/models/${seg(model)}/versions/${v.parent}`}">${v.parent}</a>`}</td>
<td>${aliasBadges(byVersion.get(v.version) ?? [])}</td>
<td class="n">${v.dataset.rows}</td>
${metricNames.map((m) => html`<td class="n">${Object.hasOwn(v.metrics, m) ? fmt(v.metrics[m]) : "—"}</td>`)}
</tr>`,
  );
  return html`<section aria-labelledby="versions-h">
<h2 id="versions-h">Versions <span class="count">${versions.length}</span></h2>
<div class="table-wrap" tabindex="0" role="region" aria-label="Versions table"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Created</th><th scope="col">Parent</th><th scope="col">Aliases</th><th scope="col" class="n">Rows</th>${metricNames.map((m) => html`<th scope="col" class="n">${m}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>
</section>`;
}
