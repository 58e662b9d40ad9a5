import { spawn } from "node:child_process";
import { EXIT_WITH_PARENT_ENV, resolveBin } from "../controller/local-process-executor.ts";

/** Where a search's trials run. */
export const TRIAL_EXECUTORS = ["local", "kubernetes"] as const;

/** What a trial run needs to find its search: everything else is in the registry. */
export interface TrialTarget {
  /** Registry location as the workers must open it (a directory, or an object-store URL for pods). */
  registry: string;
  model: string;
  searchId: string;
}

/** How one run of trials ended, as far as the executor saw (the records in the registry say the rest). */
export interface TrialRunOutcome {
  /** Trials whose worker ended abnormally, with why (non-zero exit, a failed Job index). */
  crashed: Map<number, string>;
}

/**
 * Runs trials recorded as pending in the registry. `run` resolves once every trial given has
 * ended, however it ended; when `signal` aborts it stops them (the caller then records them as
 * stopped). `trialsPerRun` trials go to one run, `concurrentRuns` runs go at once.
 */
export interface TrialExecutor {
  readonly kind: (typeof TRIAL_EXECUTORS)[number];
  readonly trialsPerRun: number;
  readonly concurrentRuns: number;
  run(target: TrialTarget, trials: number[], signal: AbortSignal): Promise<TrialRunOutcome>;
}

/** Options of {@link LocalTrialExecutor}. */
export interface LocalTrialExecutorOptions {
  /** Worker processes at once. */
  workers: number;
  /** Script run with `process.execPath` as `<bin> tune-trial ...`. @default - this package's runtime/bin/mlops.js */
  bin?: string;
  /** Extra environment for the workers. @default {} */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGTERM and SIGKILL when a worker is stopped. @default 2000 */
  killGraceMs?: number;
}

/**
 * Each trial in a child process, `node mlops.js tune-trial --registry ... --model ... --search ...
 * --trial <n>`, like the controller's local executor: its own process group, killed as a group,
 * and gone with its parent (the stdin pipe `exitWithParent` watches), so a `mlops tune` killed
 * with SIGKILL leaves no worker writing behind it.
 */
export class LocalTrialExecutor implements TrialExecutor {
  readonly kind = "local";
  readonly trialsPerRun = 1;
  readonly concurrentRuns: number;
  readonly #bin: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #killGraceMs: number;

  constructor(options: LocalTrialExecutorOptions) {
    this.concurrentRuns = options.workers;
    this.#bin = options.bin ?? resolveBin();
    this.#env = options.env ?? {};
    this.#killGraceMs = options.killGraceMs ?? 2000;
  }

  async run(target: TrialTarget, trials: number[], signal: AbortSignal): Promise<TrialRunOutcome> {
    const crashed = new Map<number, string>();
    await Promise.all(
      trials.map(async (trial) => {
        const why = await this.#one(target, trial, signal);
        if (why !== undefined) crashed.set(trial, why);
      }),
    );
    return { crashed };
  }

  #one(target: TrialTarget, trial: number, signal: AbortSignal): Promise<string | undefined> {
    const args = [this.#bin, "tune-trial", "--registry", target.registry, "--model", target.model, "--search", target.searchId, "--trial", String(trial)];
    return new Promise((resolve) => {
      if (signal.aborted) return resolve("stopped before it started");
      const child = spawn(process.execPath, args, { env: { ...process.env, ...this.#env, [EXIT_WITH_PARENT_ENV]: "1" }, stdio: ["pipe", "ignore", "pipe"], detached: true });
      child.stdin.on("error", () => undefined);
      let tail = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (tail = (tail + c).slice(-1500)));
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          child.kill(sig);
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup("SIGTERM");
        killTimer = setTimeout(() => killGroup("SIGKILL"), this.#killGraceMs);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (err) => {
        signal.removeEventListener("abort", onAbort);
        resolve(`could not start ${process.execPath}: ${err.message}`);
      });
      child.on("close", (code, sig) => {
        clearTimeout(killTimer);
        signal.removeEventListener("abort", onAbort);
        child.stdin.destroy();
        resolve(code === 0 ? undefined : `worker ${sig ? `killed by ${sig}` : `exited with code ${code}`}${tail.trim() ? `: ${tail.trim().split("\n").slice(-3).join(" | ")}` : ""}`);
      });
    });
  }
}
