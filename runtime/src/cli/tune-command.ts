import os from "node:os";
import { loadJobTemplate } from "../controller/kubernetes-job-executor.ts";
import { type ModelConfigInput, modelConfig, modelName } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import { mlopsError } from "../errors.ts";
import { ModelRegistry } from "../registry/index.ts";
import { KubernetesTrialExecutor } from "../tune/kubernetes-trial-executor.ts";
import { runTrial } from "../tune/run-trial.ts";
import { SAMPLERS, type SamplerName } from "../tune/sampler.ts";
import { TRIAL_EXECUTORS, LocalTrialExecutor, type TrialExecutor } from "../tune/trial-executor.ts";
import { type TuneResult, tune } from "../tune/tune-search.ts";
import { readSearch, searchIdPattern } from "../tune/tuning-records.ts";
import { parseWith, readConfigFile } from "../validation.ts";
import { type Io, intFlag, parseFlags } from "./args.ts";
import { defaultModelName } from "./train-command.ts";

/** Help for `mlops tune`. */
export const TUNE_HELP = `usage: mlops tune --data <url> --target <column> [--model <name>] [--config <file>]
                 [--trials N] [--budget 2m] [--folds k] [--sampler tpe|random] [--workers n]
                 [--executor local|kubernetes] [--job-template <file>] [--registry <loc>]
                 [--search-id <id>] [--no-register]
       mlops tune --resume <searchId> --model <name> [--budget ...] [--trials N] [--registry <loc>]

Searches hidden layers, width, layer shape, dropout, learning rate, batch size, weight decay
and early-stopping patience (and class weights, where the config has them) with k-fold
cross-validation per trial. The sampler is TPE (default; random for the first 10 trials) or
random; successive halving stops bad trials early: every trial trains for a third of a third of
the epochs first (rungs at network.epochs/9, /3 and all of it), and only the best third at a
rung goes on. The best complete trial's config is then trained on the rows and registered as a
new version whose lineage names the search. Every trial is recorded in the registry under
models/<model>/tuning/<searchId>/; a killed search resumes (--resume, or the same --search-id)
without rerunning finished trials.

  --data <url>          training data, as for mlops train (a new search copies it into the registry)
  --target <column>     column to predict
  --model <name>        registry model (default: config name, else the data's base name)
  --config <file>       model config (features, exclude, network defaults such as epochs)
  --trials N            most trials in the search, over every session (default 100)
  --budget <time>       time this session may run trials: 90s, 2m, 1h (default: none; with no
                        --trials either, 10m); the final training comes after it
  --folds k             cross-validation folds, 2-10 (default 3)
  --sampler s           tpe | random (default tpe)
  --workers n           trials at once: local worker processes, or the Indexed Job's
                        parallelism (default: the number of CPUs, at most 4)
  --executor e          local (child processes, default) | kubernetes (one Indexed Job per
                        batch of trials, one trial per completion index; pods write their results to
                        the registry, which must then be an object store the pods can reach)
  --job-template <file> batch/v1 Job template for --executor kubernetes (default $MLOPS_JOB_TEMPLATE)
  --registry <loc>      directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --search-id <id>      name of the search; an existing id resumes it
  --resume <id>         resume a search: its data, target, space and sampler come from search.json
  --no-register         stop after the search: print the best config, register nothing
`;

const flags = {
  data: { type: "string" },
  target: { type: "string" },
  model: { type: "string" },
  config: { type: "string" },
  trials: { type: "string" },
  budget: { type: "string" },
  folds: { type: "string" },
  sampler: { type: "string" },
  workers: { type: "string" },
  executor: { type: "string" },
  "job-template": { type: "string" },
  registry: { type: "string" },
  "search-id": { type: "string" },
  resume: { type: "string" },
  "no-register": { type: "boolean" },
} as const;

/** Parses a duration flag: `90`, `90s`, `2m`, `1.5h`; seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : Number.NaN;
  if (!(seconds > 0) || seconds > 7 * 86400) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--${flag} must be a duration like 90s, 2m or 1h (at most 7 days), got ${JSON.stringify(value)}` });
  return seconds;
}

const oneOf = <T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined => {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}` });
  return value as T;
};

/** `mlops tune`. */
export async function tuneCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(TUNE_HELP);
    return 0;
  }
  const trials = intFlag(values.trials, "trials", 1, 100_000);
  const folds = intFlag(values.folds, "folds", 2, 10);
  const workers = intFlag(values.workers, "workers", 1, 256) ?? Math.max(1, Math.min(4, os.availableParallelism()));
  const budgetSeconds = values.budget === undefined ? (trials === undefined && values.resume === undefined ? 600 : undefined) : parseDuration(values.budget, "budget");
  const sampler = oneOf<SamplerName>(values.sampler, "sampler", SAMPLERS);
  const executorKind = oneOf(values.executor, "executor", TRIAL_EXECUTORS) ?? "local";
  const searchId = values.resume ?? values["search-id"];
  if (values.resume !== undefined && values["search-id"] !== undefined && values.resume !== values["search-id"]) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "give --resume or --search-id, not both" });
  if (searchId !== undefined && !searchIdPattern.test(searchId)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--${values.resume !== undefined ? "resume" : "search-id"} must be 1-63 characters of a-z, A-Z, 0-9, '.', '_' or '-', got ${JSON.stringify(searchId)}` });
  const registryLocation = values.registry ?? ".mlops/registry";
  const registry = ModelRegistry.open(registryLocation);

  let config;
  let model: string;
  let table;
  if (values.resume !== undefined) {
    if (values.model === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--resume needs --model (searches live under their model)" });
    model = parseWith(modelName, values.model, "--model");
    await readSearch(registry, model, values.resume);
    if (values.data !== undefined) table = await readTable(values.data, { role: "--data" });
    if (values.target !== undefined) config = { target: values.target } as never;
  } else {
    if (values.data === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--data is required (or --resume <searchId>)" });
    const fromFile: Record<string, unknown> = values.config ? await readConfigFile(modelConfig.partial({ target: true }).passthrough(), values.config) : {};
    if (values.target !== undefined) fromFile.target = values.target;
    if (fromFile.target === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--target is required (or set target in --config)" });
    if (values.model !== undefined) fromFile.name = parseWith(modelName, values.model, "--model");
    config = parseWith(modelConfig, fromFile as ModelConfigInput, values.config ?? "model config");
    model = config.name ?? defaultModelName(values.data);
    await registry.checkWritable(model);
    table = await readTable(values.data, { role: "--data" });
  }

  let executor: TrialExecutor;
  if (executorKind === "kubernetes") {
    const template = values["job-template"] ?? (process.env.MLOPS_JOB_TEMPLATE || undefined);
    if (template === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--executor kubernetes needs --job-template <file> (or MLOPS_JOB_TEMPLATE): the batch/v1 Job the Retraining component mounts" });
    executor = new KubernetesTrialExecutor({ template: loadJobTemplate(template), workers, ...(process.env.MLOPS_NAMESPACE ? { namespace: process.env.MLOPS_NAMESPACE } : {}) });
  } else executor = new LocalTrialExecutor({ workers });

  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: TuneResult;
  try {
    result = await tune({
      registry,
      registryLocation: registry.storage.url,
      executor,
      model,
      ...(table ? { table } : {}),
      ...(config ? { config } : {}),
      ...(searchId !== undefined ? { searchId } : {}),
      ...(trials !== undefined ? { trials } : {}),
      ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
      ...(folds !== undefined ? { folds } : {}),
      ...(sampler ? { sampler } : {}),
      noRegister: values["no-register"] === true,
      signal: stop.signal,
      onTrial: (t, s) => {
        const v = t.value === null ? "-" : t.value.toFixed(4);
        io.err(`trial ${t.trial} ${t.status.padEnd(8)} ${s.objective} ${v} after ${t.rungs.length}/${s.pruning.rungs.length} rungs, ${t.seconds.toFixed(1)} s${t.error ? ` (${t.error})` : ""}${s.best?.trial === t.trial ? "  best so far" : ""}\n`);
      },
    });
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  const s = result.search;
  const counts = Object.entries(result.trials.reduce<Record<string, number>>((c, t) => ({ ...c, [t.status]: (c[t.status] ?? 0) + 1 }), {})).map(([k, n]) => `${n} ${k}`).join(", ");
  const lines = [`search ${s.searchId} of ${model}: ${result.trials.length} trials (${counts}), ${s.elapsedSeconds.toFixed(0)} s, sampler ${s.sampler}, ${s.folds}-fold CV, rungs ${s.pruning.rungs.join("/")} epochs`];
  if (s.best) lines.push(`  best      trial ${s.best.trial}: ${s.objective} ${s.best.value.toFixed(4)} (${Object.entries(s.best.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")})`, `  params    ${JSON.stringify(s.best.params)}`);
  if (result.registered) {
    const m = result.registered.metadata;
    lines.unshift(`registered ${m.model} version ${m.version}${result.registered.promoted ? " (champion)" : ""} from tuning search ${s.searchId}`);
    lines.push(`  test      ${Object.entries(m.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join("  ")}`);
    if (!result.registered.promoted) lines.push(`  promote   mlops models alias ${m.model} champion ${m.version}`);
  } else if (s.registered) lines.push(`  version   ${s.registered.version} (registered earlier)`);
  lines.push(`  records   ${registry.storage.url}/models/${model}/tuning/${s.searchId}/`);
  io.out(`${lines.join("\n")}\n`);
  return 0;
}

/** Help for the internal `mlops tune-trial` (what `mlops tune`'s workers and Indexed Job pods run). */
export const TUNE_TRIAL_HELP = `usage: mlops tune-trial --registry <loc> --model <name> --search <id> (--trial n | --trials n,m,...)

Internal: runs one trial of a tuning search, reading the search and the trial from the registry
and writing its results there. With --trials, the trial is the one at position
$JOB_COMPLETION_INDEX (set by Kubernetes in an Indexed Job's pods).
`;

/** `mlops tune-trial`. */
export async function tuneTrialCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, { registry: { type: "string" }, model: { type: "string" }, search: { type: "string" }, trial: { type: "string" }, trials: { type: "string" } } as const);
  if (values.help) {
    io.out(TUNE_TRIAL_HELP);
    return 0;
  }
  if (values.model === undefined || values.search === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--model and --search are required" });
  let trial = intFlag(values.trial, "trial", 0, Number.MAX_SAFE_INTEGER);
  let worker = `local:${process.pid}`;
  if (trial === undefined) {
    const list = (values.trials ?? "").split(",").filter(Boolean).map((x) => intFlag(x, "trials", 0, Number.MAX_SAFE_INTEGER)!);
    const index = intFlag(process.env.JOB_COMPLETION_INDEX, "JOB_COMPLETION_INDEX (environment)", 0, 100_000);
    if (list.length === 0 || index === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "give --trial <n>, or --trials <n,...> with JOB_COMPLETION_INDEX set" });
    trial = list[index];
    if (trial === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `JOB_COMPLETION_INDEX ${index} is past the ${list.length} trials of --trials` });
    worker = `kubernetes:${process.env.HOSTNAME ?? "pod"}/${index}`;
  }
  const registry = ModelRegistry.open(values.registry);
  const record = await runTrial({ registry, model: values.model, searchId: values.search, trial, worker });
  io.out(`trial ${record.trial} ${record.status}${record.value === null ? "" : ` ${record.value}`}\n`);
  return 0;
}
