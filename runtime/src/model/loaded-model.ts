import type { PreprocessorState } from "../data/preprocessor.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry, VersionMetadata } from "../registry/index.ts";
import { MODEL_JSON, WEIGHTS_BIN, deserializeModel } from "./artifacts.ts";
import { tf } from "./backend.ts";
import { PREPROCESSOR_JSON } from "./train-model.ts";

/** A registry version in memory: its network, its fitted preprocessing and its metadata. */
export class LoadedModel {
  /** The version's registry metadata. */
  readonly metadata: VersionMetadata;
  /** The transform fitted at training time. */
  readonly preprocessor: PreprocessorState;
  /** Columns of the model's output: 1 (binary: P(positive class); regression: the value) or one per class. */
  readonly outputWidth: number;
  private readonly network: tf.LayersModel;

  constructor(metadata: VersionMetadata, preprocessor: PreprocessorState, network: tf.LayersModel) {
    this.metadata = metadata;
    this.preprocessor = preprocessor;
    this.network = network;
    const shape = network.outputs[0]?.shape;
    this.outputWidth = shape?.[shape.length - 1] ?? 1;
  }

  /** Model name. */
  get name(): string {
    return this.metadata.model;
  }
  /** Version number. */
  get version(): number {
    return this.metadata.version;
  }

  /** Loads a version from the registry (checksums verified) and warms the network up with one zero row. */
  static async load(registry: ModelRegistry, model: string, version: number): Promise<LoadedModel> {
    const metadata = await registry.getVersion(model, version);
    const [modelJson, weights, pre] = await Promise.all([
      registry.readFile(model, version, MODEL_JSON),
      registry.readFile(model, version, WEIGHTS_BIN),
      registry.readFile(model, version, PREPROCESSOR_JSON),
    ]);
    let preprocessor: PreprocessorState;
    try {
      preprocessor = JSON.parse(pre.toString("utf8")) as PreprocessorState;
    } catch (err) {
      throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key: `models/${model}/versions/${version}/${PREPROCESSOR_JSON}`, reason: (err as Error).message });
    }
    if (preprocessor.formatVersion !== 1 || !Array.isArray(preprocessor.features)) {
      throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key: `models/${model}/versions/${version}/${PREPROCESSOR_JSON}`, reason: `unsupported formatVersion ${String(preprocessor.formatVersion)}` });
    }
    const network = await deserializeModel(modelJson, weights, `models/${model}/versions/${version}`);
    const loaded = new LoadedModel(metadata, preprocessor, network);
    await loaded.predict(new Float32Array(preprocessor.width), 1);
    return loaded;
  }

  /** Runs the network on n encoded rows (n × preprocessor.width) and returns n × outputWidth values. */
  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    const y = tf.tidy(() => this.network.predict(tf.tensor2d(x, [n, this.preprocessor.width])) as tf.Tensor);
    try {
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  }

  /** Frees the network's tensors. */
  dispose(): void {
    this.network.dispose();
  }
}
