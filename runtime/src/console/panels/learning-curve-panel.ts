import type { VersionMetadata } from "../../registry/index.ts";
import type { LearningCurve } from "../console-data.ts";
import { lineChart } from "../charts.ts";
import { type SafeHtml, fmt, html, notRecorded } from "../html.ts";

/** Loss and validation metric per epoch (reads the version artifact learning-curve.json; without it, the epoch counts in version.json's extra.training). */
export function learningCurvePanel(meta: VersionMetadata, curve: LearningCurve | undefined): SafeHtml {
  const head = html`<h2 id="curve-h">Learning curve</h2>`;
  const training = meta.extra?.training as { epochs?: number; bestEpoch?: number; stoppedEarly?: boolean } | undefined;
  const summary = training && typeof training.epochs === "number"
    ? html`<p>${training.epochs} epochs${typeof training.bestEpoch === "number" ? `, best ${training.bestEpoch}` : ""}${training.stoppedEarly ? ", stopped early" : ""}.</p>`
    : html``;
  if (!curve || curve.epochs.length === 0) return html`<section aria-labelledby="curve-h">${head}${summary}${notRecorded("Learning curve")}</section>`;
  const pick = (k: "loss" | "valLoss" | "valMetric") => curve.epochs.filter((e) => typeof e[k] === "number").map((e) => ({ x: e.epoch, y: e[k] as number, tip: `epoch ${e.epoch}: ${k} ${fmt(e[k] as number)}` }));
  const best = typeof curve.bestEpoch === "number" ? { x: curve.bestEpoch, label: `best epoch ${curve.bestEpoch}` } : undefined;
  const loss = lineChart({
    id: "curve-loss",
    title: `Training and validation loss of version ${meta.version}`,
    desc: `${curve.epochs.length} epochs${best ? `; the weights of epoch ${best.x} were kept` : ""}.`,
    series: [{ name: "loss", points: pick("loss") }, { name: "validation loss", points: pick("valLoss") }],
    x: "number",
    yLabel: "loss",
    ...(best ? { vline: best } : {}),
  });
  const metric = pick("valMetric");
  const metricChart = metric.length
    ? lineChart({ id: "curve-metric", title: `Validation metric of version ${meta.version}`, desc: `Validation metric over ${metric.length} epochs.`, series: [{ name: "validation metric", points: metric, cls: "s2" }], x: "number", yLabel: "validation metric", ...(best ? { vline: best } : {}) })
    : html``;
  return html`<section aria-labelledby="curve-h">${head}${summary}<div class="grid">${loss}${metricChart}</div>
<details><summary>Learning curve as a table</summary><div class="table-wrap"><table><thead><tr><th scope="col">Epoch</th><th scope="col" class="n">Loss</th><th scope="col" class="n">Validation loss</th><th scope="col" class="n">Validation metric</th></tr></thead>
<tbody>${curve.epochs.map((e) => html`<tr><th scope="row">${e.epoch}</th><td class="n">${fmt(e.loss ?? null)}</td><td class="n">${fmt(e.valLoss ?? null)}</td><td class="n">${fmt(e.valMetric ?? null)}</td></tr>`)}</tbody></table></div></details>
</section>`;
}
