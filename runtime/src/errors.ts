/**
 * The runtime's error registry. Every error the runtime reports to a user is declared here once,
 * with a stable code, the HTTP status it maps to, a message template and how to fix it.
 * Codes are never reused; docs/errors.md lists them (a test keeps the two in step).
 */

interface ErrorDefinition<P> {
  /** HTTP status the error maps to when it reaches a client. */
  readonly status: number;
  /** Builds the message from the error's parameters; names the field and the bad value. */
  readonly message: (params: P) => string;
  /** One sentence on how to fix it, shown in docs/errors.md. */
  readonly fix: string;
}

const define = <P = Record<string, never>>(status: number, message: (params: P) => string, fix: string): ErrorDefinition<P> => ({
  status,
  message,
  fix,
});

const show = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // A cycle, a BigInt, or nesting deep enough to overflow the stack (String() would recurse too).
    return Array.isArray(v) ? "[a deeply nested list]" : typeof v === "object" && v !== null ? "{a deeply nested object}" : typeof v;
  }
};

/** Every error code the runtime can produce. */
export const ERRORS = {
  // --- data ---------------------------------------------------------------------------------
  MLOPS_ERR_DATA_FILE_NOT_FOUND: define<{ path: string }>(
    400,
    (p) => `dataset ${p.path} does not exist`,
    "Check the path or URL passed to --data (or --reference/--current); paths are resolved against the working directory, a prefix needs at least one .csv, .jsonl, .ndjson, .gz or .parquet file directly under it.",
  ),
  MLOPS_ERR_DATA_FORMAT: define<{ path: string }>(
    400,
    (p) => `cannot tell the format of ${p.path}: use a .csv (with a header row), .jsonl, .ndjson (any of them optionally .gz) or .parquet file`,
    "Rename the file with its real extension, or convert it to CSV with a header row, JSON Lines or Parquet; every file of a prefix or glob must have the same format.",
  ),
  MLOPS_ERR_DATA_PARSE: define<{ path: string; line: number; reason: string }>(
    400,
    (p) => `${p.path}:${p.line}: ${p.reason}`,
    "Fix the line named in the message; CSV needs a header row and the same number of fields on every line, JSONL one JSON object per line.",
  ),
  MLOPS_ERR_DATA_UNAVAILABLE: define<{ url: string; operation: string; reason: string }>(
    503,
    (p) => `dataset store ${p.url} failed to ${p.operation}: ${p.reason}`,
    "Check the URL, the network path to the store and the credentials (the same environment variables and workload identity as the registry's); an https:// Parquet file needs a server that answers Range requests.",
  ),
  MLOPS_ERR_DATA_EMPTY: define<{ path: string }>(
    400,
    (p) => `${p.path} has no data rows`,
    "Provide a file with a header and at least one data row.",
  ),
  MLOPS_ERR_DATA_COLUMN_MISSING: define<{ column: string; role: string; available: string[] }>(
    400,
    (p) => `${p.role} column ${show(p.column)} is not in the dataset (columns: ${p.available.join(", ")})`,
    "Fix the column name in the model config or the --target flag; names are case-sensitive.",
  ),
  MLOPS_ERR_DATA_TARGET: define<{ column: string; reason: string }>(
    400,
    (p) => `target column ${show(p.column)}: ${p.reason}`,
    "Check the target column and the task: binary needs exactly two classes, regression numeric values.",
  ),
  MLOPS_ERR_DATA_TOO_SMALL: define<{ rows: number; needed: number }>(
    400,
    (p) => `dataset has ${p.rows} usable rows after dropping rows without a target; at least ${p.needed} are needed to train, validate and test`,
    "Provide more rows, or lower validationSplit/testSplit in the model config.",
  ),
  // --- config -------------------------------------------------------------------------------
  MLOPS_ERR_CONFIG_INVALID: define<{ source: string; issues: string[] }>(
    400,
    (p) => `invalid ${p.source}:\n  - ${p.issues.join("\n  - ")}`,
    "Fix each field listed; the path before the colon says where it is.",
  ),
  MLOPS_ERR_CONFIG_READ: define<{ path: string; reason: string }>(
    400,
    (p) => `cannot read config ${p.path}: ${p.reason}`,
    "Check the file exists and is valid JSON or YAML.",
  ),
  // --- model / backend ----------------------------------------------------------------------
  MLOPS_ERR_MODEL_BACKEND: define<{ backend: string; reason: string }>(
    500,
    (p) => `TensorFlow.js backend ${show(p.backend)} is not available: ${p.reason}`,
    "Install @tensorflow/tfjs-node (or -gpu) for the native backend, or let the runtime fall back to wasm by not forcing MLOPS_BACKEND.",
  ),
  MLOPS_ERR_MODEL_DIVERGED: define<{ epoch: number }>(
    500,
    (p) => `training diverged at epoch ${p.epoch} (loss is not finite)`,
    "Lower the learning rate in the model config, or check the data for extreme values.",
  ),
  // --- registry -----------------------------------------------------------------------------
  MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND: define<{ model: string }>(
    404,
    (p) => `Servable not found for request: model ${show(p.model)} is not in the registry`,
    "List models with `mlops models list`; train one with `mlops train`.",
  ),
  MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND: define<{ model: string; version: string }>(
    404,
    (p) => `Servable not found for request: model ${show(p.model)} has no version ${show(p.version)}`,
    "List versions with `mlops models show <model>`.",
  ),
  MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND: define<{ model: string; alias: string }>(
    404,
    (p) => `Servable not found for request: model ${show(p.model)} has no version labelled ${show(p.alias)}`,
    "Set the alias with `mlops models alias <model> <alias> <version>`.",
  ),
  MLOPS_ERR_REGISTRY_NAME: define<{ kind: string; value: string; reason?: string }>(
    400,
    (p) => `invalid ${p.kind} name ${show(p.value)}: ${p.reason ?? "use 1-63 characters of a-z, A-Z, 0-9, '.', '_' or '-', starting with a letter or digit"}`,
    "Rename it; names become object-store keys and URL path segments.",
  ),
  MLOPS_ERR_REGISTRY_FILE_NOT_FOUND: define<{ model: string; version: number; file: string; available: string[] }>(
    404,
    (p) => `model ${show(p.model)} version ${p.version} has no artifact ${show(p.file)} (artifacts: ${p.available.join(", ")})`,
    "Use one of the artifact names listed; `mlops models show <model> --json` lists each version's files.",
  ),
  MLOPS_ERR_REGISTRY_CORRUPT: define<{ key: string; reason: string }>(
    500,
    (p) => `registry object ${p.key} is corrupt: ${p.reason}`,
    "Restore the object from the store's versioning, or delete the version; other versions are unaffected.",
  ),
  MLOPS_ERR_REGISTRY_CONFLICT: define<{ key: string; attempts: number }>(
    409,
    (p) => `gave up writing ${p.key} after ${p.attempts} conflicting concurrent writes`,
    "Retry; if it persists, another process is writing the same model in a tight loop.",
  ),
  MLOPS_ERR_REGISTRY_LOCKED: define<{ key: string; ms: number }>(
    409,
    (p) => `${p.key} stayed locked by another writer for ${p.ms} ms`,
    "Retry; a lock left by a crashed process is broken automatically once its owner is gone.",
  ),
  MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE: define<{ url: string; operation: string; key: string; reason: string }>(
    503,
    (p) => `registry storage ${p.url} failed to ${p.operation} ${show(p.key)}: ${p.reason}`,
    "Check the store's credentials, permissions and network access (and the endpoint variables AWS_ENDPOINT_URL_S3, STORAGE_EMULATOR_HOST or MLOPS_AZURE_BLOB_ENDPOINT if set); see the README's object-store registry section.",
  ),
  MLOPS_ERR_REGISTRY_IO: define<{ url: string; operation: string; path: string; reason: string }>(
    503,
    (p) => `registry storage ${p.url} cannot ${p.operation} ${p.path}: ${p.reason}`,
    "Free space on the volume (ENOSPC, EDQUOT), give the runtime's user write access to the path (EACCES, EPERM, EROFS), or point --registry elsewhere; nothing half-written became visible.",
  ),
  MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT: define<{ url: string; operation: string; key: string; seconds: number }>(
    504,
    (p) => `registry storage ${p.url} did not answer ${p.operation} ${show(p.key)} within ${p.seconds} s`,
    "Check the store's endpoint and network path (a proxy or endpoint that accepts connections but never answers); raise MLOPS_STORAGE_TIMEOUT_SECONDS for very slow links.",
  ),
  MLOPS_ERR_REGISTRY_HISTORY_BROKEN: define<{ model: string; seq: number; reason: string }>(
    500,
    (p) => `history of model ${show(p.model)} fails its hash chain at seq ${p.seq}: ${p.reason}`,
    "Someone or something rewrote, deleted or inserted a history event: restore the event objects under models/<model>/events/ from the store's versioning or a backup, and find out who had write access.",
  ),
  // --- serving / inference -----------------------------------------------------------------
  MLOPS_ERR_INFER_BAD_REQUEST: define<{ reason: string }>(
    400,
    (p) => p.reason,
    "Follow the request format in the README's HTTP API section.",
  ),
  MLOPS_ERR_INFER_FEATURE: define<{ row: number; feature: string; reason: string }>(
    400,
    (p) => `instance ${p.row}, feature ${show(p.feature)}: ${p.reason}`,
    "Send every feature the model's metadata lists, numbers for numerical features and strings for categorical ones.",
  ),
  MLOPS_ERR_INFER_UNSUPPORTED: define<{ model: string; method: string; reason: string }>(
    400,
    (p) => `${p.method} is not supported by model ${show(p.model)}: ${p.reason}`,
    "Use :classify for binary or multiclass models, :regress for regression models, or :predict for any.",
  ),
  MLOPS_ERR_INFER_BODY_TOO_LARGE: define<{ limit: number }>(
    413,
    (p) => `request body exceeds the limit of ${p.limit} bytes`,
    "Split the batch into smaller requests, or raise --body-limit on the server.",
  ),
  MLOPS_ERR_INFER_TOO_MANY_ROWS: define<{ field: string; rows: number; limit: number }>(
    413,
    (p) => `${p.field} has ${p.rows} rows; this server takes at most ${p.limit} per request`,
    "Split the batch into requests of at most the limit (max batch size × max enqueued batches on the server; raise --max-batch-size to take larger ones), or use `mlops predict` for files.",
  ),
  MLOPS_ERR_INFER_NOT_FOUND: define<{ path: string }>(
    404,
    (p) => `no route for ${p.path}`,
    "See the README's HTTP API section for the endpoints.",
  ),
  MLOPS_ERR_INFER_UNAVAILABLE: define<{ model: string; reason: string }>(
    503,
    (p) => `model ${show(p.model)} is not ready: ${p.reason}`,
    "Wait for the server to load the model; check `GET /v1/models/<model>` for its state.",
  ),
  MLOPS_ERR_SERVER_FEEDBACK_LOG: define<{ path: string; reason: string }>(
    503,
    (p) => `feedback was not stored: cannot write the feedback log ${p.path}: ${p.reason}`,
    "Give the server a writable, non-full directory for --feedback-log-dir (in Kubernetes it lives in the pod's /tmp emptyDir); the labels were not acknowledged, so the client can resend them.",
  ),
  MLOPS_ERR_SERVER_INTERNAL: define<{ reason: string }>(
    500,
    (p) => `internal error: ${p.reason}`,
    "This is a bug; report it with the server log line carrying the same request id.",
  ),
  MLOPS_ERR_SERVER_CONSOLE_REFUSED: define<{ profile: string }>(
    400,
    (p) => `the console (/ui/) is off in the ${p.profile} profile: it shows every model's lineage, dataset locations and history to anyone who reaches the serving port; pass --ui-in-production (or MLOPS_UI_IN_PRODUCTION=1) to turn it on anyway`,
    "Run the console elsewhere (`mlops ui` on a workstation with read access to the registry), or opt in explicitly with --ui-in-production when the serving port is reachable only by operators.",
  ),
  // --- cli ----------------------------------------------------------------------------------
  MLOPS_ERR_CLI_USAGE: define<{ reason: string }>(
    400,
    (p) => p.reason,
    "Run the command with --help for its flags.",
  ),
  // --- controller ---------------------------------------------------------------------------
  MLOPS_ERR_CONTROLLER_TRAINING_FAILED: define<{ model: string; reason: string; logTail: string }>(
    500,
    (p) => `training run for model ${show(p.model)} failed: ${p.reason}${p.logTail ? `; last output:\n${p.logTail.split("\n").slice(-5).join("\n")}` : ""}`,
    "Read the output in the message (the whole log is train.log in the controller's work directory); fix the data or model config, or raise executor.timeoutSeconds.",
  ),
  MLOPS_ERR_CONTROLLER_NO_PREVIOUS_CHAMPION: define<{ model: string; champion: number | null }>(
    409,
    (p) => `model ${show(p.model)} has no previous champion to roll back to (champion: ${p.champion ?? "none"}); its history records no earlier champion`,
    "Check `mlops models history <model>`; to serve a given version, move the alias by hand with `mlops models alias <model> champion <version>`.",
  ),
  // --- explain ------------------------------------------------------------------------------
  MLOPS_ERR_EXPLAIN_OPTION: define<{ option: string; reason: string }>(
    400,
    (p) => `explain option ${p.option}: ${p.reason}`,
    "Use method ig or kernelshap, steps from 1 to 1024, samples from 16 to 65536, and a class the model has (multiclass only).",
  ),
  MLOPS_ERR_EXPLAIN_NO_REFERENCE: define<{ model: string; version: number }>(
    409,
    (p) => `model ${show(p.model)} version ${p.version} has no importance.json (it was trained before explanations existed), so there is no baseline to explain against`,
    "Send reference rows with the request (\"reference\": [{...}, ...], or --reference for mlops explain), or retrain the model so the version stores its training reference.",
  ),
  // --- experiments --------------------------------------------------------------------------
  MLOPS_ERR_EXPERIMENT_INVALID: define<{ field: string; reason: string }>(
    400,
    (p) => `experiment ${p.field}: ${p.reason}`,
    "Give two or more distinct existing versions with positive weights (--variants 3=50,4=50), a key as header:<name> or feature:<name>, a positive --min-samples and a duration like 30m, 2h or 1d.",
  ),
  MLOPS_ERR_EXPERIMENT_CONFLICT: define<{ model: string; reason: string }>(
    409,
    (p) => `model ${show(p.model)}: ${p.reason}`,
    "Only one of a canary/shadow rollout and an experiment may route a model: stop the experiment (`mlops experiment stop <model>`) or end the rollout (promote, or `mlops models rollback <model>`) first.",
  ),
  MLOPS_ERR_EXPERIMENT_NOT_FOUND: define<{ model: string; id?: string }>(
    404,
    (p) => (p.id === undefined ? `model ${show(p.model)} has no running experiment` : `model ${show(p.model)} has no experiment ${show(p.id)}`),
    "Start one with `mlops experiment start <model> --variants <v>=<w>,...`; `mlops experiment status <model> --all` lists past experiments.",
  ),
  MLOPS_ERR_CONTROLLER_NOT_AWAITING_APPROVAL: define<{ model: string; version: number; state: string }>(
    409,
    (p) => `version ${p.version} of model ${show(p.model)} is not awaiting approval: ${p.state}`,
    "Check `mlops models history <model>`: only the version of an `awaiting-approval` event not yet approved, rejected or superseded can be approved or rejected.",
  ),
  // --- tune ---------------------------------------------------------------------------------
  MLOPS_ERR_TUNE_SEARCH_NOT_FOUND: define<{ model: string; searchId: string }>(
    404,
    (p) => `model ${show(p.model)} has no tuning search ${show(p.searchId)}`,
    "Check the id (`mlops tune` prints it, and it is the folder name under models/<model>/tuning/ in the registry) and that --model and --registry are the ones the search ran with.",
  ),
  MLOPS_ERR_TUNE_SEARCH_MISMATCH: define<{ searchId: string; field: string; stored: unknown; given: unknown }>(
    409,
    (p) => `tuning search ${show(p.searchId)} was started with ${p.field} ${show(p.stored)}, not ${show(p.given)}; a resumed search keeps its data, target and space`,
    "Resume with the same --data and --target (or leave them out: --resume reads them from search.json), or start a new search without --resume.",
  ),
  MLOPS_ERR_TUNE_NO_COMPLETE_TRIAL: define<{ searchId: string; trials: number; reason: string }>(
    422,
    (p) => `tuning search ${show(p.searchId)} has no complete trial after ${p.trials} trials: ${p.reason}`,
    "Raise --budget or --trials (each trial runs k-fold cross-validation at every rung), read the failed trials' errors in the registry, then `mlops tune --resume <id>`; finished trials are not rerun.",
  ),
  MLOPS_ERR_TUNE_NO_TUNED_CONFIG: define<{ model: string; version: number }>(
    409,
    (p) => `training.config is "tuned", but neither version ${p.version} of model ${show(p.model)}, nor its ancestors, nor a finished tuning search of the model has a tuned config`,
    "Run `mlops tune --data <file> --target <column> --model <model>` once (its best config becomes a version and its search the lineage), or set training.config to \"champion\".",
  ),
  // --- drift --------------------------------------------------------------------------------
  MLOPS_ERR_DRIFT_COLUMNS: define<{ onlyInReference: string[]; onlyInCurrent: string[] }>(
    400,
    (p) =>
      `reference and current data have different columns: ${[
        p.onlyInReference.length ? `only in reference: ${p.onlyInReference.map((c) => show(c)).join(", ")}` : "",
        p.onlyInCurrent.length ? `only in current: ${p.onlyInCurrent.map((c) => show(c)).join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; ")}`,
    "Compare files with the same columns (names are case-sensitive), or drop the extra columns; a monitored column must be in the model's reference profile.",
  ),
  MLOPS_ERR_DRIFT_EMPTY_COLUMN: define<{ column: string; side: "reference" | "current" }>(
    400,
    (p) => `column ${show(p.column)} has no values in the ${p.side} data (every value is missing)`,
    "Drop the column from the comparison or supply data with values; missing values (null, empty, NaN, NA) are ignored by every drift test.",
  ),
  MLOPS_ERR_DRIFT_TEST: define<{ column: string; test: string; reason: string }>(
    400,
    (p) => `cannot run test ${show(p.test)} on column ${show(p.column)}: ${p.reason}`,
    "Pick a test that fits the column (ks and wasserstein need numbers; chisquare, z, jensenshannon and psi take categories), or let the default choice run.",
  ),
  MLOPS_ERR_DRIFT_VALUE: define<{ column: string; value: unknown }>(
    400,
    (p) => `numerical column ${show(p.column)} has a value that is not a number: ${show(p.value)}`,
    "Send numbers (or null for missing) for numerical columns, or treat the column as categorical.",
  ),
} as const;

/** A code from the registry. */
export type ErrorCode = keyof typeof ERRORS;
type ParamsOf<C extends ErrorCode> = (typeof ERRORS)[C] extends ErrorDefinition<infer P> ? P : never;

/** An error the runtime reports on purpose: stable code, HTTP status, message naming what was wrong. */
export class MlopsError extends Error {
  /** Stable code from {@link ERRORS}. */
  readonly code: ErrorCode;
  /** HTTP status the error maps to. */
  readonly status: number;
  /** The parameters the message was built from, for callers that re-word or locate the error. */
  readonly params: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; params?: Record<string, unknown> }) {
    super(message, options);
    this.name = "MlopsError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.params = options?.params ?? {};
  }
}

/** Creates the registry's error `code` with its parameters. */
export function mlopsError<C extends ErrorCode>(code: C, params: ParamsOf<C>, options?: { cause?: unknown }): MlopsError {
  const def = ERRORS[code] as ErrorDefinition<ParamsOf<C>>;
  return new MlopsError(code, def.message(params), { ...options, params: params as Record<string, unknown> });
}

/** Renders any thrown value as a short message. */
export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Quotes a value for an error message, truncated. */
export const showValue = show;
