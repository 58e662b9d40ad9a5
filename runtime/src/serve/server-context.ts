import type { FastifyReply } from "fastify";
import type { Log } from "../log.ts";
import type { ModelMonitor } from "./model-monitor.ts";
import type { ModelPool } from "./model-pool.ts";
import type { RequestLabels, ScoringContext } from "./scoring.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** What route handlers share: the loaded models, the monitor, the metrics and the logger. */
export interface ServerContext extends ScoringContext {
  pool: ModelPool;
  metrics: ServerMetrics;
  monitor: ModelMonitor;
  log: Log;
  /** Package version, reported by `GET /v2`. */
  version: string;
  /** Most rows (or feedback items) one request may carry: what the batcher can queue at once. */
  maxRowsPerRequest: number;
  /** Sends a JSON body that may hold NaN/Infinity (written as TF Serving writes them). */
  sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Model, version and endpoint of an inference request, for metrics. */
    mlops: RequestLabels | null;
  }
}
