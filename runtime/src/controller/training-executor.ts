/**
 * One retraining run, described so that any executor (a local child process today, a Kubernetes
 * Job later) can run `mlops train` with exactly these inputs.
 */
export interface TrainingJob {
  /** Registry model name; the new version is registered under it. */
  model: string;
  /** Training table (CSV with header), an absolute path or URL the executor can read. */
  dataPath: string;
  /** Model config as JSON (the champion's resolved config), valid input for `mlops train --config`. */
  configPath: string;
  /** Registry location (directory path or file:// URL) the new version is registered in. */
  registry: string;
  /** The version this one is retrained from, recorded as its parent. */
  parent: number;
  /** Directory of this job's inputs, where the executor may write its log. */
  workDir: string;
  /** Seconds after which the run is killed and reported as failed. */
  timeoutSeconds: number;
}

/** What a finished run produced. */
export interface TrainingResult {
  /** The version the run registered (not promoted). */
  version: number;
  /** The last lines of the run's output, for the history. */
  logTail: string;
}

/**
 * Runs a training job to completion. `run` resolves with the registered version, or rejects with
 * MLOPS_ERR_CONTROLLER_TRAINING_FAILED (non-zero exit, timeout, no version in the output) carrying
 * the output's tail; when `signal` aborts it stops the run and rejects with the signal's reason.
 * Executors do not retry: the controller does, with backoff.
 */
export interface TrainingExecutor {
  /** Executor kind, as named in the policy (`executor.kind`). */
  readonly kind: string;
  run(job: TrainingJob, signal: AbortSignal): Promise<TrainingResult>;
}
