import { createRequire } from "node:module";
import { hostname } from "node:os";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { z } from "zod";
import { MlopsError, describeError, mlopsError } from "../errors.ts";
import { type Log, silentLog } from "../log.ts";
import type { ModelRegistry } from "../registry/index.ts";
import { parseWith } from "../validation.ts";
import { DEFAULT_BATCHING } from "./dynamic-batcher.ts";
import { type GrpcAddresses, createGrpcServing } from "./grpc/grpc-server.ts";
import { stringifyJson } from "./json.ts";
import { DEFAULT_MONITOR, ModelMonitor } from "./model-monitor.ts";
import { DEFAULT_FEEDBACK_MAX_ABS_Z } from "../data/feedback-check.ts";
import { DEFAULT_FEEDBACK_LOG_DIR, FeedbackLog } from "./feedback-log.ts";
import { ExperimentTraffic } from "./experiment-traffic.ts";
import { ModelPool } from "./model-pool.ts";
import { registerOpenInferenceRoutes } from "./open-inference-routes.ts";
import { parseRequestBody } from "./request-body.ts";
import type { ServerContext } from "./server-context.ts";
import { type ServerMetrics, createServerMetrics } from "./server-metrics.ts";
import { registerTfServingRoutes } from "./tf-serving-routes.ts";
import { registerConsoleRoutes } from "../console/console-routes.ts";

/** Endpoints whose requests count towards a version's traffic and error rate. */
const SCORING: ReadonlySet<string> = new Set(["predict", "classify", "regress", "infer"]);

/** Paths polled by kubelet probes and Prometheus: logged at debug, not info, so they do not drown the access log. */
export const QUIET_PATHS: ReadonlySet<string> = new Set(["/metrics", "/v2/health/live", "/v2/health/ready", "/v2"]);

/** Levels at which the access log writes a line for a request that did not fail. */
const VERBOSE_LEVELS: ReadonlySet<string> = new Set(["info", "debug", "trace"]);

/**
 * The access log: one line per request when it completes (method, path, status, duration, model and
 * version), bound to the request id (`x-request-id` when the client sent one); probes and /metrics at debug.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Nothing to build when the line would be dropped (the request hot path at --log-level warn).
    if (!error && !VERBOSE_LEVELS.has(reply.log.level)) return;
    const path = request.url.split("?")[0] ?? request.url;
    const line = {
      method: request.method,
      path,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(request.mlops ? { model: request.mlops.model, version: request.mlops.version, endpoint: request.mlops.endpoint } : {}),
    };
    if (error) reply.log.error({ ...line, err: describeError(error) }, "request errored");
    else if (QUIET_PATHS.has(path)) reply.log.debug(line, "request");
    else reply.log.info(line, "request");
  }
}

/** Server settings, validated once at startup. */
export const serverOptions = z
  .object({
    /** Interface to listen on. @default "127.0.0.1" */
    host: z.string().min(1).default("127.0.0.1"),
    /** TCP port; 0 picks a free one. @default 8501 (TF Serving's REST port) */
    port: z.number().int().min(0).max(65535).default(8501),
    /** gRPC port of TF Serving's PredictionService and ModelService; 0 picks a free one, null turns it off. @default 8500 (TF Serving's gRPC port) */
    grpcPort: z.number().int().min(0).max(65535).nullable().default(8500),
    /** gRPC port of the Open Inference Protocol's GRPCInferenceService (may equal grpcPort); null turns it off. @default 8001 (Triton's gRPC port) */
    inferenceGrpcPort: z.number().int().min(0).max(65535).nullable().default(8001),
    /** Largest request body accepted, in bytes. @default 33554432 (32 MiB) */
    bodyLimit: z.number().int().min(1024).default(32 * 1024 * 1024),
    /** Most rows merged into one model call. @default 1000 */
    maxBatchSize: z.number().int().min(1).default(DEFAULT_BATCHING.maxBatchSize),
    /** How long an idle model waits for a batch to fill, in µs; 0 runs at once. @default 0 */
    batchTimeoutMicros: z.number().int().min(0).max(1_000_000).default(DEFAULT_BATCHING.batchTimeoutMicros),
    /** Batches' worth of queued rows before requests get 503. @default 10 */
    maxEnqueuedBatches: z.number().int().min(1).default(DEFAULT_BATCHING.maxEnqueuedBatches),
    /** How often the registry is polled for moved aliases and rollouts, in ms. @default 2000 */
    pollIntervalMs: z.number().int().min(50).default(2000),
    /** How often drift and quality are recomputed, snapshots written and feedback persisted, in ms. @default 10000 */
    monitorIntervalMs: z.number().int().min(50).default(10_000),
    /** Served rows kept per version for drift. @default 5000 */
    driftWindowRows: z.number().int().min(10).max(1_000_000).default(DEFAULT_MONITOR.windowRows),
    /** Fewest rows in the window before drift is computed. @default 100 */
    minDriftRows: z.number().int().min(1).default(DEFAULT_MONITOR.minWindowRows),
    /** Predictions remembered for feedback, in rows. @default 100000 */
    predictionLogRows: z.number().int().min(0).default(DEFAULT_MONITOR.predictionLogRows),
    /**
     * Directory of the write-ahead feedback log: labels are fsync'd here before they are
     * acknowledged, moved to the registry every monitor interval, and replayed at start after a
     * crash. `null` writes each feedback request straight to the registry instead (durable too,
     * one registry object per request). @default ".mlops/feedback-log"
     */
    feedbackLogDir: z.string().min(1).nullable().default(DEFAULT_FEEDBACK_LOG_DIR),
    /** Feedback labels and features further than this many training standard deviations from the training mean are refused (400). @default 100 */
    feedbackMaxAbsZ: z.number().positive().default(DEFAULT_FEEDBACK_MAX_ABS_Z),
    /** Serve the read-only registry console under /ui/. @default false */
    console: z.boolean().default(false),
    /** The platform profile the server runs in (`MLOPS_PROFILE`); the console is refused in `production` unless `consoleInProduction`. @default "dev" */
    profile: z.enum(["dev", "production"]).default("dev"),
    /** Allow the console in the production profile. @default false */
    consoleInProduction: z.boolean().default(false),
    /** Time a client has to send a request's headers, in ms (slow-header clients are cut off). @default 10000 */
    headersTimeoutMs: z.number().int().min(100).default(10_000),
    /** Time a client has to send a whole request, body included, in ms. @default 30000 */
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /** How long an idle keep-alive connection stays open, in ms (above common load balancers' 60 s). @default 72000 */
    keepAliveTimeoutMs: z.number().int().min(100).default(72_000),
    /** Socket inactivity after which a connection is closed whatever it is doing, in ms. @default 120000 */
    idleTimeoutMs: z.number().int().min(100).default(120_000),
  })
  .strict()
  .refine((o) => o.headersTimeoutMs <= o.requestTimeoutMs, { path: ["headersTimeoutMs"], message: "must not be larger than requestTimeoutMs" });

/**
 * Throws MLOPS_ERR_SERVER_CONSOLE_REFUSED when the console is asked for in the production profile
 * without `consoleInProduction`: it shows every model's lineage and history to whoever reaches the port.
 */
export function assertConsoleAllowed(o: { console?: boolean; profile?: string; consoleInProduction?: boolean }): void {
  if (o.console === true && o.profile === "production" && o.consoleInProduction !== true) throw mlopsError("MLOPS_ERR_SERVER_CONSOLE_REFUSED", { profile: o.profile });
}

/** Server settings as given. */
export type ServerOptionsInput = z.input<typeof serverOptions>;

/** A configured server, not yet listening. */
export interface ModelServer {
  app: FastifyInstance;
  pool: ModelPool;
  monitor: ModelMonitor;
  metrics: ServerMetrics;
  options: Readonly<z.output<typeof serverOptions>>;
  /** The gRPC listeners' `host:port` addresses, set by {@link listen} (undefined when off). */
  grpc: GrpcAddresses;
  /** Loads the models and starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish, frees the models. */
  close(): Promise<void>;
}

const packageVersion = (): string => {
  try {
    return (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
};

/** Builds the inference server over a registry: TF Serving REST and gRPC, Open Inference Protocol v2 REST and gRPC, /metrics. */
export function createModelServer(registry: ModelRegistry, input: ServerOptionsInput = {}, log: Log = silentLog): ModelServer {
  const options = Object.freeze(parseWith(serverOptions, input, "server options"));
  assertConsoleAllowed(options);
  const metrics = createServerMetrics();
  const instance = `${hostname()}-${process.pid}`;
  const feedbackLog = options.feedbackLogDir === null ? undefined : new FeedbackLog(registry, options.feedbackLogDir, instance, log, (model, rows) => metrics.feedbackStored.inc({ model }, rows));
  const monitor = new ModelMonitor(
    registry,
    {
      windowRows: options.driftWindowRows,
      minWindowRows: options.minDriftRows,
      qualityRows: DEFAULT_MONITOR.qualityRows,
      predictionLogRows: options.predictionLogRows,
      feedbackMaxAbsZ: options.feedbackMaxAbsZ,
    },
    metrics,
    log,
    feedbackLog,
  );
  const experimentTraffic = new ExperimentTraffic(registry, log);
  const pool = new ModelPool(registry, {
    monitor,
    batching: { maxBatchSize: options.maxBatchSize, batchTimeoutMicros: options.batchTimeoutMicros, maxEnqueuedBatches: options.maxEnqueuedBatches },
    pollIntervalMs: options.pollIntervalMs,
    maxOnDemandVersions: 4,
    metrics,
    log,
  });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new AccessLog({ requestIdLogLabel: "reqId" }),
    bodyLimit: options.bodyLimit,
    requestIdHeader: "x-request-id",
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Slow or stalled clients are cut off instead of holding sockets: Node checks headers and
    // request deadlines every connectionsCheckingInterval (30 s by default, too coarse for a 10 s
    // header deadline).
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    connectionTimeout: options.idleTimeoutMs,
    http: { headersTimeout: options.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs) },
    routerOptions: { ignoreTrailingSlash: true },
  });
  const ctx: ServerContext = {
    pool,
    metrics,
    monitor,
    log,
    version: packageVersion(),
    maxRowsPerRequest: options.maxBatchSize * options.maxEnqueuedBatches,
    sendJson: (reply, status, body) => reply.code(status).type("application/json; charset=utf-8").send(stringifyJson(body)),
  };

  app.decorateRequest("mlops", null);
  // The id the log lines carry, returned so a client can quote it.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  // TF Serving reads any body as JSON whatever its content type (curl -d sends form encoding),
  // and accepts NaN and Infinity literals; Triton's binary tensor extension appends raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body, done) => {
    try {
      done(null, parseRequestBody(body as Buffer, req.headers["inference-header-content-length"]));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook("onResponse", (request, reply, done) => {
    const labels = request.mlops;
    if (!labels) return done();
    const l = { model: labels.model, version: labels.version, endpoint: labels.endpoint, status: String(reply.statusCode), protocol: "http" };
    metrics.requests.inc(l);
    metrics.requestDuration.observe(l, reply.elapsedTime / 1000);
    if (SCORING.has(labels.endpoint) && labels.version !== "") {
      monitor.recordRequest(labels.model, Number(labels.version), reply.statusCode, reply.elapsedTime);
      if (labels.experiment !== undefined) experimentTraffic.record(labels.model, labels.experiment, labels.version, reply.statusCode, reply.elapsedTime);
    }
    done();
  });

  app.setErrorHandler((error: FastifyError | MlopsError, request, reply) => {
    if (error instanceof MlopsError) {
      if (error.status >= 500) request.log.error({ code: error.code, err: error.message }, "request failed");
      return ctx.sendJson(reply, error.status, { error: error.message });
    }
    const status = (error as FastifyError).statusCode;
    if (status === 413) return ctx.sendJson(reply, 413, { error: mlopsError("MLOPS_ERR_INFER_BODY_TOO_LARGE", { limit: options.bodyLimit }).message });
    if (status !== undefined && status >= 400 && status < 500) return ctx.sendJson(reply, status, { error: error.message });
    request.log.error({ err: describeError(error), stack: (error as Error).stack }, "unexpected error");
    return ctx.sendJson(reply, 500, { error: mlopsError("MLOPS_ERR_SERVER_INTERNAL", { reason: `request ${request.id} failed; see the server log` }).message });
  });
  app.setNotFoundHandler((request, reply) => ctx.sendJson(reply, 404, { error: mlopsError("MLOPS_ERR_INFER_NOT_FOUND", { path: request.url }).message }));

  const grpc = createGrpcServing(ctx, { host: options.host, tfServingPort: options.grpcPort, inferencePort: options.inferenceGrpcPort, maxMessageBytes: options.bodyLimit });
  const grpcAddresses: GrpcAddresses = { tfServing: undefined, inference: undefined };

  registerTfServingRoutes(app, ctx);
  registerOpenInferenceRoutes(app, ctx);
  if (options.console) registerConsoleRoutes(app, registry, log);
  app.get("/metrics", async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  let ticker: NodeJS.Timeout | undefined;
  let closing = false;
  // One tick at a time: close() waits for the one under way, then runs the last.
  let ticking: Promise<void> = Promise.resolve();
  const tick = (): Promise<void> => {
    const run = ticking.then(async () => {
      try {
        await monitor.tick();
      } catch (err) {
        log.error({ err: describeError(err) }, "monitor tick failed");
      }
      await experimentTraffic.flush();
    });
    ticking = run.catch(() => undefined); // the caller sees the failure; the next tick still runs
    return run;
  };
  return {
    app,
    pool,
    monitor,
    metrics,
    options,
    grpc: grpcAddresses,
    async listen() {
      const replayed = await feedbackLog?.open();
      if (replayed) log.info({ rows: replayed, dir: options.feedbackLogDir }, "feedback acknowledged before a crash was replayed into the registry");
      await pool.start();
      const url = await app.listen({ host: options.host, port: options.port });
      try {
        Object.assign(grpcAddresses, await grpc.listen());
      } catch (err) {
        await app.close();
        throw err;
      }
      const loop = () => {
        if (closing) return;
        ticker = setTimeout(() => void tick().catch((err: unknown) => log.error({ err: describeError(err) }, "persisting experiment traffic failed")).finally(loop), options.monitorIntervalMs);
        ticker.unref();
      };
      loop();
      return url;
    },
    async close() {
      // After close nothing writes to the registry: no tick is scheduled again, and the last one
      // (which persists what the closing requests recorded) runs after the one under way.
      closing = true;
      clearTimeout(ticker);
      await Promise.all([app.close(), grpc.close()]);
      await tick();
      await feedbackLog?.close().catch((err: unknown) => log.error({ err: describeError(err) }, "cannot close the feedback log; it is replayed at the next start"));
      pool.close();
    },
  };
}
