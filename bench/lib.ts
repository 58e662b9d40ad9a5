// Helpers shared by the benchmarks: child processes, the machine description, tables.
// Benchmarks run on demand (npm run bench), never in CI; all traffic stays on 127.0.0.1.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Repository root. */
export const ROOT = path.resolve(import.meta.dirname, "..");
/** The CLI entry point. */
export const MLOPS = path.join(ROOT, "runtime", "bin", "mlops.js");
/** Model the benchmarks train and serve (the demo's regression model). */
export const MODEL = "cars-mpg";

/** Where the benchmark runs: the README records this with every result. */
export function machine(): { cpus: number; model: string; node: string; os: string; date: string } {
  const lscpu = spawnSync("lscpu", { encoding: "utf8" });
  const model = /^Model name:\s*(.+)$/m.exec(lscpu.stdout ?? "")?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return {
    cpus: os.availableParallelism(),
    model,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

/** One line describing the machine. */
export function machineLine(): string {
  const m = machine();
  // The load average shows whether something else was using the CPUs when the numbers were taken.
  return `machine: ${m.cpus} cores (nproc), ${m.model}; Node ${m.node}; ${m.os}; ${m.date}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`;
}

/** Whether a command is on PATH. */
export function hasCommand(name: string): boolean {
  const r = spawnSync("/bin/sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "";
}

/** Whether @tensorflow/<pkg>'s native addon is built (the runtime checks the same thing before loading it). */
export function addonBuilt(pkg: "tfjs-node" | "tfjs-node-gpu"): boolean {
  const lib = path.join(ROOT, "node_modules", "@tensorflow", pkg, "lib");
  return existsSync(lib) && readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(path.join(lib, d, "tfjs_binding.node")));
}

/** CPU backends worth measuring here: tfjs-node when its addon is built, then wasm and cpu. */
export function cpuBackends(): string[] {
  return [...(addonBuilt("tfjs-node") ? ["tfjs-node"] : []), "wasm", "cpu"];
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `mlops-bench-${prefix}-`));
}

/** Result of a finished child process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion (killed after timeoutMs); never rejects on a non-zero exit. */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs a command and fails with its output when it exits non-zero. */
export async function runOk(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}\n${r.stderr.slice(-2000)}`);
  return r;
}

/** A long-running child that printed its base URL. */
export interface Child {
  url: string;
  process: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts a server child and waits for `http://127.0.0.1:<port>` on its stderr (mlops serve
 * prints "serving ... on <url>"; the ceiling server prints the same).
 */
export function startChild(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    let done = false;
    const stop = () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(kill);
          res();
        });
        child.kill("SIGTERM");
      });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not start within ${timeoutMs} ms\n${err.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ url: m[1]!, process: child, stderr: () => err, stop });
      }
    });
    child.on("exit", (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited with ${code} before listening\n${err.slice(-2000)}`));
    });
  });
}

/** Features of the demo's cars-mpg model (vega-datasets' Auto MPG data). */
export const CAR_FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Origin"] as const;

/** The Auto MPG records shipped with vega-datasets (offline). */
export async function loadCarRecords(): Promise<Record<string, string | number | null>[]> {
  const file = new URL("../data/cars.json", import.meta.resolve("vega-datasets"));
  return JSON.parse(await readFile(file, "utf8")) as Record<string, string | number | null>[];
}

/**
 * Trains the demo's cars-mpg model (model years 1970-1976, 32-16-1, batch 16, as `mlops demo`
 * does) with `mlops train` into `<dir>/registry` and returns the registry path. The setup trains
 * on wasm whatever MLOPS_BACKEND says: the training backend does not matter to the benchmarks that
 * serve or score the model, and wasm is the fastest for this small model.
 */
export async function trainCarsRegistry(dir: string): Promise<string> {
  const cars = (await loadCarRecords()).filter((c) => Number(String(c.Year).slice(0, 4)) <= 1976);
  const columns = ["Name", ...CAR_FEATURES, "Miles_per_Gallon"];
  const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const data = path.join(dir, "cars-1970-1976.csv");
  await writeFile(data, `${columns.join(",")}\n${cars.map((c) => columns.map((k) => cell(c[k])).join(",")).join("\n")}\n`);
  const config = path.join(dir, "cars-mpg.json");
  await writeFile(
    config,
    JSON.stringify({
      name: MODEL,
      target: "Miles_per_Gallon",
      features: CAR_FEATURES,
      network: { hiddenLayers: [32, 16], epochs: 400, batchSize: 16, learningRate: 0.005, patience: 25 },
    }),
  );
  const registry = path.join(dir, "registry");
  await runOk(process.execPath, [MLOPS, "train", "--data", data, "--config", config, "--registry", registry], { timeoutMs: 180_000, env: { ...process.env, MLOPS_BACKEND: "wasm" } });
  return registry;
}

/**
 * The registry a benchmark uses: `--registry <dir>` (an existing registry with a cars-mpg
 * champion, e.g. `mlops demo --dir X` leaves one in X/registry), else a fresh one trained in `dir`.
 */
export async function benchRegistry(dir: string): Promise<string> {
  const given = flag("registry");
  return given ? path.resolve(given) : trainCarsRegistry(dir);
}

/** Renders a GitHub-flavoured markdown table. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(cells[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
}

/** Parses `--name value` flags (numbers and strings) after the script name. */
export function flag(name: string, fallback: string): string;
export function flag(name: string, fallback?: string): string | undefined;
export function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
