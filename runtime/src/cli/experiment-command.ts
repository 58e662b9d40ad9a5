import { mlopsError } from "../errors.ts";
import { type ExperimentReport, experimentStatus, formatP, startExperiment, stopExperiment } from "../experiment/index.ts";
import { DEFAULT_EXPERIMENT_HEADER, type Experiment, type ExperimentKey, ModelRegistry, listExperiments } from "../registry/index.ts";
import { type Io, intFlag, parseFlags } from "./args.ts";

/** Help for `mlops experiment`. */
export const EXPERIMENT_HELP = `usage: mlops experiment start <model> --variants <v>=<weight>,<v>=<weight>[,...]
                             [--key header:<name> | feature:<name>] [--min-samples <n>]
                             [--max-duration <30m|2h|1d>] [--alpha <0.05>] [--id <id>] [--registry <loc>]
       mlops experiment status <model> [--id <id>] [--all] [--json] [--registry <loc>]
       mlops experiment stop <model> [--winner <version>] [--reason <text>] [--json] [--registry <loc>]

An A/B experiment splits a model's unlabelled traffic between two or more versions by a sticky
key: the request header (default ${DEFAULT_EXPERIMENT_HEADER}) or a named feature of the first
row, hashed with the experiment id into [0, 1) and cut by the weights, so one key always gets one
variant on every server and after restarts. Requests without the key are served by the champion
and are not counted. The first variant is the control. Running servers pick it up by themselves
and answer with x-mlops-experiment and x-mlops-variant headers.

It runs until every variant has --min-samples labelled rows (feedback sent for its predictions;
default 1000 when no --max-duration is given) or --max-duration is over (servers stop routing
then). status reports per variant the live quality (accuracy, or mean absolute error for
regression) with intervals, error rate and latency, and the tests against the control: a
two-proportion z-test for accuracy and error rate, Welch's t-test for absolute error and latency,
at --alpha split over the comparisons (Bonferroni). The plan is fixed-horizon: before the budget
the numbers are interim and nothing is decided; once it is reached, status concludes the
experiment and records the decision in the history. stop ends it by hand; --winner makes that
version the champion. Only one of an experiment and a canary/shadow rollout may route a model.
`;

const flags = {
  variants: { type: "string" },
  key: { type: "string" },
  "min-samples": { type: "string" },
  "max-duration": { type: "string" },
  alpha: { type: "string" },
  id: { type: "string" },
  winner: { type: "string" },
  reason: { type: "string" },
  all: { type: "boolean" },
  json: { type: "boolean" },
  registry: { type: "string" },
} as const;

const usage = (reason: string) => mlopsError("MLOPS_ERR_CLI_USAGE", { reason });

/** Parses `3=50,4=50` (a bare `3,4` splits evenly). */
export function parseVariants(text: string): { version: number; weight: number }[] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d+)\s*(?:=\s*(\d+(?:\.\d+)?)\s*)?$/.exec(part);
    if (!m) throw mlopsError("MLOPS_ERR_EXPERIMENT_INVALID", { field: "variants", reason: `${JSON.stringify(part)} is not <version>=<weight>` });
    return { version: Number(m[1]), weight: m[2] === undefined ? 1 : Number(m[2]) };
  });
}

/** Parses `header:<name>` or `feature:<name>`. */
export function parseKey(text: string): ExperimentKey {
  const m = /^(header|feature):(.+)$/.exec(text);
  if (!m) throw mlopsError("MLOPS_ERR_EXPERIMENT_INVALID", { field: "key", reason: `${JSON.stringify(text)} must be header:<name> or feature:<name>` });
  return { source: m[1] as "header" | "feature", name: m[1] === "header" ? m[2]!.toLowerCase() : m[2]! };
}

/** Parses `90s`, `30m`, `2h`, `1d` into ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text);
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"] : Number.NaN;
  if (!(ms >= 1000)) throw mlopsError("MLOPS_ERR_EXPERIMENT_INVALID", { field: "max-duration", reason: `${JSON.stringify(text)} must be a duration like 90s, 30m, 2h or 1d (at least 1s)` });
  return Math.round(ms);
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "-");

/** A report as text. */
export function formatReport(experiment: Experiment, report: ExperimentReport): string {
  const lines = [
    `experiment ${experiment.id} of ${experiment.model}: ${report.status}; key ${experiment.key.source} ${experiment.key.name}; ${experiment.metric} at alpha ${experiment.alpha} (${formatP(report.comparisonAlpha)} per comparison)`,
    `budget: ${report.budget.why}`,
    "VARIANT  SHARE   LABELLED  QUALITY (CI)                     REQUESTS  ERRORS (CI)              LATENCY ms (CI)",
  ];
  for (const v of report.variants) {
    const q = v.quality ? `${experiment.metric === "accuracy" ? pct(v.quality.value) : num(v.quality.value)} (${experiment.metric === "accuracy" ? `${pct(v.quality.interval[0])}-${pct(v.quality.interval[1])}` : `${num(v.quality.interval[0])}-${num(v.quality.interval[1])}`})` : "-";
    const e = v.errorRate ? `${pct(v.errorRate.value)} (${pct(v.errorRate.interval[0])}-${pct(v.errorRate.interval[1])})` : "-";
    const l = v.latencyMs ? `${num(v.latencyMs.mean, 2)} (${num(v.latencyMs.interval[0], 2)}-${num(v.latencyMs.interval[1], 2)})` : "-";
    lines.push(`${String(v.version).padEnd(8)} ${pct(v.share).padEnd(7)} ${String(v.labelled).padEnd(9)} ${q.padEnd(32)} ${String(v.requests).padEnd(9)} ${e.padEnd(24)} ${l}`);
  }
  for (const c of report.comparisons) {
    const q = c.quality ? `${experiment.metric} ${c.quality.difference >= 0 ? "+" : ""}${num(c.quality.difference)} (${c.quality.test}, p ${formatP(c.quality.pValue)}${c.quality.significant ? ", significant" : ""})` : `${experiment.metric}: not enough labelled rows`;
    const e = c.errorRate ? `errors p ${formatP(c.errorRate.pValue)}` : "errors: no traffic";
    const l = c.latency ? `latency ${c.latency.differenceMs >= 0 ? "+" : ""}${num(c.latency.differenceMs, 2)} ms (p ${formatP(c.latency.pValue)})` : "latency: no traffic";
    lines.push(`version ${c.version} vs ${c.control}: ${q}; ${e}; ${l}`);
  }
  if (report.recommendation) lines.push(`decision: ${report.recommendation.reason}`);
  if (experiment.decision && experiment.status === "stopped") lines.push(`stopped by ${experiment.decision.by}: ${experiment.decision.reason}`);
  return `${lines.join("\n")}\n`;
}

/** `mlops experiment ...`. */
export async function experimentCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, 2);
  const [sub, model] = positionals;
  if (values.help || sub === undefined) {
    io.out(EXPERIMENT_HELP);
    return values.help ? 0 : 2;
  }
  if (!["start", "status", "stop"].includes(sub)) throw usage(`unknown subcommand ${JSON.stringify(sub)}; use start, status or stop`);
  if (model === undefined) throw usage(`mlops experiment ${sub} needs a model name`);
  const registry = ModelRegistry.open(values.registry);
  const actor = "cli";
  if (sub === "start") {
    if (values.variants === undefined) throw usage("--variants is required, e.g. --variants 3=50,4=50");
    const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
    const experiment = await startExperiment(registry, model, {
      variants: parseVariants(values.variants),
      ...(values.key === undefined ? {} : { key: parseKey(values.key) }),
      ...(values["min-samples"] === undefined ? {} : { minSamples: intFlag(values["min-samples"], "min-samples", 2, 1e9)! }),
      ...(values["max-duration"] === undefined ? {} : { maxDurationMs: parseDuration(values["max-duration"]) }),
      ...(alpha === undefined ? {} : { alpha }),
      ...(values.id === undefined ? {} : { id: values.id }),
      actor,
    });
    io.out(values.json ? `${JSON.stringify(experiment, null, 2)}\n` : `started experiment ${experiment.id} on ${model}: ${experiment.variants.map((v) => `version ${v.version} weight ${v.weight}`).join(", ")}; key ${experiment.key.source} ${experiment.key.name}; until ${experiment.minSamples === null ? "" : `${experiment.minSamples} labelled rows per variant`}${experiment.minSamples !== null && experiment.endsAt !== null ? " or " : ""}${experiment.endsAt ?? ""}\n`);
    return 0;
  }
  if (sub === "status") {
    if (values.all) {
      const all = await listExperiments(registry, model);
      io.out(values.json ? `${JSON.stringify(all, null, 2)}\n` : all.length === 0 ? `${model} has no experiments\n` : all.map((e) => `${e.id}  ${e.status}  ${e.variants.map((v) => `${v.version}=${v.weight}`).join(",")}  started ${e.startedAt}${e.decision ? `  winner ${e.decision.winner ?? "none"}` : ""}\n`).join(""));
      return 0;
    }
    const { experiment, report, concluded } = await experimentStatus(registry, model, { ...(values.id === undefined ? {} : { id: values.id }), actor });
    io.out(values.json ? `${JSON.stringify({ experiment, report, concluded }, null, 2)}\n` : `${formatReport(experiment, report)}${concluded ? "concluded: routing ended and the decision is in the history; `mlops experiment stop` is not needed, `mlops models alias` moves the champion\n" : ""}`);
    return 0;
  }
  const winner = intFlag(values.winner, "winner", 1, Number.MAX_SAFE_INTEGER);
  const { experiment, report, promoted } = await stopExperiment(registry, model, { ...(winner === undefined ? {} : { winner }), ...(values.reason === undefined ? {} : { reason: values.reason }), actor });
  io.out(values.json ? `${JSON.stringify({ experiment, report, promoted }, null, 2)}\n` : `${formatReport(experiment, report)}${promoted ? `version ${winner} is now the champion\n` : ""}`);
  return 0;
}
