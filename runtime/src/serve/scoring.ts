import { randomUUID } from "node:crypto";
import { type EncodeReport, SERVE, encodeRows } from "../data/preprocessor.ts";
import type { Log } from "../log.ts";
import { describeError, mlopsError } from "../errors.ts";
import type { RequestRows } from "./inference-input.ts";
import type { ModelMonitor } from "./model-monitor.ts";
import type { ModelPool, ServedVersion, VersionRef } from "./model-pool.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** Outputs of one request: the version that answered and its n × outputWidth values. */
export interface Scored {
  served: ServedVersion;
  y: Float32Array;
  n: number;
  /** Prediction id: send it back with labels to the feedback endpoint. */
  id: string;
  /** The experiment that chose the version, when one did. */
  experiment?: string;
}

/** Which model and version a request is about, and the endpoint, for metrics and logs. */
export interface RequestLabels {
  model: string;
  version: string;
  endpoint: string;
  /** The experiment that routed the request, for its per-variant traffic counts. */
  experiment?: string;
}

/** What scoring needs from the server. */
export interface ScoringContext {
  pool: ModelPool;
  metrics: ServerMetrics;
  monitor: ModelMonitor;
  log: Log;
  /** Most rows one request may carry (max batch size × max enqueued batches); more is a 413. */
  maxRowsPerRequest: number;
}

/**
 * Resolves the version (an unlabelled request follows the model's rollout: champion, canary
 * share to the challenger, shadow copy), encodes the request's rows with that version's own
 * preprocessing and runs them through its batcher. `extract` reads the rows once the version
 * (and so its feature list) is known. The rows and outputs are remembered under a prediction id
 * for feedback and drift. `experimentKey` is the request's sticky key for the model's running
 * experiment (see {@link experimentKeyOf}), which then picks the version.
 */
export async function score(ctx: ScoringContext, model: string, ref: VersionRef, labels: RequestLabels, extract: (served: ServedVersion) => RequestRows, id: string = randomUUID(), experimentKey?: string): Promise<Scored> {
  const route = ref.kind === "default" ? ctx.pool.route(model, experimentKey) : undefined;
  const served = await ctx.pool.acquire(model, route ? { kind: "version", version: route.version } : ref);
  labels.version = String(served.model.version);
  // Set before scoring, so a request the variant fails still counts against it.
  if (route?.experiment !== undefined) labels.experiment = route.experiment;
  try {
    const rows = extract(served);
    // REST checks the count before reading rows; this is the backstop for every protocol (gRPC).
    if (rows.n > ctx.maxRowsPerRequest) throw mlopsError("MLOPS_ERR_INFER_TOO_MANY_ROWS", { field: "request", rows: rows.n, limit: ctx.maxRowsPerRequest });
    const report: EncodeReport = { rows: 0, features: {} };
    const x = encodeRows(served.model.preprocessor, rows.n, rows.get, SERVE, report);
    for (const [feature, issues] of Object.entries(report.features)) {
      if (issues.missing > 0) ctx.metrics.imputedValues.inc({ model, version: labels.version, feature }, issues.missing);
    }
    const y = await served.batcher.submit(x, rows.n, model);
    ctx.monitor.recordPrediction(id, model, served.model.version, rows.n, rows.get, y, served.model.outputWidth, route?.experiment);
    if (route?.shadow !== undefined) shadow(ctx, model, route.shadow, id, served, rows);
    return { served, y, n: rows.n, id, ...(route?.experiment === undefined ? {} : { experiment: route.experiment }) };
  } finally {
    ctx.pool.release(served);
  }
}

/**
 * Scores a copy on the shadow version after the answer is sent, encoded with the shadow
 * version's own preprocessing; its result is only compared, never returned.
 */
function shadow(ctx: ScoringContext, model: string, version: number, id: string, primary: ServedVersion, rows: RequestRows): void {
  void (async () => {
    const sv = await ctx.pool.acquire(model, { kind: "version", version });
    try {
      const names = (s: ServedVersion) => s.model.preprocessor.features.map((f) => f.name).join("\u0000");
      if (names(sv) !== names(primary)) throw new Error("the shadow version takes different features");
      const x = encodeRows(sv.model.preprocessor, rows.n, rows.get, SERVE);
      const y = await sv.batcher.submit(x, rows.n, model);
      ctx.monitor.recordShadow(id, model, version, y);
    } finally {
      ctx.pool.release(sv);
    }
  })().catch((err) => ctx.log.warn({ model, version, err: describeError(err) }, "shadow scoring failed"));
}

/**
 * The sticky key of a request for the experiment routing `model`, if one does: the named header,
 * or the named feature of the first row (TF Serving rows or columns, tf.Example rows and context,
 * Open Inference tensors). Strings, numbers and booleans become their text; anything else, or a
 * missing key, leaves the request outside the experiment (served by the champion).
 */
export function experimentKeyOf(pool: ModelPool, model: string, headers: Record<string, string | string[] | undefined>, body: unknown): string | undefined {
  const spec = pool.experimentKey(model);
  if (!spec) return undefined;
  const text = (v: unknown): string | undefined => (typeof v === "string" ? (v === "" ? undefined : v) : typeof v === "number" || typeof v === "boolean" ? String(v) : Array.isArray(v) && v.length === 1 ? text(v[0]) : undefined);
  if (spec.source === "header") {
    const h = headers[spec.name.toLowerCase()];
    return text(Array.isArray(h) ? h[0] : h);
  }
  if (body === null || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const field = (o: unknown): unknown => (o !== null && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[spec.name] : undefined);
  if (Array.isArray(b.instances)) return text(field(b.instances[0]));
  if (Array.isArray(b.examples)) return text(field(b.examples[0]) ?? field(b.context));
  if (Array.isArray(b.inputs)) {
    const t = b.inputs.find((i) => field(i) === undefined && (i as { name?: unknown })?.name === spec.name) as { data?: unknown } | undefined;
    return Array.isArray(t?.data) ? text(t.data.flat(4)[0]) : undefined;
  }
  const col = field(b.inputs);
  return Array.isArray(col) ? text(col[0]) : undefined;
}

/**
 * The request's rows without the experiment's key field, when the key is a feature the model does
 * not take (a customer id, say): the model must not see it, and would refuse it as unknown.
 */
export function withoutKeyFeature<T>(pool: ModelPool, model: string, features: readonly string[], rows: T): T {
  const spec = pool.experimentKey(model);
  if (!spec || spec.source !== "feature" || features.includes(spec.name)) return rows;
  const drop = (o: unknown): unknown => {
    if (o === null || typeof o !== "object" || Array.isArray(o) || !Object.hasOwn(o, spec.name)) return o;
    const { [spec.name]: _key, ...rest } = o as Record<string, unknown>;
    return rest;
  };
  if (!Array.isArray(rows)) return drop(rows) as T;
  if (rows.some((r) => (r as { name?: unknown } | null)?.name === spec.name && "datatype" in (r as object))) return rows.filter((r) => (r as { name?: unknown }).name !== spec.name) as T;
  return rows.map(drop) as T;
}
