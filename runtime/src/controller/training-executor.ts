/**
 * One retraining run, described so that any executor (a local child process, a Kubernetes Job)
 * can run `mlops train` with exactly these inputs, all of them URLs in the model store.
 */
export interface TrainingJob {
  /** Registry model name; the new version is registered under it. */
  model: string;
  /** URL of the training table (staged in the model store: `<registry>/datasets/sha256-<hex>.parquet`), valid `mlops train --data`. */
  dataPath: string;
  /** URL of the model config as JSON (the champion's resolved config, staged in the model store), valid `mlops train --config`. */
  configPath: string;
  /** Registry location (directory, file://, s3://, gs:// or az:// URL) the new version is registered in. */
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
