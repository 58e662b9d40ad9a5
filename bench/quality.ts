// Model quality benchmark: this runtime (default training, and `mlops tune` with a time budget)
// against sklearn (LogisticRegression/Ridge, MLP) and LightGBM defaults on the same fixed split
// of 8 datasets. The Python side (bench/quality/quality.py) makes the datasets and splits, fits
// the Python models and scores every system with sklearn's metrics on the test rows.
//
//   node bench/quality.ts [--out /tmp/mlops-quality] [--seeds 3] [--budget 2m] [--only a,b] [--skip-python] [--skip-tune]
//
// --skip-python reuses <out>'s datasets and baselines.json; --skip-tune runs the default training
// only (the tune column shows "-" for the datasets run so).
// Writes <out>/results.json and <out>/quality.md (the table bench/README.md shows).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { out: { type: "string" }, seeds: { type: "string" }, budget: { type: "string" }, only: { type: "string" }, "skip-python": { type: "boolean" }, "skip-tune": { type: "boolean" } } });
const out = path.resolve(values.out ?? path.join(os.tmpdir(), "mlops-quality"));
const seeds = Number(values.seeds ?? 3);
const budget = values.budget ?? "2m";
const here = path.dirname(new URL(import.meta.url).pathname);
const py = path.join(here, "quality", "quality.py");
const mlops = path.join(here, "..", "runtime", "bin", "mlops.js");

function run(cmd: string, args: string[], cwd = out): { stdout: string; seconds: number } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, MLOPS_LOG_LEVEL: "warn" } });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, seconds };
}

interface Meta { name: string; target: string; task: "binary" | "multiclass" | "regression"; rows: number; columns: number; note: string }
type Metrics = Record<string, number>;

mkdirSync(out, { recursive: true });
if (!values["skip-python"]) {
  run("python3", [py, "prepare", out]);
  run("python3", [py, "baselines", out, String(seeds)]);
}
const baselines = JSON.parse(readFileSync(path.join(out, "baselines.json"), "utf8")) as Record<string, Record<string, Metrics[]>>;
const names = readdirSync(out).filter((n) => existsSync(path.join(out, n, "meta.json"))).filter((n) => !values.only || values.only.split(",").includes(n)).sort();
const resultsFile = path.join(out, "results.json");
const results: Record<string, { meta: Meta; systems: Record<string, Metrics[]> }> = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : {};

function score(name: string, registry: string, model: string): Metrics {
  const pred = path.join(out, name, `pred-${path.basename(registry)}.csv`);
  run(process.execPath, [mlops, "predict", "--model", model, "--data", path.join(out, name, "test.csv"), "--out", pred, "--registry", registry]);
  return JSON.parse(run("python3", [py, "score", out, name, pred]).stdout) as Metrics;
}

for (const name of names) {
  const meta = JSON.parse(readFileSync(path.join(out, name, "meta.json"), "utf8")) as Meta;
  const entry = (results[name] = { meta, systems: { ...baselines[name] } });
  const train = path.join(out, name, "train.csv");
  const def: Metrics[] = [];
  for (let s = 0; s < seeds; s++) {
    const cfg = path.join(out, name, `config-${s}.json`);
    writeFileSync(cfg, JSON.stringify({ task: meta.task, network: { seed: 42 + s } }));
    const registry = path.join(out, name, `reg-default-${s}`);
    // A registry left by an earlier run would keep its champion, and predict would score that.
    rmSync(registry, { recursive: true, force: true });
    const t = run(process.execPath, [mlops, "train", "--data", train, "--target", meta.target, "--config", cfg, "--model", name, "--registry", registry]);
    def.push({ ...score(name, registry, name), trainSeconds: t.seconds });
  }
  entry.systems.runtime_default = def;
  if (values["skip-tune"]) {
    writeFileSync(resultsFile, JSON.stringify(results, null, 1));
    process.stderr.write(`${name} done (no tune)\n`);
    continue;
  }
  const registry = path.join(out, name, "reg-tune");
  rmSync(registry, { recursive: true, force: true });
  const cfg = path.join(out, name, "config-tune.json");
  writeFileSync(cfg, JSON.stringify({ task: meta.task }));
  const t = run(process.execPath, [mlops, "tune", "--data", train, "--target", meta.target, "--config", cfg, "--model", name, "--budget", budget, "--workers", "2", "--registry", registry]);
  entry.systems[`runtime_tune_${budget}`] = [{ ...score(name, registry, name), trainSeconds: t.seconds }];
  writeFileSync(resultsFile, JSON.stringify(results, null, 1));
  process.stderr.write(`${name} done\n`);
}

// Headline metric per task: ROC AUC (binary: accuracy is the majority rate on imbalanced data),
// accuracy (multiclass), RMSE (regression, lower is better).
const headline = (task: Meta["task"]) => (task === "binary" ? "rocAuc" : task === "multiclass" ? "accuracy" : "rmse");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (xs: Metrics[] | undefined, k: string) => {
  if (!xs?.length) return "-";
  const v = xs.map((m) => m[k]!);
  return xs.length > 1 ? `${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)}` : mean(v).toFixed(3);
};
const systems = ["linear", "sklearn_mlp", "lightgbm", "runtime_default", `runtime_tune_${budget}`];
const lines = [
  `| dataset (task, rows) | metric | ${systems.join(" | ")} |`,
  `|---|---|${systems.map(() => "---").join("|")}|`,
];
const verdicts: string[] = [];
for (const [name, { meta, systems: s }] of Object.entries(results).sort()) {
  const h = headline(meta.task);
  const extra = meta.task === "regression" ? ["r2"] : ["logLoss"];
  for (const k of [h, ...extra, "trainSeconds"]) lines.push(`| ${k === h ? `${name} (${meta.task}, ${meta.rows})` : ""} | ${k} | ${systems.map((x) => fmt(s[x], k)).join(" | ")} |`);
  const better = (a: number, b: number) => (h === "rmse" ? a <= b : a >= b);
  const d = (s.runtime_default ?? []).map((m) => m[h]!);
  const noise = Math.max(2 * sd(d), h === "rmse" ? 0 : 0.005);
  const tol = (x: number) => (h === "rmse" ? x + noise : x - noise);
  const lin = mean((s.linear ?? []).map((m) => m[h]!));
  const lgbm = mean((s.lightgbm ?? []).map((m) => m[h]!));
  const tuned = s[`runtime_tune_${budget}`]?.[0]?.[h];
  if (d.length) verdicts.push(`| ${name} | ${h} | ${better(mean(d), tol(lin)) ? "yes" : "**no**"} | ${better(mean(d), tol(lgbm)) ? "yes" : "**no**"} | ${tuned === undefined ? "-" : better(tuned, tol(lgbm)) ? "yes" : "**no**"} |`);
}
const md = `${lines.join("\n")}\n\nTargets (seed noise = 2 × the standard deviation of the default runtime over seeds, at least 0.005 for scores):\n\n| dataset | metric | default ≥ linear − noise | default ≥ LightGBM − noise | tune ≥ LightGBM − noise |\n|---|---|---|---|---|\n${verdicts.join("\n")}\n`;
writeFileSync(path.join(out, "quality.md"), md);
process.stdout.write(md);
