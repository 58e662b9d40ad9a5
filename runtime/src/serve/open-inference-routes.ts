import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mlopsError, showValue } from "../errors.ts";
import { predictedLabel } from "../model/outputs.ts";
import { rowsFromInferInputs } from "./inference-input.ts";
import type { ServedVersion, VersionRef } from "./model-pool.ts";
import { type RequestLabels, score } from "./scoring.ts";
import type { ServerContext } from "./server-context.ts";

interface Params {
  model: string;
  version?: string;
}

const refOf = (version: string | undefined): VersionRef =>
  version === undefined ? { kind: "default" } : /^\d+$/.test(version) ? { kind: "version", version: Number(version) } : { kind: "label", label: version };

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

function outputNames(sv: ServedVersion): string[] {
  return sv.model.preprocessor.targetTransform.task === "regression" ? ["predictions"] : ["predictions", "label"];
}

/**
 * Open Inference Protocol v2 (KServe/Triton REST): health, server and model metadata, model
 * readiness and /infer. A version may be given by number or by alias (`/versions/champion`).
 */
export function registerOpenInferenceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/v2", async (_req, reply) => ctx.sendJson(reply, 200, { name: "pulumi-mlops", version: ctx.version, extensions: [] }));
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
    const sv = await ctx.pool.acquire(model, refOf(version));
    labels.version = String(sv.model.version);
    try {
      const pre = sv.model.preprocessor;
      return ctx.sendJson(reply, 200, {
        name: model,
        versions: version === undefined ? ctx.pool.loadedVersions(model).map((v) => String(v.model.version)) : [String(sv.model.version)],
        platform: "tensorflowjs_layers",
        inputs: pre.features.map((f) => ({ name: f.name, datatype: f.kind === "numerical" ? "FP32" : "BYTES", shape: [-1] })),
        outputs: outputNames(sv).map((name) =>
          name === "label" ? { name, datatype: "BYTES", shape: [-1] } : { name, datatype: "FP32", shape: [-1, sv.model.outputWidth] },
        ),
      });
    } finally {
      ctx.pool.release(sv);
    }
  };
  app.get("/v2/models/:model", metadata);
  app.get("/v2/models/:model/versions/:version", metadata);

  const ready = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const isReady = ctx.pool.isLoaded(model, refOf(version));
    return ctx.sendJson(reply, isReady ? 200 : 400, { name: model, ready: isReady });
  };
  app.get("/v2/models/:model/ready", ready);
  app.get("/v2/models/:model/versions/:version/ready", ready);

  const infer = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const labels: RequestLabels = { model, version: "", endpoint: "infer" };
    request.mlops = labels;
    const body = request.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("request body must be a JSON object with an inputs list");
    const b = body as Record<string, unknown>;
    if (b.id !== undefined && typeof b.id !== "string") throw bad(`id must be a string, got ${showValue(b.id)}`);
    let requested: string[] | undefined;
    if (b.outputs !== undefined) {
      if (!Array.isArray(b.outputs)) throw bad("outputs must be a list of {name}");
      requested = b.outputs.map((o, i) => {
        const name = (o as { name?: unknown } | null)?.name;
        if (typeof name !== "string") throw bad(`outputs[${i}].name must be a string`);
        return name;
      });
    }
    const requestId = (b.id as string | undefined) ?? randomUUID();
    const { served, y, n, id } = await score(ctx, model, refOf(version), labels, (sv) => {
      const available = outputNames(sv);
      for (const name of requested ?? []) if (!available.includes(name)) throw bad(`output ${showValue(name)} is not produced by the model (outputs: ${available.join(", ")})`);
      const pre = sv.model.preprocessor;
      return rowsFromInferInputs(pre.features.map((f) => f.name), pre.features.map((f) => f.kind), b.inputs, ctx.maxRowsPerRequest);
    }, requestId);
    const width = served.model.outputWidth;
    const t = served.model.preprocessor.targetTransform;
    const outputs = (requested ?? outputNames(served)).map((name) =>
      name === "label"
        ? { name, datatype: "BYTES", shape: [n], data: Array.from({ length: n }, (_, i) => predictedLabel(t, y, i)) }
        : { name, datatype: "FP32", shape: [n, width], data: Array.from(y.subarray(0, n * width)) },
    );
    reply.header("x-mlops-model-version", String(served.model.version));
    reply.header("x-mlops-prediction-id", id);
    return ctx.sendJson(reply, 200, { model_name: model, model_version: String(served.model.version), id, outputs });
  };
  app.post("/v2/models/:model/infer", infer);
  app.post("/v2/models/:model/versions/:version/infer", infer);
}
