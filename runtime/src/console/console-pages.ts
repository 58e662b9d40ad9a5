/**
 * The console's pages: the model list, a model, a version and a version's card. Each page is a
 * complete HTML document with one linked stylesheet and no script.
 */
import type { ModelSummary, ModelView, VersionView } from "./console-data.ts";
import { type HtmlValue, type SafeHtml, fmt, html, seg, timeTag } from "./html.ts";
import { modelCardHref, modelCardSection } from "./model-card-section.ts";
import { aliasesPanel } from "./panels/aliases-panel.ts";
import { driftPanel } from "./panels/drift-panel.ts";
import { experimentsPanel } from "./panels/experiments-panel.ts";
import { historyPanel } from "./panels/history-panel.ts";
import { importancePanel } from "./panels/importance-panel.ts";
import { learningCurvePanel } from "./panels/learning-curve-panel.ts";
import { lineagePanel } from "./panels/lineage-panel.ts";
import { metricsPanel } from "./panels/metrics-panel.ts";
import { aliasBadges, aliasesByVersion, versionsPanel } from "./panels/versions-panel.ts";

/** What every page shows around its content. */
export interface PageFrame {
  /** Registry location shown in the header. */
  registry: string;
  /** Model names for the side navigation. */
  models: readonly string[];
  /** The model whose link is marked current. */
  current?: string;
}

/** A breadcrumb: label and link (the last one is the page itself). */
type Crumb = [label: string, href?: string];

/** Wraps content in the document: header with breadcrumbs, side navigation of models, main. */
export function page(frame: PageFrame, title: string, crumbs: Crumb[], content: HtmlValue): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — mlops console</title>
<link rel="stylesheet" href="/ui/console.css">
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/ui/">mlops console</a>
<nav class="crumbs" aria-label="Breadcrumb"><ol>${crumbs.map(([label, href], i) => html`<li>${href && i < crumbs.length - 1 ? html`<a href="${href}">${label}</a>` : html`<span aria-current="page">${label}</span>`}</li>`)}</ol></nav>
<span class="registry" title="Registry">${frame.registry}</span>
</header>
<div class="layout">
<nav class="side" aria-label="Models"><h2>Models</h2>${
    frame.models.length ? html`<ul>${frame.models.map((m) => html`<li><a href="${`/ui/models/${seg(m)}`}"${m === frame.current ? html` aria-current="page"` : ""}>${m}</a></li>`)}</ul>` : html`<p class="none">None yet.</p>`
  }</nav>
<main id="main" tabindex="-1">
${content}
</main>
</div>
</body>
</html>
`.value;
}

function problems(list: readonly string[]): SafeHtml {
  if (list.length === 0) return html``;
  return html`<section class="problems" aria-labelledby="problems-h" role="alert"><h2 id="problems-h">Unreadable registry objects</h2><ul>${list.map((p) => html`<li>${p}</li>`)}</ul></section>`;
}

/** The list of models with their champion, version count and latest metrics. */
export function modelListPage(frame: PageFrame, models: readonly ModelSummary[]): string {
  const cards = models.map((m) => {
    const champion = m.aliases.champion;
    const latest = m.latest;
    return html`<li><h2><a href="${`/ui/models/${seg(m.name)}`}">${m.name}</a></h2>
<p>${m.versions} version${m.versions === 1 ? "" : "s"}${champion === undefined ? ", no champion" : html`, champion <a href="${`/ui/models/${seg(m.name)}/versions/${champion}`}">v${champion}</a>`}${
      m.rollout && m.rollout.mode !== "none" ? html` · <span class="badge warn">${m.rollout.mode} v${m.rollout.challenger ?? "?"}</span>` : ""
    }</p>
${latest ? html`<p class="muted">Latest v${latest.version}, ${timeTag(latest.createdAt)}: ${Object.entries(latest.metrics).map(([k, v], i) => html`${i ? ", " : ""}${k} ${fmt(v)}`)}</p>` : ""}
${m.problems.length ? html`<p class="badge bad">${m.problems.length} unreadable object(s)</p>` : ""}</li>`;
  });
  return page(frame, "Models", [["Models"]], html`<h1>Models</h1><p class="lead">Read-only view of the registry.</p>${
    models.length ? html`<ul class="cards-list">${cards}</ul>` : html`<section><p class="none">The registry has no model yet. Train one with <code>mlops train --data file.csv --target column</code>.</p></section>`
  }`);
}

/** A model: aliases and rollout, versions with metrics, drift over time, experiments, history. */
export function modelPage(frame: PageFrame, view: ModelView): string {
  const m = view.name;
  const champion = view.aliases.champion;
  return page(frame, m, [["Models", "/ui/"], [m]], html`<h1>${m}</h1>
<p class="lead">${view.versions.length} version(s)${champion === undefined ? ", no champion" : html`, champion <a href="${`/ui/models/${seg(m)}/versions/${champion}`}">version ${champion}</a>`}.</p>
${problems(view.problems)}
${aliasesPanel(m, view.aliases, view.rollout)}
${versionsPanel(m, view.versions, view.aliases)}
${driftPanel(view.snapshots)}
${experimentsPanel(view.experiments)}
${historyPanel(m, view.events)}`);
}

/** A version: metrics with baselines, learning curve, importance, lineage, its drift and history. */
export function versionPage(frame: PageFrame, view: VersionView): string {
  const { meta } = view;
  const m = meta.model;
  const aliases = aliasesByVersion(view.model.aliases).get(meta.version) ?? [];
  return page(frame, `${m} version ${meta.version}`, [["Models", "/ui/"], [m, `/ui/models/${seg(m)}`], [`version ${meta.version}`]], html`<h1>${m} · version ${meta.version} ${aliasBadges(aliases)}</h1>
<p class="lead">Created ${timeTag(meta.createdAt)}${meta.parent === null ? "" : html`, retrained from <a href="${`/ui/models/${seg(m)}/versions/${meta.parent}`}">version ${meta.parent}</a>`}.</p>
<p class="actions"><a href="${modelCardHref(m, meta.version)}">Model card</a><a href="${`/ui/models/${seg(m)}`}">All versions of ${m}</a></p>
${problems(view.model.problems)}
${metricsPanel(meta)}
${learningCurvePanel(meta, view.learningCurve)}
${importancePanel(view.importance)}
${lineagePanel(meta, view.model.versions)}
${driftPanel(view.model.snapshots.filter((s) => s.version === meta.version), "this version")}
${historyPanel(m, view.model.events, { version: meta.version })}`);
}

/** A version's model card. */
export function modelCardPage(frame: PageFrame, view: VersionView): string {
  const { meta } = view;
  const m = meta.model;
  return page(frame, `Model card of ${m} version ${meta.version}`, [["Models", "/ui/"], [m, `/ui/models/${seg(m)}`], [`version ${meta.version}`, `/ui/models/${seg(m)}/versions/${meta.version}`], ["card"]], html`<h1>Model card</h1>
${modelCardSection(meta)}`);
}

/** The page for a model or version the registry does not hold. */
export function notFoundPage(frame: PageFrame, what: string): string {
  return page(frame, "Not found", [["Models", "/ui/"], ["not found"]], html`<h1>Not found</h1><section><p>${what} is not in the registry.</p><p><a href="/ui/">Back to the models</a></p></section>`);
}
