import path from "node:path";
import { TASKS, type ModelConfigInput, modelConfig, modelName } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import { mlopsError } from "../errors.ts";
import { type Registered, type TrainOutcome, registerModel, trainModel } from "../model/train-model.ts";
import { ModelRegistry } from "../registry/index.ts";
import { parseWith, readConfigFile } from "../validation.ts";
import { type Io, intFlag, parseFlags, required } from "./args.ts";
import { progressReporter } from "./progress.ts";

/** Help for `mlops train`. */
export const TRAIN_HELP = `usage: mlops train --data <file> [--target <column>] [--task binary|multiclass|regression]
                  [--config <file>] [--model <name>] [--registry <loc>]

Trains a model on a CSV (with header) or JSONL file and registers it as a new version.
Flags override the config file; with only --data and --target everything else is inferred.
The first version of a model becomes its champion.

  --data <file>       training data (.csv, .jsonl, .ndjson)
  --target <column>   column to predict (required unless the config names it)
  --task <task>       binary | multiclass | regression (default: inferred from the target)
  --config <file>     model config, JSON or YAML (features, network, epochs, ...)
  --model <name>      registry name (default: config name, else the data file's base name)
  --registry <loc>    directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --parent <version>  record the version this one was retrained from (set by the controller)
`;

const flags = {
  data: { type: "string" },
  target: { type: "string" },
  task: { type: "string" },
  config: { type: "string" },
  model: { type: "string" },
  registry: { type: "string" },
  parent: { type: "string" },
} as const;

/** `mlops train`: prints the new version and its test metrics. */
export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(TRAIN_HELP);
    return 0;
  }
  const data = required(values.data, "data");
  const fromFile: Record<string, unknown> = values.config ? await readConfigFile(modelConfig.partial({ target: true }).passthrough(), values.config) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  if (values.target !== undefined) merged.target = values.target;
  if (values.task !== undefined) {
    if (!(TASKS as readonly string[]).includes(values.task)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--task must be one of ${TASKS.join(", ")}, got ${JSON.stringify(values.task)}` });
    merged.task = values.task;
  }
  if (values.model !== undefined) merged.name = parseWith(modelName, values.model, "--model");
  if (merged.target === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--target is required (or set target in --config)" });
  const config = parseWith(modelConfig, merged as ModelConfigInput, values.config ?? "model config");
  const parent = intFlag(values.parent, "parent", 1, Number.MAX_SAFE_INTEGER) ?? null;
  const defaultName = path.basename(data).replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "model";
  const registry = ModelRegistry.open(values.registry);
  // Before the long part: a full disk or a read-only registry fails now, naming the path, not after every epoch.
  await registry.checkWritable(config.name ?? defaultName);
  const table = await readTable(data);
  const progress = progressReporter(io);
  const outcome = await trainModel({ table, config, defaultName, onEpoch: progress.onEpoch });
  progress.done();
  const registered = await registerModel(registry, outcome, table, parent);
  io.out(summarize(outcome, registered));
  for (const w of registered.warnings) io.err(`mlops train: warning: ${w}\n`);
  return 0;
}

/** The human summary of a training run. */
export function summarize(outcome: TrainOutcome, r: Registered): string {
  const lines: string[] = [];
  const m = r.metadata;
  const skipped = outcome.backend.skipped.map((s) => `${s.name}: ${s.reason}`);
  lines.push(`registered ${m.model} version ${m.version}${r.promoted ? " (champion)" : ""}`);
  lines.push(`  task      ${outcome.config.task} on ${outcome.config.target}; backend ${outcome.backend.name}`);
  if (skipped.length) lines.push(`  skipped   ${skipped.join("; ")}`);
  const s = outcome.report.split;
  lines.push(`  rows      ${s.train} train / ${s.validation} validation / ${s.test} test${outcome.report.droppedRows ? `; ${outcome.report.droppedRows} dropped (no target)` : ""}`);
  lines.push(`  features  ${outcome.config.features.map((f) => `${f.name}${f.kind === "categorical" ? " (cat)" : ""}`).join(", ")}`);
  for (const d of outcome.report.decisions.filter((d) => d.decision === "skipped")) lines.push(`  skipped   column ${d.column}: ${d.reason}`);
  for (const [f, is] of Object.entries(outcome.report.issues)) {
    const parts = [];
    if (is.missing) parts.push(`${is.missing} missing (imputed)`);
    if (is.junk) parts.push(`${is.junk} not numbers, e.g. ${is.examples.map((e) => JSON.stringify(e)).join(", ")} (imputed)`);
    if (is.unseen) parts.push(`${is.unseen} beyond the top categories (out-of-vocabulary bucket)`);
    if (parts.length) lines.push(`  data      ${f}: ${parts.join("; ")}`);
  }
  const fit = outcome.fit;
  lines.push(`  training  ${fit.history.length} epochs (best ${fit.bestEpoch}${fit.stoppedEarly ? ", stopped early" : ""}), ${Math.round(fit.samplesPerSecond).toLocaleString("en-US")} samples/s`);
  const metrics = Object.entries(outcome.metrics).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : "undefined"}`);
  lines.push(`  test      ${metrics.join("  ")}`);
  if (r.undefinedMetrics.length) lines.push(`  note      ${r.undefinedMetrics.join(", ")} undefined on this test split (one class only) and not stored`);
  if (!r.promoted) lines.push(`  promote   mlops models alias ${m.model} champion ${m.version}`);
  return `${lines.join("\n")}\n`;
}
