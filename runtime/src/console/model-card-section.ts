/**
 * A minimal model card built from version.json alone: what the model predicts, from which
 * features, trained on what, how well it does. The governance work renders the full card; this
 * module is the one place to swap for it.
 */
import type { VersionMetadata } from "../registry/index.ts";
import { type SafeHtml, fmt, html, seg, timeTag } from "./html.ts";

interface CardConfig {
  target?: unknown;
  task?: unknown;
  features?: { name?: unknown; kind?: unknown }[];
}

/** The card's content as a section (used on the card page and summarised on the version page). */
export function modelCardSection(meta: VersionMetadata): SafeHtml {
  const cfg = (typeof meta.config === "object" && meta.config !== null ? meta.config : {}) as CardConfig;
  const features = Array.isArray(cfg.features) ? cfg.features : [];
  return html`<section aria-labelledby="card-h"><h2 id="card-h">Model card: ${meta.model} version ${meta.version}</h2>
<dl class="facts">
<div><dt>Task</dt><dd>${typeof cfg.task === "string" ? cfg.task : "not recorded"}</dd></div>
<div><dt>Predicts</dt><dd>${typeof cfg.target === "string" ? cfg.target : "not recorded"}</dd></div>
<div><dt>Features</dt><dd>${features.length ? features.map((f, i) => html`${i ? ", " : ""}${String(f.name)}${f.kind ? html` <span class="muted">(${String(f.kind)})</span>` : ""}`) : "not recorded"}</dd></div>
<div><dt>Trained</dt><dd>${timeTag(meta.createdAt)} on <code>${meta.dataset.source}</code>, ${meta.dataset.rows} rows, sha256 <code>${meta.dataset.digest.slice(0, 12)}</code></dd></div>
<div><dt>Parent</dt><dd>${meta.parent === null ? "none" : `version ${meta.parent}`}</dd></div>
<div><dt>Test metrics</dt><dd>${Object.entries(meta.metrics).map(([k, v], i) => html`${i ? ", " : ""}${k} ${fmt(v)}`)}</dd></div>
</dl></section>`;
}

/** Link to the card page of a version. */
export const modelCardHref = (model: string, version: number): string => `/ui/models/${seg(model)}/versions/${version}/card`;
