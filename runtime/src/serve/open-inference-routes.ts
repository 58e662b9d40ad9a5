import { wireKind } from "../data/preprocessor.ts";
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mlopsError, showValue } from "../errors.ts";
import { rowsFromInferInputs } from "./inference-input.ts";
import { numbersJson, stringifyJson } from "./json.ts";
import { type InferOutput, OIP_EXTENSIONS, type RequestedOutput, inferOutputs, modelMetadata, resolveOutputs, versionRef } from "./open-inference.ts";
import { encodeBytesTensor, encodeFp32 } from "./raw-tensor.ts";
import { binarySection } from "./request-body.ts";
import { type RequestLabels, experimentKeyOf, score, withoutKeyFeature } from "./scoring.ts";
import type { ServerContext } from "./server-context.ts";

interface Params {
  model: string;
  version?: string;
}

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Reads a boolean request parameter (`binary_data`, `binary_data_output`); absent is false. */
function boolParam(params: unknown, key: string, where: string): boolean {
  if (params === undefined) return false;
  if (!isRecord(params)) throw bad(`${where} must be an object`);
  const v = params[key];
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw bad(`${where}.${key} must be true or false, got ${showValue(v)}`);
  return v;
}

/**
 * Open Inference Protocol v2 (KServe/Triton REST): health, server and model metadata, model
 * readiness and /infer, with Triton's binary tensor data extension. A version may be given by
 * number or by alias (`/versions/champion`).
 */
export function registerOpenInferenceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/v2", async (_req, reply) => ctx.sendJson(reply, 200, { name: "pulumi-mlops", version: ctx.version, extensions: OIP_EXTENSIONS }));
  app.get("/v2/health/live", async (_req, reply) => ctx.sendJson(reply, 200, { live: true }));
  // The protocol answers health and readiness with 200 for true and a 4xx for false.
  // `degraded` (an extension field) says why: an unreadable registry, a model not served, a fallback.
  app.get("/v2/health/ready", async (_req, reply) => {
    const { ready, degraded } = ctx.pool.status();
    return ctx.sendJson(reply, ready ? 200 : 400, degraded.length ? { ready, degraded } : { ready });
  });

  const metadata = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const labels: RequestLabels = { model, version: "", endpoint: "metadata" };
    request.mlops = labels;
    const sv = await ctx.pool.acquire(model, versionRef(version));
    labels.version = String(sv.model.version);
    try {
      return ctx.sendJson(reply, 200, modelMetadata(ctx.pool, model, version, sv));
    } finally {
      ctx.pool.release(sv);
    }
  };
  app.get("/v2/models/:model", metadata);
  app.get("/v2/models/:model/versions/:version", metadata);

  const ready = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const isReady = ctx.pool.isLoaded(model, versionRef(version));
    return ctx.sendJson(reply, isReady ? 200 : 400, { name: model, ready: isReady });
  };
  app.get("/v2/models/:model/ready", ready);
  app.get("/v2/models/:model/versions/:version/ready", ready);

  const infer = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const labels: RequestLabels = { model, version: "", endpoint: "infer" };
    request.mlops = labels;
    const body = request.body;
    if (!isRecord(body)) throw bad("request body must be a JSON object with an inputs list");
    if (body.id !== undefined && typeof body.id !== "string") throw bad(`id must be a string, got ${showValue(body.id)}`);
    const binaryDefault = boolParam(body.parameters, "binary_data_output", "parameters");
    let requested: RequestedOutput[] | undefined;
    if (body.outputs !== undefined) {
      if (!Array.isArray(body.outputs)) throw bad("outputs must be a list of {name}");
      requested = body.outputs.map((o, i) => {
        const name = (o as { name?: unknown } | null)?.name;
        if (typeof name !== "string") throw bad(`outputs[${i}].name must be a string`);
        const params = (o as { parameters?: unknown }).parameters;
        const binary = isRecord(params) && params.binary_data !== undefined ? boolParam(params, "binary_data", `outputs[${i}].parameters`) : binaryDefault;
        return { name, binary };
      });
    }
    const requestId = (body.id as string | undefined) ?? randomUUID();
    let wanted: RequestedOutput[] = [];
    const { served, y, n, id, experiment } = await score(ctx, model, versionRef(version), labels, (sv) => {
      wanted = resolveOutputs(sv, requested, binaryDefault);
      const pre = sv.model.preprocessor;
      const names = pre.features.map((f) => f.name);
      return rowsFromInferInputs(names, pre.features.map(wireKind), withoutKeyFeature(ctx.pool, model, names, body.inputs), { binary: binarySection(body), maxRows: ctx.maxRowsPerRequest });
    }, requestId, version === undefined ? experimentKeyOf(ctx.pool, model, request.headers, body) : undefined);
    reply.header("x-mlops-model-version", String(served.model.version));
    reply.header("x-mlops-prediction-id", id);
    if (experiment !== undefined) {
      reply.header("x-mlops-experiment", experiment);
      reply.header("x-mlops-variant", String(served.model.version));
    }
    const outputs = inferOutputs(served, y, n, wanted);
    const head = { model_name: model, model_version: String(served.model.version), id };
    if (!outputs.some((o) => o.binary)) {
      const text = `{"model_name":${JSON.stringify(model)},"model_version":"${served.model.version}","id":${JSON.stringify(id)},"outputs":[${outputs.map(jsonOutputText).join(",")}]}`;
      return reply.code(200).type("application/json; charset=utf-8").send(text);
    }
    return sendBinary(reply, head, outputs);
  };
  app.post("/v2/models/:model/infer", infer);
  app.post("/v2/models/:model/versions/:version/infer", infer);
}

const jsonOutput = (o: InferOutput) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: Array.from<number | string>(o.values) });
/** {@link jsonOutput} as JSON text, numbers written straight from the outputs (the request hot path). */
const jsonOutputText = (o: InferOutput) =>
  `{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":${JSON.stringify(o.shape)},"data":${o.datatype === "FP32" ? numbersJson(o.values) : JSON.stringify(o.values)}}`;

/**
 * A response with binary outputs: the JSON object (outputs carrying `binary_data_size` instead of
 * `data`), then each binary output's bytes in output order; Inference-Header-Content-Length gives
 * the JSON part's length.
 */
function sendBinary(reply: FastifyReply, head: object, outputs: InferOutput[]): FastifyReply {
  const chunks: Buffer[] = [];
  const described = outputs.map((o) => {
    if (!o.binary) return jsonOutput(o);
    const bytes = o.datatype === "FP32" ? encodeFp32(o.values) : encodeBytesTensor(o.values);
    chunks.push(bytes);
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: bytes.length } };
  });
  const json = Buffer.from(stringifyJson({ ...head, outputs: described }), "utf8");
  reply.header("inference-header-content-length", String(json.length));
  return reply.code(200).type("application/octet-stream").send(Buffer.concat([json, ...chunks]));
}
