import type { ModelEvent } from "../../registry/index.ts";
import { type SafeHtml, html, seg, timeTag } from "../html.ts";

const TONE: Record<string, string> = {
  "drift-detected": "warn",
  "retrain-failed": "bad",
  "gate-failed": "bad",
  "canary-failed": "bad",
  "rolled-back": "bad",
  "serving-fallback": "bad",
  "retrain-abandoned": "bad",
  quarantined: "warn",
  promoted: "good",
  "gate-passed": "good",
  registered: "info",
};

/** The history timeline, newest first (reads models/<m>/events/*.json); each event's details are behind a disclosure. */
export function historyPanel(model: string, events: readonly ModelEvent[], options: { version?: number } = {}): SafeHtml {
  const shown = (options.version === undefined ? [...events] : events.filter((e) => e.version === options.version || e.champion === options.version)).reverse();
  const heading = options.version === undefined ? "History" : `History of version ${options.version}`;
  if (shown.length === 0) return html`<section aria-labelledby="history-h"><h2 id="history-h">${heading}</h2><p class="none">No history recorded.</p></section>`;
  const items = shown.map(
    (e) => html`<li class="${`event ${TONE[e.type] ?? "info"}`}">
<div class="event-head">${timeTag(e.time)} <span class="${`badge type ${TONE[e.type] ?? "info"}`}">${e.type}</span>${
      e.version === undefined ? "" : html` <a href="${`/ui/models/${seg(model)}/versions/${e.version}`}">v${e.version}</a>`
    }${e.champion === undefined ? "" : html` <span class="muted">champion v${e.champion}</span>`} <span class="muted">by ${e.actor}</span></div>
<p class="reason">${e.reason}</p>${
      e.details && Object.keys(e.details).length > 0 ? html`<details><summary>Details of event ${e.seq}</summary><pre>${JSON.stringify(e.details, null, 2)}</pre></details>` : ""
    }
</li>`,
  );
  return html`<section aria-labelledby="history-h"><h2 id="history-h">${heading} <span class="count">${shown.length}</span></h2>
<div class="scroll" tabindex="0" role="region" aria-label="${`${heading} timeline`}"><ol class="timeline" reversed>${items}</ol></div></section>`;
}
