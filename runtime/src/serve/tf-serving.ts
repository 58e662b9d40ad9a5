import { mlopsError, showValue } from "../errors.ts";
import type { ModelPool, ServedVersion, VersionRef } from "./model-pool.ts";

/** What TF Serving's REST and gRPC APIs share: signature names, the signature, version status. */

/** Signature names a request may give: the default signature is the only one. */
const SIGNATURES: ReadonlySet<string> = new Set(["", "serving_default", "predict"]);

/** Refuses a signature other than the default one. */
export function checkSignature(name: unknown): void {
  if (name !== undefined && name !== null && !SIGNATURES.has(String(name))) {
    throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `Serving signature name: ${showValue(name)} not found in signature def; use "serving_default"` });
  }
}

/** One input or output of the signature. */
export interface SignatureTensor {
  name: string;
  dtype: "DT_FLOAT" | "DT_STRING";
  /** -1 for the batch dimension. */
  shape: number[];
}

/** The `serving_default` signature of a version: one [-1] input per feature, a [-1, width] `predictions` output. */
export function servingSignature(sv: ServedVersion): { inputs: SignatureTensor[]; outputs: SignatureTensor[]; method_name: string } {
  return {
    inputs: sv.model.preprocessor.features.map((f) => ({ name: f.name, dtype: f.kind === "numerical" ? "DT_FLOAT" : "DT_STRING", shape: [-1] })),
    outputs: [{ name: "predictions", dtype: "DT_FLOAT", shape: [-1, sv.model.outputWidth] }],
    method_name: "tensorflow/serving/predict",
  };
}

/**
 * The loaded versions a status request is about: all of the model's, or the one a number or
 * label names (404 when it is not loaded).
 */
export function statusVersions(pool: ModelPool, model: string, ref: VersionRef): number[] {
  const versions = pool.loadedVersions(model).map((v) => v.model.version);
  if (ref.kind === "default") return versions;
  const wanted = ref.kind === "version" ? ref.version : pool.aliases(model)[ref.label];
  if (wanted === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model, alias: (ref as { label: string }).label });
  if (!versions.includes(wanted)) throw mlopsError("MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", { model, version: String(wanted) });
  return [wanted];
}
