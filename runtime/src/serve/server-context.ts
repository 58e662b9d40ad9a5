import type { FastifyReply } from "fastify";
import type { Log } from "../log.ts";
import type { ModelPool } from "./model-pool.ts";
import type { RequestLabels } from "./scoring.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** What route handlers share: the loaded models, the metrics and the logger. */
export interface ServerContext {
  pool: ModelPool;
  metrics: ServerMetrics;
  log: Log;
  /** Package version, reported by `GET /v2`. */
  version: string;
  /** Sends a JSON body that may hold NaN/Infinity (written as TF Serving writes them). */
  sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Model, version and endpoint of an inference request, for metrics. */
    mlops: RequestLabels | null;
  }
}
