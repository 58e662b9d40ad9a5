import type { VersionMetadata } from "../../registry/index.ts";
import { type SafeHtml, html, seg, timeTag } from "../html.ts";

/** Where a version came from: parent, children, dataset files with digests, schema, snapshot, backend and config (reads version.json). */
export function lineagePanel(meta: VersionMetadata, versions: readonly VersionMetadata[]): SafeHtml {
  const d = meta.dataset;
  const children = versions.filter((v) => v.parent === meta.version);
  const link = (v: number) => html`<a href="${`/ui/models/${seg(meta.model)}/versions/${v}`}">version ${v}</a>`;
  const files = d.files ?? [];
  return html`<section aria-labelledby="lineage-h"><h2 id="lineage-h">Lineage</h2>
<dl class="facts">
<div><dt>Created</dt><dd>${timeTag(meta.createdAt)}</dd></div>
<div><dt>Parent</dt><dd>${meta.parent === null ? "none (trained from scratch)" : link(meta.parent)}</dd></div>
<div><dt>Retrained into</dt><dd>${children.length ? children.map((c, i) => html`${i ? ", " : ""}${link(c.version)}`) : "none"}</dd></div>
<div><dt>Dataset</dt><dd><code>${d.source}</code>${d.format ? ` (${d.format})` : ""}</dd></div>
<div><dt>sha256</dt><dd><code>${d.digest}</code></dd></div>
<div><dt>Rows</dt><dd>${d.rowsRead === undefined ? "" : `${d.rowsRead} read, `}${d.rows} used</dd></div>
<div><dt>Snapshot</dt><dd>${d.snapshot ? html`<code>${d.snapshot.url}</code> (${d.snapshot.rows} rows; retrain with <code>${`mlops train --from ${meta.model}@${meta.version}`}</code>)` : "none"}</dd></div>
<div><dt>Backend</dt><dd>${meta.backend}</dd></div>
</dl>
${files.length ? html`<h3>Files read</h3><div class="table-wrap"><table><thead><tr><th scope="col">URL</th><th scope="col" class="n">Bytes</th><th scope="col">sha256</th></tr></thead><tbody>${files.map((f) => html`<tr><th scope="row"><code>${f.url}</code></th><td class="n">${f.bytes}</td><td><code>${f.sha256.slice(0, 16)}…</code></td></tr>`)}</tbody></table></div>` : ""}
${d.schema ? html`<h3>Schema</h3><div class="table-wrap"><table><thead><tr><th scope="col">Column</th><th scope="col">Type</th></tr></thead><tbody>${d.schema.map((c) => html`<tr><th scope="row">${c.name}</th><td>${c.type}</td></tr>`)}</tbody></table></div>` : ""}
<details><summary>Resolved training config</summary><pre>${JSON.stringify(meta.config, null, 2)}</pre></details>
</section>`;
}
