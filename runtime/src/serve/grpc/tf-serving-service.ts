import { wireKind } from "../../data/preprocessor.ts";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { mlopsError, showValue } from "../../errors.ts";
import { classScores } from "../../model/outputs.ts";
import { type InferTensor, rowsFromExamples, rowsFromTensors } from "../inference-input.ts";
import type { ServedVersion, VersionRef } from "../model-pool.ts";
import { score } from "../scoring.ts";
import { checkSignature, servingSignature, statusVersions } from "../tf-serving.ts";
import { messageType, toNumber } from "./protos.ts";
import { DT, type TensorProtoMessage, readTensorProto, tensorShape } from "./tensor-proto.ts";
import { type CallState, type GrpcContext, unary } from "./unary-call.ts";

/**
 * TF Serving's gRPC API (tensorflow.serving.PredictionService: Predict, Classify, Regress,
 * GetModelMetadata; tensorflow.serving.ModelService: GetModelStatus) over the same scoring path
 * as the REST routes: version resolution and canary split, batching, prediction ids (sent back as
 * `x-mlops-prediction-id` / `x-mlops-model-version` response metadata), drift windows, metrics.
 */

interface ModelSpecMessage {
  name?: string;
  version?: { value: unknown } | null;
  version_label?: string;
  signature_name?: string;
}

interface ExampleMessage {
  features?: { feature?: Record<string, { bytes_list?: { value: Uint8Array[] }; float_list?: { value: number[] }; int64_list?: { value: unknown[] } }> } | null;
}

interface InputMessage {
  example_list?: { examples: ExampleMessage[] } | null;
  example_list_with_context?: { examples: ExampleMessage[]; context?: ExampleMessage | null } | null;
}

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

/** Model name and version reference from a ModelSpec; records the model in the call's labels. */
function modelRef(spec: ModelSpecMessage | null | undefined, state: CallState): { model: string; ref: VersionRef } {
  if (!spec || !spec.name) throw bad("model_spec.name is required: the model to use");
  state.labels.model = spec.name;
  checkSignature(spec.signature_name);
  if (spec.version) return { model: spec.name, ref: { kind: "version", version: toNumber(spec.version.value) } };
  if (spec.version_label) return { model: spec.name, ref: { kind: "label", label: spec.version_label } };
  return { model: spec.name, ref: { kind: "default" } };
}

/** The ModelSpec of the version that answered. */
const answeredSpec = (model: string, sv: ServedVersion) => ({ name: model, version: { value: sv.model.version }, signature_name: "serving_default" });

function answered(state: CallState, sv: ServedVersion, id: string): void {
  state.headers.set("x-mlops-model-version", String(sv.model.version));
  state.headers.set("x-mlops-prediction-id", id);
}

const features = (sv: ServedVersion) => sv.model.preprocessor.features.map((f) => f.name);

/** A tf.Example as a row keyed by feature name: one-element lists are their value, empty ones unknown (null). */
function exampleRow(e: ExampleMessage | null | undefined, where: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(e?.features?.feature ?? {})) {
    let values: unknown[];
    if (f.bytes_list) values = f.bytes_list.value.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"));
    else if (f.float_list) values = Array.from(f.float_list.value);
    else if (f.int64_list) values = f.int64_list.value.map(toNumber);
    else throw bad(`${where}: feature ${showValue(name)} has no bytes_list, float_list or int64_list`);
    row[name] = values.length === 0 ? null : values.length === 1 ? values[0] : values;
  }
  return row;
}

/** Rows of a Classify/Regress Input: an example list, or examples merged with a context. */
function inputRows(sv: ServedVersion, input: InputMessage | null | undefined) {
  if (input?.example_list) return rowsFromExamples(features(sv), input.example_list.examples.map((e, i) => exampleRow(e, `examples[${i}]`)), undefined);
  const withContext = input?.example_list_with_context;
  if (withContext) return rowsFromExamples(features(sv), withContext.examples.map((e, i) => exampleRow(e, `examples[${i}]`)), exampleRow(withContext.context, "context"));
  throw bad("input must hold example_list or example_list_with_context");
}

function requireTask(sv: ServedVersion, model: string, method: "Classify" | "Regress"): void {
  const task = sv.model.preprocessor.targetTransform.task;
  if (method === "Classify" && task === "regression") throw mlopsError("MLOPS_ERR_INFER_UNSUPPORTED", { model, method, reason: "it is a regression model" });
  if (method === "Regress" && task !== "regression") throw mlopsError("MLOPS_ERR_INFER_UNSUPPORTED", { model, method, reason: `it is a ${task} classifier` });
}

/** tensorflow.serving.PredictionService handlers. */
export function predictionService(ctx: GrpcContext): UntypedServiceImplementation {
  const SignatureDefMap = messageType("tensorflow.serving.SignatureDefMap");
  return {
    Predict: unary(ctx, "predict", async (req: { model_spec?: ModelSpecMessage; inputs: Record<string, TensorProtoMessage>; output_filter: string[] }, state) => {
      const { model, ref } = modelRef(req.model_spec, state);
      for (const name of req.output_filter ?? []) if (name !== "predictions") throw bad(`output_filter names ${showValue(name)}; the signature's only output is "predictions"`);
      const { served, y, n, id } = await score(ctx, model, ref, state.labels, (sv) => {
        const tensors: InferTensor[] = Object.entries(req.inputs ?? {}).map(([name, t]) => readTensorProto(name, t));
        const pre = sv.model.preprocessor;
        return rowsFromTensors(features(sv), pre.features.map(wireKind), tensors);
      });
      answered(state, served, id);
      const width = served.model.outputWidth;
      return {
        model_spec: answeredSpec(model, served),
        outputs: { predictions: { dtype: DT.FLOAT, tensor_shape: tensorShape([n, width]), float_val: y.subarray(0, n * width) } },
      };
    }),
    Classify: unary(ctx, "classify", async (req: { model_spec?: ModelSpecMessage; input?: InputMessage }, state) => {
      const { model, ref } = modelRef(req.model_spec, state);
      const { served, y, n, id } = await score(ctx, model, ref, state.labels, (sv) => {
        requireTask(sv, model, "Classify");
        return inputRows(sv, req.input);
      });
      answered(state, served, id);
      const t = served.model.preprocessor.targetTransform;
      return {
        model_spec: answeredSpec(model, served),
        result: { classifications: Array.from({ length: n }, (_, i) => ({ classes: classScores(t, y, i).map(([label, s]) => ({ label, score: s })) })) },
      };
    }),
    Regress: unary(ctx, "regress", async (req: { model_spec?: ModelSpecMessage; input?: InputMessage }, state) => {
      const { model, ref } = modelRef(req.model_spec, state);
      const { served, y, n, id } = await score(ctx, model, ref, state.labels, (sv) => {
        requireTask(sv, model, "Regress");
        return inputRows(sv, req.input);
      });
      answered(state, served, id);
      return { model_spec: answeredSpec(model, served), result: { regressions: Array.from(y.subarray(0, n), (value) => ({ value })) } };
    }),
    GetModelMetadata: unary(ctx, "metadata", async (req: { model_spec?: ModelSpecMessage; metadata_field: string[] }, state) => {
      const { model, ref } = modelRef(req.model_spec, state);
      const fields = req.metadata_field ?? [];
      if (fields.length === 0) throw bad('metadata_field must name at least one field; "signature_def" is supported');
      for (const f of fields) if (f !== "signature_def") throw bad(`metadata_field ${showValue(f)} is not supported; "signature_def" is`);
      const sv = await ctx.pool.acquire(model, ref);
      try {
        state.labels.version = String(sv.model.version);
        const sig = servingSignature(sv);
        const info = (t: (typeof sig.inputs)[number]) => [t.name, { name: t.name, dtype: t.dtype === "DT_FLOAT" ? DT.FLOAT : DT.STRING, tensor_shape: tensorShape(t.shape) }];
        const signatureDef = { inputs: Object.fromEntries(sig.inputs.map(info)), outputs: Object.fromEntries(sig.outputs.map(info)), method_name: sig.method_name };
        const value = SignatureDefMap.encode({ signature_def: { serving_default: signatureDef } }).finish();
        return { model_spec: answeredSpec(model, sv), metadata: { signature_def: { type_url: "type.googleapis.com/tensorflow.serving.SignatureDefMap", value } } };
      } finally {
        ctx.pool.release(sv);
      }
    }),
  };
}

/** tensorflow.serving.ModelService handlers: GetModelStatus. */
export function modelService(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    GetModelStatus: unary(ctx, "status", (req: { model_spec?: ModelSpecMessage }, state) => {
      const { model, ref } = modelRef(req.model_spec, state);
      const versions = statusVersions(ctx.pool, model, ref);
      if (ref.kind !== "default") state.labels.version = String(versions[0]);
      // ModelVersionStatus.State.AVAILABLE = 30; error.Code OK = 0.
      return { model_version_status: versions.map((version) => ({ version, state: 30, status: { error_code: 0, error_message: "" } })) };
    }),
  };
}
