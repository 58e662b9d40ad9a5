import { Metadata, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { MlopsError, describeError, mlopsError } from "../../errors.ts";
import type { RequestLabels, ScoringContext } from "../scoring.ts";
import { serviceError } from "./grpc-status.ts";

/** What gRPC handlers share with the REST routes: the pool, metrics, monitor and logger, and the package version. */
export interface GrpcContext extends ScoringContext {
  /** Package version, reported by ServerMetadata. */
  version: string;
}

/** Per-call state a handler fills in: the model/version labels and response headers. */
export interface CallState {
  labels: RequestLabels;
  /** Sent as the response's initial metadata (prediction id, answering version). */
  headers: Metadata;
}

/** Endpoints whose calls count towards a version's traffic and error rate, as on REST. */
const SCORING: ReadonlySet<string> = new Set(["predict", "classify", "regress", "infer"]);

let calls = 0;

/**
 * Wraps an async handler as a grpc-js unary handler: errors become gRPC statuses (unexpected ones
 * INTERNAL, logged with a call id), and a call with an `endpoint` is counted in
 * mlops_requests_total / mlops_request_duration_seconds with protocol="grpc" and the HTTP status
 * its outcome maps to, so the 5xx alerts and per-version error rates cover both protocols.
 */
export function unary<Req, Res>(ctx: GrpcContext, endpoint: string | undefined, handler: (request: Req, state: CallState) => Promise<Res> | Res): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    const state: CallState = { labels: { model: "", version: "", endpoint: endpoint ?? "" }, headers: new Metadata() };
    const finish = (httpStatus: number) => {
      if (endpoint === undefined) return;
      const { model, version } = state.labels;
      const l = { model, version, endpoint, status: String(httpStatus), protocol: "grpc" };
      const ms = performance.now() - started;
      ctx.metrics.requests.inc(l);
      ctx.metrics.requestDuration.observe(l, ms / 1000);
      if (SCORING.has(endpoint) && version !== "") ctx.monitor.recordRequest(model, Number(version), httpStatus, ms);
    };
    let result: Promise<Res>;
    try {
      result = Promise.resolve(handler(call.request, state));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (response) => {
        if (Object.keys(state.headers.getMap()).length > 0) call.sendMetadata(state.headers);
        callback(null, response);
        finish(200);
      },
      (err: unknown) => {
        const known =
          err instanceof MlopsError
            ? err
            : mlopsError("MLOPS_ERR_SERVER_INTERNAL", { reason: `gRPC call ${call.getPath()} #${++calls} failed; see the server log` });
        if (known.status >= 500) ctx.log.error({ path: call.getPath(), code: known.code, err: describeError(err), stack: known === err ? undefined : (err as Error)?.stack }, "gRPC call failed");
        callback(serviceError(known));
        finish(known.status);
      },
    );
  };
}
