// The real Prometheus tools from Debian's `prometheus` and `prometheus-alertmanager` packages (.ci/run
// installs them). Tests that need them fail, not skip, when they are missing: CI always has them.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/** Absolute paths of the binaries, where Debian puts them. */
export const TOOLS = {
  prometheus: "/usr/bin/prometheus",
  promtool: "/usr/bin/promtool",
  alertmanager: "/usr/bin/prometheus-alertmanager",
  amtool: "/usr/bin/amtool",
} as const;

/** Throws, naming the package, when a tool is not installed. */
export function requireTool(name: keyof typeof TOOLS): string {
  const bin = TOOLS[name];
  if (!existsSync(bin)) {
    const pkg = name === "alertmanager" || name === "amtool" ? "prometheus-alertmanager" : "prometheus";
    throw new Error(`${bin} is missing: install Debian's ${pkg} package (apt-get install -y ${pkg}); .ci/run does`);
  }
  return bin;
}

/** Runs a tool to completion; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(name: keyof typeof TOOLS, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = requireTool(name);
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code !== "number") return reject(err);
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code) : 0, stdout, stderr });
    });
  });
}
