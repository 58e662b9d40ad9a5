import { mlopsError } from "../errors.ts";
import { createLog } from "../log.ts";
import { initBackend } from "../model/backend.ts";
import { ModelRegistry } from "../registry/index.ts";
import { assertConsoleAllowed, createModelServer } from "../serve/server.ts";
import { type Io, intFlag, parseFlags } from "./args.ts";

/** Help for `mlops serve`. */
export const SERVE_HELP = `usage: mlops serve [--registry <loc>] [--host <addr>] [--port <n>]
                  [--grpc-port <n|off>] [--inference-grpc-port <n|off>] [--max-batch-size <n>] [--batch-timeout-micros <n>] [--body-limit <bytes>]
                  [--poll-interval-ms <n>] [--monitor-interval-ms <n>] [--drift-window <rows>]
                  [--log-level <level>] [--feedback-log-dir <dir>|none] [--ui [--ui-in-production]]

Serves the champion of every model in the registry (and any aliased version) over
TF Serving REST (/v1/...) and the Open Inference Protocol v2 (/v2/...), with /metrics, and
over gRPC: TF Serving's PredictionService/ModelService and the Open Inference Protocol's
GRPCInferenceService, each with grpc.health.v1.
Picks up a moved alias or a canary/shadow rollout without a restart, watches the served
traffic for drift against each version's training reference, joins labels sent to
/v1/models/<m>/feedback to earlier predictions, and writes monitoring snapshots and labelled
rows to the registry for the retraining controller. Logs JSON to stderr.

  --registry <loc>            directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --host <addr>               interface (default: 127.0.0.1; 0.0.0.0 in a container)
  --port <n>                  HTTP port (default: 8501)
  --grpc-port <n|off>         TF Serving gRPC port (default: 8500)
  --inference-grpc-port <n|off>  Open Inference Protocol gRPC port (default: 8001; may equal --grpc-port)
  --max-batch-size <n>        most rows per model call (default: 1000)
  --batch-timeout-micros <n>  wait for a batch to fill when idle (default: 0)
  --body-limit <bytes>        largest request body (default: 33554432)
  --poll-interval-ms <n>      registry poll interval (default: 2000)
  --monitor-interval-ms <n>   drift/quality recompute + snapshot interval (default: 10000)
  --drift-window <rows>       served rows kept per version for drift (default: 5000)
  --log-level <level>         fatal, error, warn, info, debug, trace or silent; info logs one line
                              per request, debug adds health probes and /metrics
                              (default: $MLOPS_LOG_LEVEL, else info)
  --feedback-log-dir <dir>    where labels are fsync'd before they are acknowledged, and replayed
                              from after a crash (default: $MLOPS_FEEDBACK_LOG_DIR, else
                              .mlops/feedback-log; the image sets /tmp/mlops/feedback-log); "none" writes each
                              feedback request straight to the registry instead
  --ui                        also serve the read-only registry console under /ui/ (default: off;
                              on with MLOPS_UI=1); see \`mlops ui --help\`
  --ui-in-production          allow --ui when MLOPS_PROFILE=production (refused otherwise, since the
                              console shows every model's lineage and history to anyone who reaches
                              the port; also MLOPS_UI_IN_PRODUCTION=1)

Readiness (/v2/health/ready) is 200 only when every model the registry names has a version
loaded; its "degraded" list says what is wrong (an unreadable registry, a champion that cannot
be loaded and the version served instead, a corrupt rollout.json).
`;

const flags = {
  registry: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "grpc-port": { type: "string" },
  "inference-grpc-port": { type: "string" },
  "max-batch-size": { type: "string" },
  "batch-timeout-micros": { type: "string" },
  "body-limit": { type: "string" },
  "poll-interval-ms": { type: "string" },
  "monitor-interval-ms": { type: "string" },
  "drift-window": { type: "string" },
  "log-level": { type: "string" },
  "feedback-log-dir": { type: "string" },
  ui: { type: "boolean" },
  "ui-in-production": { type: "boolean" },
} as const;

/** Reads an on/off environment variable: 1/true/on or 0/false/off (or unset); anything else is a usage error naming it. */
export function envSwitch(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === "" || v === "0" || v === "false" || v === "off") return false;
  if (v === "1" || v === "true" || v === "on") return true;
  throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${name} must be 1/true/on or 0/false/off, got ${JSON.stringify(env[name])}` });
}

/** The platform profile from MLOPS_PROFILE (dev when unset). */
export function envProfile(env: NodeJS.ProcessEnv = process.env): "dev" | "production" {
  const v = env.MLOPS_PROFILE?.trim();
  if (v === undefined || v === "" || v === "dev" || v === "production") return (v || "dev") as "dev" | "production";
  throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `MLOPS_PROFILE must be dev or production, got ${JSON.stringify(v)}` });
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** `mlops serve`: runs until SIGINT/SIGTERM, then drains in-flight requests. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  const level = values["log-level"];
  if (level !== undefined && !LOG_LEVELS.includes(level)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--log-level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}` });
  const log = level === undefined ? createLog("mlops-serve") : createLog("mlops-serve", level);
  const options = Object.fromEntries(
    Object.entries({
      host: values.host,
      port: intFlag(values.port, "port", 0, 65535),
      grpcPort: values["grpc-port"] === "off" ? null : intFlag(values["grpc-port"], "grpc-port", 0, 65535),
      inferenceGrpcPort: values["inference-grpc-port"] === "off" ? null : intFlag(values["inference-grpc-port"], "inference-grpc-port", 0, 65535),
      maxBatchSize: intFlag(values["max-batch-size"], "max-batch-size", 1, 1_000_000),
      batchTimeoutMicros: intFlag(values["batch-timeout-micros"], "batch-timeout-micros", 0, 1_000_000),
      bodyLimit: intFlag(values["body-limit"], "body-limit", 1024, 2 ** 31),
      pollIntervalMs: intFlag(values["poll-interval-ms"], "poll-interval-ms", 50, 3_600_000),
      monitorIntervalMs: intFlag(values["monitor-interval-ms"], "monitor-interval-ms", 50, 3_600_000),
      driftWindowRows: intFlag(values["drift-window"], "drift-window", 10, 1_000_000),
      feedbackLogDir: feedbackLogDir(values["feedback-log-dir"] ?? (process.env.MLOPS_FEEDBACK_LOG_DIR || undefined)),
      console: values.ui === true || envSwitch("MLOPS_UI"),
      profile: envProfile(),
      consoleInProduction: values["ui-in-production"] === true || envSwitch("MLOPS_UI_IN_PRODUCTION"),
    }).filter(([, v]) => v !== undefined),
  );
  // Refused before the slow backend start-up, not after it.
  assertConsoleAllowed(options);
  // Listen for a stop from the start: a SIGTERM while loading (a pod deleted during start-up)
  // shuts down cleanly once listening instead of killing the process mid-write.
  let stopRequested: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const request = (signal: string) => {
    stopRequested ??= signal;
    onStop?.(signal);
  };
  process.once("SIGINT", () => request("SIGINT"));
  process.once("SIGTERM", () => request("SIGTERM"));
  const backend = await initBackend();
  log.info({ backend: backend.name, skipped: backend.skipped }, "tensorflow.js backend");
  const registry = ModelRegistry.open(values.registry);
  const server = createModelServer(registry, options, log);
  const url = await server.listen();
  log.info({ url, grpc: server.grpc, registry: registry.storage.url, models: server.pool.modelNames() }, "serving");
  const grpc = [server.grpc.tfServing && `TF Serving gRPC ${server.grpc.tfServing}`, server.grpc.inference && `inference gRPC ${server.grpc.inference}`].filter(Boolean).join(", ");
  io.err(`serving ${server.pool.modelNames().join(", ") || "(no models yet)"} on ${url}${grpc ? ` (${grpc})` : ""}\n`);
  await new Promise<void>((resolve) => {
    onStop = (signal: string) => {
      log.info({ signal }, "shutting down");
      server.close().then(resolve, resolve);
    };
    if (stopRequested) onStop(stopRequested);
  });
  return 0;
}

/** `--feedback-log-dir` (or $MLOPS_FEEDBACK_LOG_DIR): a directory, "none" for no log, or absent for the server's default. */
function feedbackLogDir(value: string | undefined): string | null | undefined {
  return value === "none" ? null : value;
}
