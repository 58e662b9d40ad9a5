import { type QualityMetric, defaultGateMetric, higherIsBetter, improvement, isQualityMetric, QUALITY_METRICS } from "../controller/quality-metric.ts";
import type { Task } from "../data/model-config.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry, VersionMetadata } from "../registry/index.ts";

/** Where the candidate of a comparison lives: a version of a model in a registry (a CI job's scratch registry, or the platform's own). */
export interface CandidateRef {
  registry: ModelRegistry;
  /** Model name; default the compared model. */
  model?: string;
  /** Version number or alias; default its champion (a scratch registry's only version is its champion). */
  ref?: string;
}

/** Options of {@link compareVersions}. */
export interface CompareOptions {
  /** The metric the decision rests on. @default - the gate's default for the model's task (rmse, rocAuc, accuracy) */
  metric?: string;
  /** Margin by which the candidate must beat the baseline, in the metric's units; negative tolerates a worse one. @default 0 */
  minImprovement?: number;
}

/** The result of comparing a candidate with a baseline version on their recorded test metrics. */
export interface Comparison {
  model: string;
  metric: QualityMetric;
  baseline: { model: string; version: number; registry: string; value: number; ref: string };
  candidate: { model: string; version: number; registry: string; value: number };
  /** Candidate minus baseline, signed so that positive is better. */
  improvement: number;
  minImprovement: number;
  /** True when improvement >= minImprovement. */
  passed: boolean;
  /** Every metric both versions recorded: baseline, candidate, improvement (positive = better; null for metrics the gate does not know). */
  rows: { metric: string; baseline: number; candidate: number; improvement: number | null }[];
  /** A Markdown report for a pull-request comment. */
  markdown: string;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const md = (s: string): string => s.replace(/([|`*_[\]<>\\])/g, "\\$1");

/**
 * Compares a candidate version (possibly in another registry) with a baseline version of `model`
 * (default its champion) on the test metrics each recorded at training time: the quality gate a
 * pull request's pipeline runs before anything is deployed. The two were measured on their own
 * test splits, so a changed dataset moves both the model and the yardstick; the controller's own
 * gate, on the same live holdout for both, is the stricter check that follows on merge.
 * Throws MLOPS_ERR_CLI_USAGE for a metric either version lacks or the gate cannot compare.
 */
export async function compareVersions(registry: ModelRegistry, model: string, candidate: CandidateRef, against = "champion", options: CompareOptions = {}): Promise<Comparison> {
  const base = await registry.resolve(model, against);
  const candModel = candidate.model ?? model;
  const cand = await candidate.registry.resolve(candModel, candidate.ref ?? "champion");
  const task = ((cand.config ?? {}) as { task?: Task }).task ?? ((base.config ?? {}) as { task?: Task }).task ?? "regression";
  const name = options.metric ?? defaultGateMetric(task);
  if (!isQualityMetric(name)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--metric must be one of ${QUALITY_METRICS.join(", ")}, got ${JSON.stringify(name)}` });
  const missing = [base, cand].filter((v) => v.metrics[name] === undefined).map((v) => `${v.model} version ${v.version} (has ${Object.keys(v.metrics).join(", ") || "no metrics"})`);
  if (missing.length) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `metric ${name} is not recorded for ${missing.join(" and ")}` });
  const minImprovement = options.minImprovement ?? 0;
  const b = base.metrics[name]!;
  const c = cand.metrics[name]!;
  const delta = improvement(name, b, c);
  const passed = delta >= minImprovement - 1e-12;
  const rows = Object.keys(base.metrics)
    .filter((m) => cand.metrics[m] !== undefined)
    .map((m) => ({ metric: m, baseline: base.metrics[m]!, candidate: cand.metrics[m]!, improvement: isQualityMetric(m) ? improvement(m, base.metrics[m]!, cand.metrics[m]!) : null }));
  const result: Omit<Comparison, "markdown"> = {
    model,
    metric: name,
    baseline: { model, version: base.version, registry: registry.storage.url, value: b, ref: against },
    candidate: { model: candModel, version: cand.version, registry: candidate.registry.storage.url, value: c },
    improvement: delta,
    minImprovement,
    passed,
    rows,
  };
  return { ...result, markdown: comparisonMarkdown(result, base, cand) };
}

function comparisonMarkdown(r: Omit<Comparison, "markdown">, base: VersionMetadata, cand: VersionMetadata): string {
  const dir = higherIsBetter(r.metric) ? "higher is better" : "lower is better";
  const verdict = r.passed ? "✅ **passed**" : "❌ **failed**";
  const lines = [
    `### Model quality gate: ${md(r.model)} — ${verdict}`,
    "",
    `Candidate ${md(r.candidate.model)} version ${r.candidate.version} against ${md(r.baseline.ref)} (version ${r.baseline.version}) on **${r.metric}** (${dir}): ${fmt(r.candidate.value)} vs ${fmt(r.baseline.value)}, improvement ${fmt(r.improvement)} (needed ≥ ${fmt(r.minImprovement)}).`,
    "",
    `| Metric | ${md(r.baseline.ref)} v${r.baseline.version} | candidate v${r.candidate.version} | Improvement |`,
    "|---|---:|---:|---:|",
    ...r.rows.map((x) => `| ${x.metric === r.metric ? `**${md(x.metric)}**` : md(x.metric)} | ${fmt(x.baseline)} | ${fmt(x.candidate)} | ${x.improvement === null ? "-" : `${x.improvement >= 0 ? "+" : ""}${fmt(x.improvement)}`} |`),
    "",
    `| | ${md(r.baseline.ref)} | candidate |`,
    "|---|---|---|",
    `| Data | ${md(base.dataset.source)} (${base.dataset.rows} rows, sha256 ${base.dataset.digest.slice(0, 12)}) | ${md(cand.dataset.source)} (${cand.dataset.rows} rows, sha256 ${cand.dataset.digest.slice(0, 12)}) |`,
    `| Created | ${base.createdAt} | ${cand.createdAt} |`,
    "",
    "Metrics are each version's test split at training time.",
  ];
  return `${lines.join("\n")}\n`;
}
