import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mlopsError, showValue } from "../errors.ts";
import { explainRoute } from "./explain-route.ts";
import { classScores } from "../model/outputs.ts";
import { assertRowLimit, rowsFromColumns, rowsFromExamples, rowsFromInstances } from "./inference-input.ts";
import type { FeedbackItem } from "./model-monitor.ts";
import type { ServedVersion, VersionRef } from "./model-pool.ts";
import { rowsJson } from "./json.ts";
import { type RequestLabels, type Scored, experimentKeyOf, score, withoutKeyFeature } from "./scoring.ts";
import { type SignatureTensor, checkSignature, servingSignature, statusVersions } from "./tf-serving.ts";
import type { ServerContext } from "./server-context.ts";

const PATH = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+)|\/labels\/([^/:]+))?(?::(predict|classify|regress|explain)|\/(metadata|feedback))?$/;

interface Parsed {
  model: string;
  ref: VersionRef;
  verb: "predict" | "classify" | "regress" | "explain" | "metadata" | "feedback" | "status";
}

function parsePath(url: string): Parsed | undefined {
  const m = PATH.exec(decodeURI(url.split("?")[0]!));
  if (!m) return undefined;
  const [, model, version, label, method, metadata] = m;
  let ref: VersionRef = { kind: "default" };
  if (version !== undefined) {
    if (!/^\d+$/.test(version)) throw mlopsError("MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", { model: model!, version });
    ref = { kind: "version", version: Number(version) };
  } else if (label !== undefined) ref = { kind: "label", label };
  return { model: model!, ref, verb: (method ?? metadata ?? "status") as Parsed["verb"] };
}

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });
const send = (ctx: ServerContext, reply: FastifyReply, body: unknown) => ctx.sendJson(reply, 200, body);
const JSON_TYPE = "application/json; charset=utf-8";

/** TF Serving's REST API: model status, metadata, :predict, :classify and :regress. */
export function registerTfServingRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const route = (method: "GET" | "POST") => async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = parsePath(request.url);
    if (!parsed) throw mlopsError("MLOPS_ERR_INFER_NOT_FOUND", { path: request.url });
    const labels: RequestLabels = { model: parsed.model, version: "", endpoint: parsed.verb };
    request.mlops = labels;
    const wantsPost = parsed.verb === "predict" || parsed.verb === "classify" || parsed.verb === "regress" || parsed.verb === "explain" || parsed.verb === "feedback";
    if (wantsPost !== (method === "POST")) {
      return ctx.sendJson(reply, 405, { error: `${method} is not allowed on ${request.url}; use ${wantsPost ? "POST" : "GET"}` });
    }
    if (parsed.verb === "status") return send(ctx, reply, status(ctx, parsed, labels));
    if (parsed.verb === "metadata") return withVersion(ctx, parsed, labels, (sv) => send(ctx, reply, metadata(ctx, parsed.model, sv)));
    const body = request.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("request body must be a JSON object");
    const b = body as Record<string, unknown>;
    if (parsed.verb === "feedback") return send(ctx, reply, await feedback(ctx, parsed, b));
    if (parsed.verb === "explain") return explainRoute(ctx, reply, parsed.model, parsed.ref, labels, b);
    checkSignature(b.signature_name);
    const key = parsed.ref.kind === "default" ? experimentKeyOf(ctx.pool, parsed.model, request.headers, b) : undefined;
    if (parsed.verb === "predict") {
      const hasInstances = "instances" in b;
      const hasInputs = "inputs" in b;
      if (hasInstances === hasInputs) throw bad('request must have exactly one of "instances" (row format) or "inputs" (columnar format)');
      const scored = await score(ctx, parsed.model, parsed.ref, labels, (sv) => {
        const features = sv.model.preprocessor.features.map((f) => f.name);
        return hasInstances
          ? rowsFromInstances(features, withoutKeyFeature(ctx.pool, parsed.model, features, b.instances), "instances", ctx.maxRowsPerRequest)
          : rowsFromColumns(features, withoutKeyFeature(ctx.pool, parsed.model, features, b.inputs), ctx.maxRowsPerRequest);
      }, undefined, key);
      const { served, y, n, id } = scored;
      answeredBy(reply, scored);
      // Written straight from the model's outputs: the request hot path (bench/serving.ts).
      const rows = rowsJson(y, n, served.model.outputWidth);
      return reply.code(200).type(JSON_TYPE).send(`{"${hasInstances ? "predictions" : "outputs"}":${rows},"id":${JSON.stringify(id)}}`);
    }
    // classify / regress take tf.Example-style rows: "examples", each merged with the shared "context".
    const scored = await score(ctx, parsed.model, parsed.ref, labels, (sv) => {
      const task = sv.model.preprocessor.targetTransform.task;
      if (parsed.verb === "classify" && task === "regression") {
        throw mlopsError("MLOPS_ERR_INFER_UNSUPPORTED", { model: parsed.model, method: ":classify", reason: "it is a regression model" });
      }
      if (parsed.verb === "regress" && task !== "regression") {
        throw mlopsError("MLOPS_ERR_INFER_UNSUPPORTED", { model: parsed.model, method: ":regress", reason: `it is a ${task} classifier` });
      }
      const features = sv.model.preprocessor.features.map((f) => f.name);
      return rowsFromExamples(features, withoutKeyFeature(ctx.pool, parsed.model, features, b.examples), withoutKeyFeature(ctx.pool, parsed.model, features, b.context), ctx.maxRowsPerRequest);
    }, undefined, key);
    const { served, y, n, id } = scored;
    answeredBy(reply, scored);
    const t = served.model.preprocessor.targetTransform;
    const results = parsed.verb === "regress" ? Array.from(y.subarray(0, n)) : Array.from({ length: n }, (_, i) => classScores(t, y, i));
    return send(ctx, reply, { results, id });
  };
  app.get("/v1/models/*", route("GET"));
  app.post("/v1/models/*", route("POST"));
}

/** Headers naming the version that answered, the prediction id to send feedback for and, when an experiment chose the version, the experiment and variant. */
function answeredBy(reply: FastifyReply, scored: Scored): void {
  reply.header("x-mlops-model-version", String(scored.served.model.version));
  reply.header("x-mlops-prediction-id", scored.id);
  if (scored.experiment !== undefined) {
    reply.header("x-mlops-experiment", scored.experiment);
    reply.header("x-mlops-variant", String(scored.served.model.version));
  }
}

/**
 * `POST /v1/models/{m}/feedback` with `{"feedback": [{"id", "index", "label", "features"?}]}`:
 * labels for earlier predictions (by the id their response carried and the row's index).
 */
function feedback(ctx: ServerContext, parsed: Parsed, b: Record<string, unknown>) {
  if (parsed.ref.kind !== "default") throw bad("send feedback to /v1/models/{model}/feedback; the prediction id already names the version");
  if (!Array.isArray(b.feedback) || b.feedback.length === 0) throw bad('request must have "feedback": a non-empty list of {"id", "index", "label"}');
  assertRowLimit("feedback", b.feedback.length, ctx.maxRowsPerRequest);
  const items: FeedbackItem[] = b.feedback.map((raw, i) => {
    const where = `feedback[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw bad(`${where} must be an object with id, index and label`);
    const f = raw as Record<string, unknown>;
    if (typeof f.id !== "string" || f.id === "") throw bad(`${where}.id must be the prediction id (a string)`);
    const index = f.index ?? 0;
    if (!Number.isInteger(index) || (index as number) < 0) throw bad(`${where}.index must be a non-negative integer, got ${showValue(index)}`);
    if (!("label" in f) || f.label === null || (typeof f.label === "object")) throw bad(`${where}.label must be the true value (a string, number or boolean)`);
    if (f.features !== undefined && (f.features === null || typeof f.features !== "object" || Array.isArray(f.features))) throw bad(`${where}.features must be an object keyed by feature name`);
    return { id: f.id, index: index as number, label: f.label as FeedbackItem["label"], ...(f.features ? { features: f.features as FeedbackItem["features"] } : {}) };
  });
  const fallback = ctx.pool.isLoaded(parsed.model, { kind: "default" }) ? ctx.pool.route(parsed.model).version : undefined;
  return ctx.monitor.addFeedback(parsed.model, items, fallback);
}

async function withVersion<T>(ctx: ServerContext, parsed: Parsed, labels: RequestLabels, use: (sv: ServedVersion) => T): Promise<T> {
  const sv = await ctx.pool.acquire(parsed.model, parsed.ref);
  labels.version = String(sv.model.version);
  try {
    return use(sv);
  } finally {
    ctx.pool.release(sv);
  }
}

function status(ctx: ServerContext, parsed: Parsed, labels: RequestLabels) {
  const versions = statusVersions(ctx.pool, parsed.model, parsed.ref);
  if (parsed.ref.kind !== "default") labels.version = String(versions[0]);
  // TF Serving's ModelVersionStatus: state AVAILABLE for a loaded, servable version.
  return {
    model_version_status: versions.map((v) => ({ version: String(v), state: "AVAILABLE", status: { error_code: "OK", error_message: "" } })),
  };
}

function metadata(ctx: ServerContext, model: string, sv: ServedVersion) {
  const pre = sv.model.preprocessor;
  const sig = servingSignature(sv);
  const info = (t: SignatureTensor) => ({ dtype: t.dtype, tensor_shape: { dim: t.shape.map((s) => ({ size: String(s), name: "" })), unknown_rank: false }, name: t.name });
  const t = pre.targetTransform;
  const meta = sv.model.metadata;
  return {
    model_spec: { name: model, signature_name: "", version: String(sv.model.version) },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: Object.fromEntries(sig.inputs.map((t) => [t.name, info(t)])),
            outputs: Object.fromEntries(sig.outputs.map((t) => [t.name, info(t)])),
            method_name: sig.method_name,
          },
        },
      },
    },
    mlops: {
      task: t.task,
      target: pre.target,
      ...(t.task === "regression" ? {} : { classes: t.classes }),
      features: pre.features.map((f) => (f.kind === "categorical" ? { name: f.name, kind: f.kind, categories: f.categories } : { name: f.name, kind: f.kind })),
      aliases: [...sv.labels],
      created_at: meta.createdAt,
      parent: meta.parent,
      dataset: meta.dataset,
      metrics: meta.metrics,
      backend: meta.backend,
    },
  };
}
