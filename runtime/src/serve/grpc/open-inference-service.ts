import { wireKind } from "../../data/preprocessor.ts";
import { randomUUID } from "node:crypto";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { mlopsError, showValue } from "../../errors.ts";
import { type InferTensor, checkTensorHeader, rowsFromTensors } from "../inference-input.ts";
import { type InferOutput, OIP_EXTENSIONS, inferOutputs, modelMetadata, resolveOutputs, versionRef } from "../open-inference.ts";
import { decodeRawTensor, encodeBytesTensor, encodeFp32 } from "../raw-tensor.ts";
import { score } from "../scoring.ts";
import { toNumber } from "./protos.ts";
import { type GrpcContext, unary } from "./unary-call.ts";

/**
 * The Open Inference Protocol's gRPC API (inference.GRPCInferenceService, as KServe and Triton
 * serve it): liveness, readiness, server and model metadata, ModelInfer. Inputs come as typed
 * `contents` or as `raw_input_contents` (one little-endian buffer per input, in input order, as
 * tritonclient.grpc sends them); outputs go back the same way the inputs came.
 */

interface InferInputMessage {
  name: string;
  datatype: string;
  shape: unknown[];
  contents?: Record<string, ArrayLike<unknown>> | null;
}

interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  inputs: InferInputMessage[];
  outputs: { name: string }[];
  raw_input_contents: Uint8Array[];
}

/** Which InferTensorContents field holds each datatype (FP16 has none: raw only). */
const CONTENTS: Record<string, string> = {
  BOOL: "bool_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

function readInputs(req: ModelInferRequestMessage): { tensors: InferTensor[]; raw: boolean } {
  const raw = req.raw_input_contents.length > 0;
  if (raw && req.raw_input_contents.length !== req.inputs.length) {
    throw bad(`raw_input_contents has ${req.raw_input_contents.length} entries for ${req.inputs.length} inputs; send one per input, in input order, or use contents for all`);
  }
  const tensors = req.inputs.map((t, i): InferTensor => {
    const where = `inputs[${i}]`;
    const shape = t.shape.map(toNumber);
    const size = checkTensorHeader(t.name, shape, t.datatype, where);
    const field = CONTENTS[t.datatype];
    const typed = field && t.contents ? t.contents[field] : undefined;
    if (raw) {
      if (typed && typed.length > 0) throw bad(`${where} (${t.name}): has contents while the request uses raw_input_contents; use one or the other for all inputs`);
      return { name: t.name, shape, datatype: t.datatype, data: decodeRawTensor(t.datatype, req.raw_input_contents[i]!, size, `${where} (${t.name})`) };
    }
    if (!field) throw bad(`${where} (${t.name}): ${t.datatype} data can only be sent in raw_input_contents`);
    const values = typed ?? [];
    if (values.length !== size) throw bad(`${where} (${t.name}): shape ${JSON.stringify(shape)} holds ${size} values but contents.${field} has ${values.length}`);
    let data: ArrayLike<unknown> = values;
    if (t.datatype === "BYTES") data = Array.from(values as ArrayLike<Uint8Array>, (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"));
    else if (t.datatype === "INT64" || t.datatype === "UINT64") data = Array.from(values, toNumber);
    return { name: t.name, shape, datatype: t.datatype, data };
  });
  return { tensors, raw };
}

function outputTensor(o: InferOutput, raw: boolean) {
  const head = { name: o.name, datatype: o.datatype, shape: o.shape };
  if (raw) return head;
  return { ...head, contents: o.datatype === "FP32" ? { fp32_contents: o.values } : { bytes_contents: o.values.map((v) => Buffer.from(v, "utf8")) } };
}

/** inference.GRPCInferenceService handlers. */
export function openInferenceService(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    ServerLive: unary(ctx, undefined, () => ({ live: true })),
    ServerReady: unary(ctx, undefined, () => ({ ready: ctx.pool.ready })),
    ModelReady: unary(ctx, undefined, (req: { name: string; version: string }) => ({ ready: ctx.pool.isLoaded(req.name, versionRef(req.version)) })),
    ServerMetadata: unary(ctx, undefined, () => ({ name: "pulumi-mlops", version: ctx.version, extensions: OIP_EXTENSIONS })),
    ModelMetadata: unary(ctx, "metadata", async (req: { name: string; version: string }, state) => {
      if (!req.name) throw bad("name is required: the model to describe");
      state.labels.model = req.name;
      const sv = await ctx.pool.acquire(req.name, versionRef(req.version));
      try {
        state.labels.version = String(sv.model.version);
        return modelMetadata(ctx.pool, req.name, req.version, sv);
      } finally {
        ctx.pool.release(sv);
      }
    }),
    ModelInfer: unary(ctx, "infer", async (req: ModelInferRequestMessage, state) => {
      if (!req.model_name) throw bad("model_name is required: the model to run");
      state.labels.model = req.model_name;
      if (req.inputs.length === 0) throw bad("inputs must be a non-empty list of tensors");
      for (const [i, o] of req.outputs.entries()) if (typeof o.name !== "string" || o.name === "") throw bad(`outputs[${i}].name must be a non-empty string, got ${showValue(o.name)}`);
      const requested = req.outputs.length > 0 ? req.outputs.map((o) => ({ name: o.name, binary: false })) : undefined;
      let raw = false;
      let wanted = requested ?? [];
      const { served, y, n, id } = await score(ctx, req.model_name, versionRef(req.model_version), state.labels, (sv) => {
        wanted = resolveOutputs(sv, requested, false);
        const read = readInputs(req);
        raw = read.raw;
        const pre = sv.model.preprocessor;
        return rowsFromTensors(pre.features.map((f) => f.name), pre.features.map(wireKind), read.tensors);
      }, req.id || randomUUID());
      state.headers.set("x-mlops-model-version", String(served.model.version));
      state.headers.set("x-mlops-prediction-id", id);
      const outputs = inferOutputs(served, y, n, wanted);
      return {
        model_name: req.model_name,
        model_version: String(served.model.version),
        id,
        outputs: outputs.map((o) => outputTensor(o, raw)),
        raw_output_contents: raw ? outputs.map((o) => (o.datatype === "FP32" ? encodeFp32(o.values) : encodeBytesTensor(o.values))) : [],
      };
    }),
  };
}
