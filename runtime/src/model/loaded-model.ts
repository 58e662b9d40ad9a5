import type { PreprocessorState } from "../data/preprocessor.ts";
import type { ReferenceProfile } from "../drift/index.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry, VersionMetadata } from "../registry/index.ts";
import { MODEL_JSON, WEIGHTS_BIN, deserializeModel } from "./artifacts.ts";
import { tf } from "./backend.ts";
import { PREPROCESSOR_JSON, REFERENCE_PROFILE_JSON } from "./train-model.ts";

/** File name of a version's global importance and explanation reference (written by the explain module's post-training step). */
export const IMPORTANCE_FILE = "importance.json";

/** A registry version in memory: its network, its fitted preprocessing and its metadata. */
export class LoadedModel {
  /** The version's registry metadata. */
  readonly metadata: VersionMetadata;
  /** The transform fitted at training time. */
  readonly preprocessor: PreprocessorState;
  /** The training data's reference profile for drift, when the version has one. */
  readonly profile: ReferenceProfile | undefined;
  /** Columns of the model's output: 1 (binary: P(positive class); regression: the value) or one per class. */
  readonly outputWidth: number;
  /** The version's `importance.json` bytes (global importance and explanation reference), when it has one. */
  readonly importance: Buffer | undefined;
  private readonly network: tf.LayersModel;
  private readonly dense: DenseStep[] | undefined;

  constructor(metadata: VersionMetadata, preprocessor: PreprocessorState, network: tf.LayersModel, profile?: ReferenceProfile, importance?: Buffer) {
    this.metadata = metadata;
    this.importance = importance;
    this.profile = profile;
    this.preprocessor = preprocessor;
    this.network = network;
    const shape = network.outputs[0]?.shape;
    this.outputWidth = shape?.[shape.length - 1] ?? 1;
    this.dense = denseSteps(network);
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
    let profile: ReferenceProfile | undefined;
    if (metadata.files[REFERENCE_PROFILE_JSON]) {
      const key = `models/${model}/versions/${version}/${REFERENCE_PROFILE_JSON}`;
      try {
        profile = JSON.parse((await registry.readFile(model, version, REFERENCE_PROFILE_JSON)).toString("utf8")) as ReferenceProfile;
      } catch (err) {
        if ((err as { code?: string }).code === "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
        throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
      }
    }
    const importance = metadata.files[IMPORTANCE_FILE] ? await registry.readFile(model, version, IMPORTANCE_FILE) : undefined;
    const network = await deserializeModel(modelJson, weights, `models/${model}/versions/${version}`);
    const loaded = new LoadedModel(metadata, preprocessor, network, profile, importance);
    await loaded.predict(new Float32Array(preprocessor.width), 1);
    return loaded;
  }

  /** Runs the network on n encoded rows (n × preprocessor.width) and returns n × outputWidth values. */
  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    const y = tf.tidy((): tf.Tensor => {
      const input = tf.tensor2d(x, [n, this.preprocessor.width]);
      if (!this.dense) return this.network.predict(input) as tf.Tensor;
      let h: tf.Tensor2D = input;
      // wasm and webgl run fusedMatMul as one kernel; tfjs-node and cpu run it as separate ops
      // slower than plain ones (bench/model-call.ts: 765 vs ~250 µs per row on tfjs-node).
      const fused = FUSED_BACKENDS.has(tf.getBackend());
      for (const step of this.dense) {
        if (fused) h = tf.fused.matMul({ a: h, b: step.kernel, bias: step.bias, activation: step.fused }) as tf.Tensor2D;
        else h = ACTIVATE[step.fused](tf.add(tf.matMul(h, step.kernel), step.bias));
        if (step.after) h = step.after(h);
      }
      return h;
    });
    try {
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  }

  /**
   * Gradients of one output unit per row with respect to the encoded input: row r's gradient is of
   * output column `outputs[r]` (0 for binary and regression models). n × preprocessor.width values.
   * Rows are independent in the network, so one gradient of the sum gives every row's gradient.
   */
  async gradients(x: Float32Array, n: number, outputs: Int32Array): Promise<Float32Array> {
    return networkGradients(this.network, x, n, this.preprocessor.width, this.outputWidth, outputs);
  }

  /** Frees the network's tensors. */
  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Gradients of output unit `outputs[r]` of row r with respect to that row's input, for n rows of
 * `width` columns (n × width values). The rows of a dense network do not interact, so one gradient
 * of the masked sum of outputs holds every row's own gradient.
 */
export async function networkGradients(network: tf.LayersModel, x: Float32Array, n: number, width: number, outputWidth: number, outputs: Int32Array): Promise<Float32Array> {
  const g = tf.tidy((): tf.Tensor => {
    const input = tf.tensor2d(x, [n, width]);
    const f =
      outputWidth === 1
        ? (v: tf.Tensor): tf.Tensor => tf.sum(network.apply(v) as tf.Tensor)
        : (v: tf.Tensor): tf.Tensor => tf.sum(tf.mul(network.apply(v) as tf.Tensor, tf.cast(tf.oneHot(tf.tensor1d(outputs, "int32"), outputWidth), "float32")));
    return tf.grad(f)(input);
  });
  try {
    return (await g.data()) as Float32Array;
  } finally {
    g.dispose();
  }
}

type FusedActivation = "linear" | "relu" | "elu" | "sigmoid";
const FUSED_BACKENDS: ReadonlySet<string> = new Set(["wasm", "webgl", "webgpu"]);
const ACTIVATE: Record<FusedActivation, (h: tf.Tensor2D) => tf.Tensor2D> = { linear: (h) => h, relu: (h) => tf.relu(h), elu: (h) => tf.elu(h), sigmoid: (h) => tf.sigmoid(h) };
const FUSED: ReadonlySet<string> = new Set(["linear", "relu", "elu", "sigmoid"]);
const AFTER: Record<string, (h: tf.Tensor2D) => tf.Tensor2D> = { softmax: (h) => tf.softmax(h), tanh: (h) => tf.tanh(h), selu: (h) => tf.selu(h) };

interface DenseStep {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  fused: FusedActivation;
  after: ((h: tf.Tensor2D) => tf.Tensor2D) | undefined;
}

/**
 * The network as a list of fused matMul+bias+activation steps. Layers-model predict walks a
 * symbolic graph per call; on small tabular MLPs one fused kernel per layer is about 3x faster
 * (measured on wasm: 71 vs 227 µs per single-row call). Undefined when the topology is not the
 * plain dense stack the trainer builds, in which case predict falls back to the layers model.
 */
function denseSteps(network: tf.LayersModel): DenseStep[] | undefined {
  const steps: DenseStep[] = [];
  for (const layer of network.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    if (layer.getClassName() !== "Dense") return undefined;
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    const activation = config.activation ?? "linear";
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias || config.useBias === false) return undefined;
    if (FUSED.has(activation)) steps.push({ kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D, fused: activation as FusedActivation, after: undefined });
    else if (AFTER[activation]) steps.push({ kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D, fused: "linear", after: AFTER[activation] });
    else return undefined;
  }
  return steps;
}
