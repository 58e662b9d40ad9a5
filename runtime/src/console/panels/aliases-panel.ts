import type { Rollout } from "../../registry/index.ts";
import { type SafeHtml, html, seg, timeTag } from "../html.ts";

/** Aliases and the traffic split (reads aliases.json and rollout.json). */
export function aliasesPanel(model: string, aliases: Record<string, number>, rollout: Rollout | undefined): SafeHtml {
  const entries = Object.entries(aliases).sort(([a], [b]) => (a === "champion" ? -1 : b === "champion" ? 1 : a.localeCompare(b)));
  const list = entries.length === 0
    ? html`<p class="none">No alias set.</p>`
    : html`<dl class="facts">${entries.map(([a, v]) => html`<div><dt>${a}</dt><dd><a href="${`/ui/models/${seg(model)}/versions/${v}`}">version ${v}</a></dd></div>`)}</dl>`;
  let split: SafeHtml;
  if (rollout === undefined) split = html`<p class="none">The rollout could not be read (see the problems above).</p>`;
  else if (rollout.mode === "none") split = html`<p>All traffic goes to the champion.${rollout.reason ? html` <span class="muted">Last change: ${rollout.reason}</span>` : ""}</p>`;
  else
    split = html`<p><strong>${rollout.mode === "canary" ? `Canary: ${Math.round(rollout.weight * 1000) / 10}% of traffic` : "Shadow: a copy of the traffic"}</strong> to ${
      rollout.challenger === null ? "no challenger" : html`<a href="${`/ui/models/${seg(model)}/versions/${rollout.challenger}`}">version ${rollout.challenger}</a>`
    } since ${timeTag(rollout.updatedAt)}. <span class="muted">${rollout.reason}</span></p>${
      rollout.mode === "canary" ? html`<meter min="0" max="1" value="${rollout.weight}" aria-label="Canary traffic share">${rollout.weight}</meter>` : ""
    }`;
  return html`<section aria-labelledby="aliases-h"><h2 id="aliases-h">Aliases and rollout</h2>${list}${split}</section>`;
}
