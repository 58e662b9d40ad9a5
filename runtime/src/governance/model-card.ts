import { mlopsError } from "../errors.ts";
import { type ModelEvent, type ModelRegistry, type VersionMetadata, listEvents } from "../registry/index.ts";

/** Output formats of {@link renderModelCard}. */
export const MODEL_CARD_FORMATS = ["md", "html"] as const;
/** One of {@link MODEL_CARD_FORMATS}. */
export type ModelCardFormat = (typeof MODEL_CARD_FORMATS)[number];

/** Artifact names the card reads when a version has them (written by other layers; optional). */
export const CARD_ARTIFACTS = { importance: "importance.json", learningCurve: "learning-curve.json" } as const;

type Cell = string;
/** A card section: a heading, then paragraphs, key/value rows and tables. */
interface Section {
  title: string;
  paragraphs?: string[];
  facts?: [string, string][];
  table?: { header: Cell[]; rows: Cell[][] };
  code?: string;
}

/** What the card says, before it is rendered. */
export interface ModelCard {
  model: string;
  version: number;
  title: string;
  sections: Section[];
}

const fmt = (x: unknown): string => (typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/\.?0+$/, "")) : x === null || x === undefined ? "-" : typeof x === "string" ? x : JSON.stringify(x));

/** Reads an optional field written at the top level of version.json or under `extra`. */
/**
 * Baselines by metric. Training records them by baseline (`{majority: {rmse: ...}, linear: {...},
 * metric, verdict, summary}`); a card row wants each metric's baselines side by side.
 */
function perMetric(raw: Record<string, unknown>, metrics: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(raw).some((k) => Object.hasOwn(metrics, k))) return raw;
  const byBaseline = Object.entries(raw).filter(([, v]) => v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).some((x) => typeof x === "number"));
  if (byBaseline.length === 0) return raw;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, metrics] of byBaseline) for (const [m, v] of Object.entries(metrics as Record<string, unknown>)) if (typeof v === "number") (out[m] ??= {})[name] = v;
  return out;
}

const field = (meta: VersionMetadata, name: string): unknown => (meta as unknown as Record<string, unknown>)[name] ?? meta.extra?.[name];

/** An interval given as [low, high], {low, high}, {lower, upper} or {lo, hi}, with its level when said. */
function interval(v: unknown): string {
  if (Array.isArray(v) && v.length >= 2) return `[${fmt(v[0])}, ${fmt(v[1])}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const lo = o.low ?? o.lower ?? o.lo;
    const hi = o.high ?? o.upper ?? o.hi;
    if (lo !== undefined && hi !== undefined) return `[${fmt(lo)}, ${fmt(hi)}]${o.level !== undefined ? ` (${fmt(Number(o.level) <= 1 ? `${Math.round(Number(o.level) * 100)}%` : o.level)})` : ""}`;
  }
  return v === undefined ? "-" : fmt(v);
}

/** A baseline given as a number, or an object naming its kind and value ({name|kind, value}), or several. */
function baseline(v: unknown): string {
  if (v === undefined) return "-";
  if (typeof v === "number") return fmt(v);
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o.value !== undefined) return `${fmt(o.value)}${o.name ?? o.kind ? ` (${fmt(o.name ?? o.kind)})` : ""}`;
    return Object.entries(o).map(([k, x]) => `${k} ${typeof x === "object" && x !== null && "value" in x ? fmt((x as { value: unknown }).value) : fmt(x)}`).join("; ");
  }
  return fmt(v);
}

/** Global importance from importance.json: [{feature, importance}], {feature: number}, or either under `global` / `features`. */
function importanceRows(json: unknown): [string, number, string][] {
  const root = json && typeof json === "object" && !Array.isArray(json) ? ((json as Record<string, unknown>).global ?? (json as Record<string, unknown>).features ?? json) : json;
  const rows: [string, number, string][] = [];
  if (Array.isArray(root)) {
    for (const r of root) {
      if (!r || typeof r !== "object") continue;
      const o = r as Record<string, unknown>;
      const value = Number(o.importance ?? o.meanAbs ?? o.value);
      if (typeof (o.feature ?? o.name) === "string" && Number.isFinite(value)) rows.push([String(o.feature ?? o.name), value, o.method === undefined ? "" : String(o.method)]);
    }
  } else if (root && typeof root === "object") {
    for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
      const value = typeof v === "number" ? v : Number((v as Record<string, unknown> | null)?.importance ?? (v as Record<string, unknown> | null)?.meanAbs);
      if (Number.isFinite(value)) rows.push([k, value, ""]);
    }
  }
  return rows.sort((a, b) => b[1] - a[1]);
}

async function readJsonArtifact(registry: ModelRegistry, meta: VersionMetadata, file: string): Promise<{ json?: unknown; problem?: string }> {
  if (!Object.hasOwn(meta.files, file)) return {};
  try {
    return { json: JSON.parse((await registry.readFile(meta.model, meta.version, file)).toString("utf8")) };
  } catch (err) {
    return { problem: `${file} could not be read: ${(err as Error).message}` };
  }
}

/**
 * Gathers what the registry knows about one version into a {@link ModelCard}: what it is and who
 * trained it, data lineage, features, metrics (with baselines and intervals when `version.json`
 * records them), learning curve and global importance (when the version has
 * `learning-curve.json` / `importance.json`), the drift that started its retraining, its parent
 * chain, its history and artifact checksums. Sections whose facts were never recorded are left out.
 * `ref` is a version number or alias; default the champion.
 */
export async function buildModelCard(registry: ModelRegistry, model: string, ref: number | string = "champion"): Promise<ModelCard> {
  const meta = await registry.resolve(model, ref);
  const v = meta.version;
  const aliases = await registry.getAliases(model).catch(() => ({}) as Record<string, number>);
  const events = await listEvents(registry, model, { onSkip: () => undefined });
  const config = (meta.config ?? {}) as { task?: string; target?: string; features?: { name: string; kind?: string }[]; network?: Record<string, unknown> };
  const sections: Section[] = [];
  const myAliases = Object.entries(aliases).filter(([, n]) => n === v).map(([a]) => a);

  sections.push({
    title: "Overview",
    facts: [
      ["Model", model],
      ["Version", String(v)],
      ["Aliases", myAliases.join(", ") || "none"],
      ["Created", meta.createdAt],
      ["Task", `${config.task ?? "-"}${config.target ? ` predicting ${config.target}` : ""}`],
      ["Parent version", meta.parent === null ? "none (trained from scratch)" : String(meta.parent)],
      ["Training backend", meta.backend],
    ],
  });

  const by = field(meta, "trainedBy") as { user?: string; host?: string; command?: string; node?: string; ci?: Record<string, string> } | undefined;
  const registered = events.find((e) => e.type === "registered" && e.version === v);
  if (by || registered) {
    const facts: [string, string][] = by ? [] : [["User, host, command", "not recorded (registered before versions recorded who trained them)"]];
    if (by?.user) facts.push(["User", by.user]);
    if (by?.host) facts.push(["Host", by.host]);
    if (by?.ci) facts.push(["CI", Object.entries(by.ci).map(([k, x]) => `${k}: ${x}`).join(", ")]);
    if (by?.command) facts.push(["Command", by.command]);
    if (by?.node) facts.push(["Node.js", by.node]);
    if (registered) facts.push(["Registered by", `${registered.actor} (history seq ${registered.seq})`]);
    sections.push({ title: "Trained by", facts });
  } else {
    sections.push({ title: "Trained by", paragraphs: ["Not recorded: this version was registered before versions recorded who trained them."] });
  }

  const d = meta.dataset;
  const dataFacts: [string, string][] = [
    ["Source", d.source],
    ["sha256", d.digest],
    ["Rows used", `${d.rows}${d.rowsRead !== undefined ? ` of ${d.rowsRead} read` : ""}`],
  ];
  if (d.format) dataFacts.push(["Format", d.format]);
  if (d.snapshot) dataFacts.push(["Snapshot", `${d.snapshot.url} (${d.snapshot.rows} rows, sha256 ${d.snapshot.sha256})`]);
  else dataFacts.push(["Snapshot", "none (trained without --snapshot)"]);
  sections.push({
    title: "Data lineage",
    facts: dataFacts,
    ...(d.files && d.files.length > 0 ? { table: { header: ["File", "Bytes", "sha256"], rows: d.files.map((f) => [f.url, String(f.bytes), f.sha256]) } } : {}),
  });

  const types = new Map((d.schema ?? []).map((c) => [c.name, c.type]));
  if (config.features?.length) {
    sections.push({ title: "Features", table: { header: ["Feature", "Kind", "Type in data"], rows: config.features.map((f) => [f.name, f.kind ?? "-", types.get(f.name) ?? "-"]) } });
  }

  const baselines = perMetric((field(meta, "baselines") ?? {}) as Record<string, unknown>, meta.metrics);
  const evaluation = field(meta, "evaluation") as { intervals?: Record<string, unknown> } | undefined;
  const intervals = (field(meta, "intervals") ?? evaluation?.intervals ?? {}) as Record<string, unknown>;
  const names = Object.keys(meta.metrics);
  const hasB = names.some((n) => baselines[n] !== undefined);
  const hasI = names.some((n) => intervals[n] !== undefined);
  sections.push({
    title: "Metrics (test split)",
    table: {
      header: ["Metric", "Value", ...(hasB ? ["Baseline"] : []), ...(hasI ? ["Interval"] : [])],
      rows: names.map((n) => [n, fmt(meta.metrics[n]), ...(hasB ? [baseline(baselines[n])] : []), ...(hasI ? [interval(intervals[n])] : [])]),
    },
    ...(hasB || hasI ? {} : { paragraphs: ["No baselines or confidence intervals were recorded for this version."] }),
  });

  const curve = await readJsonArtifact(registry, meta, CARD_ARTIFACTS.learningCurve);
  if (curve.problem) sections.push({ title: "Learning curve", paragraphs: [curve.problem] });
  else if (curve.json !== undefined) {
    const points = Array.isArray(curve.json) ? curve.json : ((curve.json as { points?: unknown[] }).points ?? []);
    const rows = (points as Record<string, unknown>[]).filter((p) => p && typeof p === "object").map((p) => Object.entries(p).map(([k, x]) => `${k} ${fmt(x)}`).join(", "));
    sections.push({ title: "Learning curve", paragraphs: [`${rows.length} points in ${CARD_ARTIFACTS.learningCurve}.`], ...(rows.length ? { table: { header: ["Point"], rows: rows.map((r) => [r]) } } : {}) });
  }

  const imp = await readJsonArtifact(registry, meta, CARD_ARTIFACTS.importance);
  if (imp.problem) sections.push({ title: "Explanations", paragraphs: [imp.problem] });
  else if (imp.json !== undefined) {
    const rows = importanceRows(imp.json);
    const method = (imp.json as { method?: unknown }).method;
    sections.push({
      title: "Explanations",
      paragraphs: [`Global feature importance from ${CARD_ARTIFACTS.importance}${method ? ` (${fmt(method)})` : ""}, highest first.`],
      table: { header: ["Feature", "Importance"], rows: rows.map(([f, x, m]) => [m ? `${f} (${m})` : f, fmt(x)]) },
    });
  }

  const drift = driftBefore(events, meta, registered);
  if (drift) {
    const values = drift.details ? Object.entries(drift.details).filter(([, x]) => typeof x === "number").map(([k, x]): [string, string] => [k, fmt(x)]) : [];
    sections.push({ title: "Drift at training time", paragraphs: [`Retrained after: ${drift.reason} (history seq ${drift.seq}, ${drift.time}).`], ...(values.length ? { facts: values } : {}) });
  }

  const chain: string[] = [];
  for (let p: number | null = meta.parent, guard = 0; p !== null && guard < 50; guard++) {
    const pm = await registry.getVersion(model, p).catch(() => undefined);
    if (!pm) {
      chain.push(`version ${p} (unreadable)`);
      break;
    }
    chain.push(`version ${p} (${pm.createdAt}, data sha256 ${pm.dataset.digest.slice(0, 12)}, ${Object.entries(pm.metrics).map(([k, x]) => `${k} ${fmt(x)}`).join(", ")})`);
    p = pm.parent;
  }
  if (chain.length) sections.push({ title: "Parent versions", paragraphs: chain.map((c, i) => `${i === 0 ? "parent" : `ancestor ${i + 1}`}: ${c}`) });

  const mine = events.filter((e) => e.version === v);
  if (mine.length) {
    sections.push({ title: "History", table: { header: ["Seq", "Time", "Event", "Actor", "Reason"], rows: mine.map((e) => [String(e.seq), e.time, e.type, e.details?.by ? `${e.actor} (${String(e.details.by)})` : e.actor, e.reason]) } });
  }
  sections.push({ title: "Artifacts", table: { header: ["File", "Bytes", "sha256"], rows: Object.entries(meta.files).map(([f, x]) => [f, String(x.bytes), x.sha256]) } });
  return { model, version: v, title: `Model card: ${model} version ${v}`, sections };
}

/** The drift-detected event of the retraining cycle that produced `meta`: the last one for its parent before it was registered. */
function driftBefore(events: readonly ModelEvent[], meta: VersionMetadata, registered: ModelEvent | undefined): ModelEvent | undefined {
  if (meta.parent === null) return undefined;
  const limit = registered?.seq ?? events.find((e) => e.type === "retrain-finished" && e.version === meta.version)?.seq;
  if (limit === undefined) return undefined;
  return events.findLast((e) => e.type === "drift-detected" && e.seq < limit && e.version === meta.parent);
}

const md = (s: string): string => s.replace(/\\/g, "\\\\").replace(/([|`*_[\]<>#])/g, "\\$1").replace(/\r?\n/g, " ");
const html = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** A card as Markdown: every value escaped so a hostile name or reason cannot add structure. */
export function cardMarkdown(card: ModelCard): string {
  const out = [`# ${md(card.title)}`, ""];
  for (const s of card.sections) {
    out.push(`## ${md(s.title)}`, "");
    for (const p of s.paragraphs ?? []) out.push(md(p), "");
    if (s.facts?.length) {
      out.push("| | |", "|---|---|", ...s.facts.map(([k, v]) => `| ${md(k)} | ${md(v)} |`), "");
    }
    if (s.code) out.push("```", s.code.replace(/```/g, "`\u200b``"), "```", "");
    if (s.table) {
      out.push(`| ${s.table.header.map(md).join(" | ")} |`, `|${s.table.header.map(() => "---").join("|")}|`, ...s.table.rows.map((r) => `| ${r.map(md).join(" | ")} |`), "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** A card as a standalone HTML page (no external assets), every value escaped. */
export function cardHtml(card: ModelCard): string {
  const body: string[] = [`<h1>${html(card.title)}</h1>`];
  for (const s of card.sections) {
    body.push(`<section><h2>${html(s.title)}</h2>`);
    for (const p of s.paragraphs ?? []) body.push(`<p>${html(p)}</p>`);
    if (s.facts?.length) body.push(`<dl>${s.facts.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`).join("")}</dl>`);
    if (s.code) body.push(`<pre><code>${html(s.code)}</code></pre>`);
    if (s.table) {
      body.push(
        `<table><thead><tr>${s.table.header.map((h) => `<th scope="col">${html(h)}</th>`).join("")}</tr></thead><tbody>${s.table.rows.map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`,
      );
    }
    body.push("</section>");
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(card.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}td{word-break:break-word}</style>
</head><body><main>
${body.join("\n")}
</main></body></html>
`;
}

/**
 * A version's model card as Markdown (`md`) or HTML (`html`); see {@link buildModelCard}. For a
 * console or a CI job to reuse. Throws the registry's *_NOT_FOUND errors for an unknown model or
 * version, MLOPS_ERR_CLI_USAGE for an unknown format.
 */
export async function renderModelCard(registry: ModelRegistry, model: string, version: number | string = "champion", format: ModelCardFormat = "md"): Promise<string> {
  if (!(MODEL_CARD_FORMATS as readonly string[]).includes(format)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--format must be md or html, got ${JSON.stringify(format)}` });
  const card = await buildModelCard(registry, model, version);
  return format === "html" ? cardHtml(card) : cardMarkdown(card);
}
