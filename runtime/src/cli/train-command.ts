import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDataStore } from "../data/data-store.ts";
import { snapshotTable } from "../data/dataset-snapshot.ts";
import { parseDatasetUrl } from "../data/dataset-url.ts";
import { TASKS, type ModelConfigInput, modelConfig, modelName } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import type { Table } from "../data/table.ts";
import { attachImportance } from "../explain/importance.ts";
import type { DatasetSnapshot } from "../registry/version-metadata.ts";
import { mlopsError } from "../errors.ts";
import { type Registered, type TrainOutcome, registerModel, trainModel } from "../model/train-model.ts";
import { ModelRegistry } from "../registry/index.ts";
import { parseWith, readConfigFile } from "../validation.ts";
import { type Io, intFlag, parseFlags, required } from "./args.ts";
import { progressReporter } from "./progress.ts";

/** Help for `mlops train`. */
export const TRAIN_HELP = `usage: mlops train (--data <url> | --from <model>@<version>) [--target <column>] [--task binary|multiclass|regression]
                  [--config <file|url>] [--model <name>] [--registry <loc>] [--snapshot]

Trains a model on a dataset and registers it as a new version with its lineage (dataset
URLs, sha256, rows, schema). Flags override the config file; with only --data and --target
everything else is inferred. The first version of a model becomes its champion.

  --data <url>        training data: a path or file://, s3://, gs://, az:// or https:// URL of a
                      file, a prefix (ending in /) or a glob of files; .csv (header row), .jsonl,
                      .ndjson (each optionally .gz) or .parquet
  --target <column>   column to predict (required unless the config names it)
  --task <task>       binary | multiclass | regression (default: inferred from the target)
  --config <file|url> model config, JSON or YAML (features, network, epochs, ...)
  --model <name>      registry name (default: config name, else the data's base name)
  --registry <loc>    directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --snapshot          copy the exact rows trained on into the registry (content-addressed
                      Parquet under datasets/) and record its URL, so the version can be
                      retrained from what it was trained on
  --from <m>@<n>      retrain from version n of model m exactly as it was trained: its snapshot
                      (see --snapshot) as --data and its resolved config as --config
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
  snapshot: { type: "boolean" },
  from: { type: "string" },
} as const;

/** `mlops train`: prints the new version and its test metrics. */
export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(TRAIN_HELP);
    return 0;
  }
  const registry = ModelRegistry.open(values.registry);
  let data: string;
  let fromFile: Record<string, unknown>;
  if (values.from !== undefined) {
    if (values.data !== undefined || values.config !== undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--from takes the data and config from the version; drop --data and --config" });
    const m = /^([^@]+)@(\d+)$/.exec(values.from);
    if (!m) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--from must be <model>@<version>, got ${JSON.stringify(values.from)}` });
    const source = await registry.getVersion(m[1]!, Number(m[2]));
    if (!source.dataset.snapshot) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${m[1]} version ${m[2]} has no dataset snapshot (it was trained without --snapshot); retrain with --data ${source.dataset.source}` });
    data = source.dataset.snapshot.url;
    const { features, ...config } = source.config as Record<string, unknown> & { features?: { name: string; kind: string }[] };
    fromFile = { ...config, ...(features ? { features: features.map((f) => ({ name: f.name, kind: f.kind })) } : {}) };
  } else {
    data = required(values.data, "data");
    fromFile = values.config ? await readConfigSource(modelConfig.partial({ target: true }).passthrough(), values.config) : {};
  }
  const merged: Record<string, unknown> = { ...fromFile };
  if (values.target !== undefined) merged.target = values.target;
  if (values.task !== undefined) {
    if (!(TASKS as readonly string[]).includes(values.task)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--task must be one of ${TASKS.join(", ")}, got ${JSON.stringify(values.task)}` });
    merged.task = values.task;
  }
  if (values.model !== undefined) merged.name = parseWith(modelName, values.model, "--model");
  if (merged.target === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--target is required (or set target in --config)" });
  const config = parseWith(modelConfig, merged as ModelConfigInput, values.config ?? "model config");
  const defaultName = defaultModelName(data);
  // Before the long part: a full disk or a read-only registry fails now, naming the path, not after every epoch.
  await registry.checkWritable(config.name ?? defaultName);
  const table = await readTable(data, { role: "--data" });
  const progress = progressReporter(io);
  const outcome = await trainModel({ table, config, defaultName, onEpoch: progress.onEpoch });
  progress.done();
  // Post-training step: global importance and the explanation reference, stored with the version.
  await attachImportance(outcome, table);
  const fromVersion = values.from === undefined ? undefined : /^([^@]+)@(\d+)$/.exec(values.from);
  const parent = intFlag(values.parent, "parent", 1, Number.MAX_SAFE_INTEGER) ?? (fromVersion && fromVersion[1] === outcome.config.name ? Number(fromVersion[2]) : null);
  const snapshot = inRegistrySnapshot(registry, table) ?? (values.snapshot ? await snapshotTable(registry, table) : undefined);
  const registered = await registerModel(registry, outcome, table, parent, snapshot);
  io.out(summarize(outcome, registered));
  for (const w of registered.warnings) io.err(`mlops train: warning: ${w}\n`);
  return 0;
}

/** The lineage snapshot of data read from the registry's own content-addressed copies (a retrain from a snapshot, the controller's staged tables). */
function inRegistrySnapshot(registry: ModelRegistry, table: Table): DatasetSnapshot | undefined {
  const prefix = `${registry.storage.url}/datasets/sha256-`;
  const file = table.files?.length === 1 ? table.files[0] : undefined;
  if (file === undefined || !table.source.startsWith(prefix) || table.format !== "parquet" || !table.source.endsWith(`${file.sha256}.parquet`)) return undefined;
  return { url: table.source, key: table.source.slice(registry.storage.url.length + 1), sha256: file.sha256, bytes: file.bytes, rows: table.rows.length };
}

/** A model name from a dataset URL: its file's base name without extensions, or its prefix's last segment. */
export function defaultModelName(data: string): string {
  const segments = data.replace(/[?#].*$/, "").split(/[/\\]/).filter((x) => x !== "" && !/[*?[]/.test(x));
  const base = (segments.at(-1) ?? "").replace(/(\.(gz|csv|jsonl|ndjson|parquet))+$/i, "");
  return base.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63) || "model";
}

/** Reads a config file from a path, or from a dataset-style URL (s3://, gs://, az://, https://, file://) the same stores serve. */
async function readConfigSource<S extends Parameters<typeof readConfigFile>[0]>(schema: S, source: string): ReturnType<typeof readConfigFile<S>> {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) return readConfigFile(schema, source);
  const location = parseDatasetUrl(source, "--config");
  if (location.select.kind !== "object") throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--config ${source} must name one file` });
  const store = await openDataStore(location);
  const chunks: Uint8Array[] = [];
  try {
    for await (const c of store.stream(location.select.name)) chunks.push(c);
  } catch (err) {
    throw mlopsError("MLOPS_ERR_CONFIG_READ", { path: source, reason: (err as Error).message });
  }
  const tmp = await mkdtemp(path.join(tmpdir(), "mlops-config-"));
  try {
    const file = path.join(tmp, path.basename(location.select.name));
    await writeFile(file, Buffer.concat(chunks));
    return await readConfigFile(schema, file);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The human summary of a training run. */
export function summarize(outcome: TrainOutcome, r: Registered): string {
  const lines: string[] = [];
  const m = r.metadata;
  const skipped = outcome.backend.skipped.map((s) => `${s.name}: ${s.reason}`);
  lines.push(`registered ${m.model} version ${m.version}${r.promoted ? " (champion)" : ""}`);
  lines.push(`  task      ${outcome.config.task} on ${outcome.config.target}; backend ${outcome.backend.name}`);
  lines.push(`  inferred  task ${outcome.taskRule === "set in config" ? "set in config" : `by rule: ${outcome.taskRule}`}`);
  if (skipped.length) lines.push(`  skipped   ${skipped.join("; ")}`);
  const s = outcome.report.split;
  const evaluated = s.folds ? `${s.folds}-fold cross-validation over every row, then ${s.train} train / ${s.validation} validation` : `${s.train} train / ${s.validation} validation / ${s.test} test`;
  lines.push(`  rows      ${evaluated}${outcome.report.droppedRows ? `; ${outcome.report.droppedRows} dropped (no target)` : ""}${outcome.config.task === "regression" ? "" : " (stratified)"}`);
  lines.push(`  features  ${outcome.config.features.map((f) => `${f.name}${f.kind === "categorical" ? " (cat)" : f.kind === "date" ? " (date)" : ""}`).join(", ")}`);
  for (const d of outcome.report.decisions.filter((d) => d.decision === "skipped")) lines.push(`  skipped   column ${d.column}: ${d.reason}`);
  for (const d of outcome.report.decisions) {
    if (d.junk) lines.push(`  kind      ${d.column} is ${d.decision} although ${d.junk.count} value${d.junk.count === 1 ? " is not a" : "s are not"} ${d.decision === "date" ? "date" : "number"}${d.junk.count === 1 ? "" : "s"} (e.g. ${d.junk.examples.map((e) => JSON.stringify(e)).join(", ")}): treated as missing`);
  }
  const kinds = new Map(outcome.preprocessor.features.map((f) => [f.name, f]));
  for (const [f, is] of Object.entries(outcome.report.issues)) {
    const parts = [];
    const t = kinds.get(f);
    const flagged = t && ((t.kind !== "categorical" && t.missingIndicator) || (t.kind === "categorical" && t.missingBucket));
    if (is.missing) parts.push(t?.kind === "categorical" ? `${is.missing} missing (${flagged ? "missing bucket" : "out-of-vocabulary bucket"})` : `${is.missing} missing (imputed)${flagged ? ", flagged by a missing-indicator input" : ""}`);
    if (is.junk) parts.push(`${is.junk} not ${t?.kind === "date" ? "dates" : "numbers"}, e.g. ${is.examples.map((e) => JSON.stringify(e)).join(", ")} (imputed)`);
    if (is.unseen) parts.push(`${is.unseen} beyond the top categories (out-of-vocabulary bucket)`);
    if (parts.length) lines.push(`  data      ${f}: ${parts.join("; ")}`);
  }
  const fit = outcome.fit;
  const lc = outcome.learningCurve;
  lines.push(`  training  ${fit.history.length} epochs of at most ${lc.epochCap}, patience ${lc.patience} (best ${fit.bestEpoch}${fit.stoppedEarly ? ", stopped early" : ""}), ${Math.round(fit.samplesPerSecond).toLocaleString("en-US")} samples/s${outcome.refit ? `; refit on ${outcome.refit.rows} train+validation rows for ${outcome.refit.epochs} epochs` : ""}`);
  if (outcome.classWeights) lines.push(`  weights   ${Object.entries(outcome.classWeights.weights).map(([c, w]) => `${c}=${w.toFixed(3)}`).join(" ")} (${outcome.classWeights.rule})`);
  if (outcome.threshold) lines.push(`  threshold ${outcome.threshold.value.toFixed(4)} on P(${outcome.preprocessor.targetTransform.task === "binary" ? outcome.preprocessor.targetTransform.classes[1] : "positive"}) (${outcome.threshold.chosenBy === "config" ? "set in config" : `maximises ${outcome.threshold.chosenBy} on validation`})`);
  const ev = outcome.evaluation;
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "undefined" : v.toFixed(4));
  const metrics = Object.entries(outcome.metrics).map(([k, v]) => `${k} ${fmt(v)}`);
  lines.push(`  ${ev.method === "kfold" ? "cv  " : "test"}      ${metrics.join("  ")}`);
  const spread = Object.keys(outcome.metrics).map((k) => {
    const ci = ev.intervals[k];
    const sd = ev.std?.[k];
    if (ev.method === "kfold") return `${k} ± ${sd === undefined ? "undefined" : sd.toFixed(4)}`;
    return `${k} ${ci && Number.isFinite(ci[0]) ? `[${ci[0].toFixed(4)}, ${ci[1].toFixed(4)}]` : "undefined"}`;
  });
  lines.push(
    ev.method === "kfold"
      ? `  spread    ${spread.join("  ")} (std over ${ev.folds?.length} folds)`
      : `  95% CI    ${spread.join("  ")} (bootstrap over the ${ev.rows} test rows, ${ev.bootstrap?.resamples} resamples, seed ${ev.bootstrap?.seed})`,
  );
  const b = outcome.baselines;
  const baseLine = (name: string, m: Record<string, number>) => `  ${name} ${Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join("  ")}`;
  lines.push(baseLine(outcome.config.task === "regression" ? "mean    " : "majority", b.majority));
  lines.push(baseLine(outcome.config.task === "regression" ? "ridge   " : "logistic", b.linear));
  lines.push(`  baseline  ${b.summary}`);
  if (r.undefinedMetrics.length) lines.push(`  note      ${r.undefinedMetrics.join(", ")} undefined on this test split (one class only) and not stored`);
  for (const w of outcome.warnings) lines.push(`  warning   ${w}`);
  lines.push(`  dataset   ${m.dataset.source} sha256 ${m.dataset.digest.slice(0, 12)}${m.dataset.snapshot ? `; snapshot ${m.dataset.snapshot.url}` : ""}`);
  if (!r.promoted) lines.push(`  promote   mlops models alias ${m.model} champion ${m.version}`);
  return `${lines.join("\n")}\n`;
}
