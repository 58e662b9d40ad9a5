import { mlopsError } from "../errors.ts";
import { tf } from "./backend.ts";

/** File names of a model's TensorFlow.js artifacts inside a registry version. */
export const MODEL_JSON = "model.json";
/** The weights file named by model.json's weightsManifest. */
export const WEIGHTS_BIN = "weights.bin";

/**
 * Serialises a layers model to the standard tfjs layers format (model.json + one weights file),
 * loadable with tf.loadLayersModel from a file:// or http(s) URL. Pure tfjs has no file save
 * handler, so this captures the artifacts in memory.
 */
export async function serializeModel(model: tf.LayersModel): Promise<Record<string, Buffer>> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (!captured?.weightData || !captured.weightSpecs) throw new Error("model.save produced no weights");
  const weightData = captured.weightData;
  const weights = Buffer.concat((Array.isArray(weightData) ? weightData : [weightData]).map((b) => Buffer.from(b)));
  const modelJson = {
    format: "layers-model",
    generatedBy: captured.generatedBy,
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: captured.weightSpecs }],
  };
  return { [MODEL_JSON]: Buffer.from(JSON.stringify(modelJson)), [WEIGHTS_BIN]: weights };
}

/** Loads a layers model from the bytes written by {@link serializeModel}. */
export async function deserializeModel(modelJson: Buffer, weights: Buffer, where: string): Promise<tf.LayersModel> {
  let parsed: { modelTopology?: object; weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    parsed = JSON.parse(modelJson.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key: `${where}/${MODEL_JSON}`, reason: (err as Error).message });
  }
  const specs = parsed.weightsManifest?.flatMap((g) => g.weights);
  if (!parsed.modelTopology || !specs) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key: `${where}/${MODEL_JSON}`, reason: "missing modelTopology or weightsManifest" });
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: specs, weightData: data }));
}
