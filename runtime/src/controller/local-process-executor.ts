import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mlopsError } from "../errors.ts";
import type { TrainingExecutor, TrainingJob, TrainingResult } from "./training-executor.ts";

/** Options of {@link LocalProcessExecutor}. */
export interface LocalProcessExecutorOptions {
  /** Script run with `process.execPath` as `<bin> train ...`. @default - this package's runtime/bin/mlops.js */
  bin?: string;
  /** Extra environment for the child (e.g. MLOPS_BACKEND), on top of the controller's. @default {} */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGTERM and SIGKILL when a run is stopped. @default 5000 */
  killGraceMs?: number;
  /** Characters of output kept as the log tail. @default 2000 */
  tailChars?: number;
}

/** The CLI entry point (also used by `mlops tune`'s local workers): runtime/bin/mlops.js next to this source tree, or the package's from the compiled dist/runtime/src. */
export function resolveBin(): string {
  const beside = fileURLToPath(new URL("../../bin/mlops.js", import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL("../../../../runtime/bin/mlops.js", import.meta.url));
}

/** Set in the child's environment: `mlops` then exits as soon as its parent is gone (see `exitWithParent`). */
export const EXIT_WITH_PARENT_ENV = "MLOPS_EXIT_WITH_PARENT";

/**
 * Trains in a child process of the controller: `node runtime/bin/mlops.js train --data ... --config
 * ... --model ... --registry ... --parent ...`, output appended to `<workDir>/train.log`. A run
 * past its timeout, or whose signal aborts, gets SIGTERM and, after `killGraceMs`, SIGKILL, sent
 * to its whole process group (it runs in its own). The child dies with the controller even when
 * the controller is killed with SIGKILL, which no signal handler sees: Node has no
 * PR_SET_PDEATHSIG, so the child holds the read end of a pipe whose only writer is the
 * controller, and the kernel closes that end's peer when the controller dies; `mlops` exits on
 * that EOF (and, as a backstop, when its parent pid changes).
 */
export class LocalProcessExecutor implements TrainingExecutor {
  readonly kind = "local";
  readonly #bin: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #killGraceMs: number;
  readonly #tailChars: number;

  constructor(options: LocalProcessExecutorOptions = {}) {
    this.#bin = options.bin ?? resolveBin();
    this.#env = options.env ?? {};
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#tailChars = options.tailChars ?? 2000;
  }

  /** Runs `job`; see {@link TrainingExecutor.run}. */
  run(job: TrainingJob, signal: AbortSignal): Promise<TrainingResult> {
    const args = [this.#bin, "train", "--data", job.dataPath, "--config", job.configPath, "--model", job.model, "--registry", job.registry, "--parent", String(job.parent)];
    const logFile = path.join(job.workDir, "train.log");
    return new Promise<TrainingResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const child = spawn(process.execPath, args, {
        cwd: job.workDir,
        env: { ...process.env, ...this.#env, [EXIT_WITH_PARENT_ENV]: "1" },
        // stdin: the pipe the child watches for its parent's death; detached: its own process group.
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      child.stdin.on("error", () => undefined);
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          child.kill(sig);
        }
      };
      let stdout = "";
      let tail = "";
      let log = Promise.resolve();
      const keep = (chunk: string) => {
        tail = (tail + chunk).slice(-this.#tailChars);
        log = log.then(() => appendFile(logFile, chunk)).catch(() => undefined);
      };
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        keep(chunk);
      });
      child.stderr.setEncoding("utf8").on("data", keep);
      let stopped: "timeout" | "abort" | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: "timeout" | "abort") => {
        if (stopped) return;
        stopped = why;
        killGroup("SIGTERM");
        killTimer = setTimeout(() => killGroup("SIGKILL"), this.#killGraceMs);
      };
      const timeout = setTimeout(() => stop("timeout"), job.timeoutSeconds * 1000);
      const onAbort = () => stop("abort");
      signal.addEventListener("abort", onAbort, { once: true });
      const fail = (reason: string) => reject(mlopsError("MLOPS_ERR_CONTROLLER_TRAINING_FAILED", { model: job.model, reason, logTail: tail.trim() }));
      child.on("error", (err) => {
        clearTimeout(timeout);
        signal.removeEventListener("abort", onAbort);
        fail(`could not start ${process.execPath}: ${err.message}`);
      });
      child.on("close", (code, sig) => {
        clearTimeout(timeout);
        clearTimeout(killTimer);
        child.stdin.destroy();
        signal.removeEventListener("abort", onAbort);
        void log.then(() => {
          if (stopped === "abort") return reject(signal.reason);
          if (stopped === "timeout") return fail(`timed out after ${job.timeoutSeconds} s and was killed (${sig ?? `exit code ${code}`})`);
          if (code !== 0) return fail(sig ? `killed by ${sig}` : `exited with code ${code}`);
          const m = /^registered (\S+) version (\d+)/m.exec(stdout);
          if (!m || m[1] !== job.model) return fail(`finished without reporting a registered version of ${job.model}`);
          resolve({ version: Number(m[2]), logTail: tail.trim() });
        });
      });
    });
  }
}
