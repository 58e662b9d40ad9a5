import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `mlops` CLI entry point of this checkout. */
export const MLOPS_BIN = fileURLToPath(new URL("../../runtime/bin/mlops.js", import.meta.url));

/** The `pulumi-mlops` command (synth) of the component library in this checkout. */
export const PULUMI_MLOPS_BIN = fileURLToPath(new URL("../../components/bin/pulumi-mlops.js", import.meta.url));

/** How a child process ended and what it printed. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` to completion, collecting its output. */
export function runNode(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the `mlops` CLI to completion. */
export const runMlops = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> => runNode(MLOPS_BIN, args, options);

/** Runs `pulumi-mlops synth ...args` to completion. */
export const runSynth = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> => runNode(PULUMI_MLOPS_BIN, ["synth", ...args], options);
