import { mlopsError, showValue } from "../errors.ts";
import { predictedLabel } from "../model/outputs.ts";
import type { ModelPool, ServedVersion, VersionRef } from "./model-pool.ts";

/**
 * What the Open Inference Protocol's REST and gRPC bindings share: version references, model
 * metadata, the outputs a model produces and how a request picks them.
 */

/** Extensions the server implements, as `GET /v2` and gRPC ServerMetadata report them. */
export const OIP_EXTENSIONS: readonly string[] = ["binary_tensor_data"];

/** A version given by number (`"3"`) or by alias (`"champion"`); empty or absent is the default. */
export const versionRef = (version: string | undefined): VersionRef =>
  version === undefined || version === "" ? { kind: "default" } : /^\d+$/.test(version) ? { kind: "version", version: Number(version) } : { kind: "label", label: version };

/** Output tensors of a version: class probabilities (or the regression value) and, for classifiers, the label. */
export function outputNames(sv: ServedVersion): string[] {
  return sv.model.preprocessor.targetTransform.task === "regression" ? ["predictions"] : ["predictions", "label"];
}

/** Model metadata (the REST body and the gRPC ModelMetadataResponse have the same fields). */
export function modelMetadata(pool: ModelPool, model: string, version: string | undefined, sv: ServedVersion) {
  const pre = sv.model.preprocessor;
  return {
    name: model,
    versions: version === undefined || version === "" ? pool.loadedVersions(model).map((v) => String(v.model.version)) : [String(sv.model.version)],
    platform: "tensorflowjs_layers",
    inputs: pre.features.map((f) => ({ name: f.name, datatype: f.kind === "numerical" ? "FP32" : "BYTES", shape: [-1] })),
    outputs: outputNames(sv).map((name) => (name === "label" ? { name, datatype: "BYTES", shape: [-1] } : { name, datatype: "FP32", shape: [-1, sv.model.outputWidth] })),
  };
}

/** One output of an answered request. */
export type InferOutput =
  | { name: string; datatype: "FP32"; shape: number[]; values: Float32Array; binary: boolean }
  | { name: string; datatype: "BYTES"; shape: number[]; values: string[]; binary: boolean };

/** An output the client asked for, and whether it wants it as raw bytes. */
export interface RequestedOutput {
  name: string;
  binary: boolean;
}

/** Checks that every requested output exists; no request means every output (as JSON unless `binaryDefault`). */
export function resolveOutputs(sv: ServedVersion, requested: RequestedOutput[] | undefined, binaryDefault: boolean): RequestedOutput[] {
  const available = outputNames(sv);
  if (requested === undefined) return available.map((name) => ({ name, binary: binaryDefault }));
  for (const o of requested) if (!available.includes(o.name)) throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `output ${showValue(o.name)} is not produced by the model (outputs: ${available.join(", ")})` });
  return requested;
}

/** The requested outputs of `n` scored rows. */
export function inferOutputs(served: ServedVersion, y: Float32Array, n: number, wanted: RequestedOutput[]): InferOutput[] {
  const width = served.model.outputWidth;
  const t = served.model.preprocessor.targetTransform;
  return wanted.map(({ name, binary }) =>
    name === "label"
      ? { name, datatype: "BYTES", shape: [n], values: Array.from({ length: n }, (_, i) => predictedLabel(t, y, i)), binary }
      : { name, datatype: "FP32", shape: [n, width], values: y.subarray(0, n * width), binary },
  );
}
