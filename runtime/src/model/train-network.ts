import type { ResolvedNetworkConfig, Task } from "../data/model-config.ts";
import { mlopsError } from "../errors.ts";
import { tf } from "./backend.ts";
import { buildNetwork, outputUnits } from "./network.ts";
import { seededRandom, shuffleInPlace } from "./random.ts";

/** Encoded rows and their targets (class index, or raw value for regression). */
export interface TrainingSplit {
  /** n × width, row-major. */
  x: Float32Array;
  /** Class index, or the raw regression target (float64: standardised before it becomes float32). */
  y: Float64Array | Float32Array;
  n: number;
  /** Per-row loss weights (class weights); the loss is Σ wᵢ lᵢ / n. @default - every row weighs 1 */
  w?: Float32Array;
}

/** One line of training progress. */
export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number;
  /** Accuracy (classification) or RMSE in target units (regression) on the validation split. */
  valMetric: { name: "accuracy" | "rmse"; value: number };
  /** Whether this epoch's validation loss is the best so far (its weights are kept). */
  improved: boolean;
  elapsedMs: number;
  /** Upper bound: early stopping may end sooner. */
  etaMs: number;
  samplesPerSecond: number;
}

/** Inputs to {@link fitNetwork}. */
export interface FitOptions {
  task: Task;
  /** Number of classes (ignored for regression). */
  classes: number;
  width: number;
  network: ResolvedNetworkConfig;
  train: TrainingSplit;
  /** Rows for early stopping. Without them training runs exactly `network.epochs` epochs (a refit) and valLoss is NaN. */
  validation?: TrainingSplit;
  /** Regression targets are standardised for training and the scale folded back into the output layer. */
  targetScale?: { mean: number; std: number };
  onEpoch?: (p: EpochProgress) => void;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

/** A trained network and how training went. */
export interface FitResult {
  model: tf.Sequential;
  history: EpochProgress[];
  bestEpoch: number;
  stoppedEarly: boolean;
  samplesPerSecond: number;
}

/**
 * Trains the MLP with a hand-written loop (Adam, shuffled mini-batches gathered by index, one
 * host sync per epoch), early stopping on validation loss with the best weights restored.
 * Deterministic for a given seed on a given backend: the split order, initial weights and
 * per-step dropout masks all derive from `network.seed`.
 */
export async function fitNetwork(options: FitOptions): Promise<FitResult> {
  const { task, network, train, width } = options;
  const validation = options.validation;
  const now = options.now ?? (() => performance.now());
  const k = outputUnits(task, options.classes);
  const scale = task === "regression" ? (options.targetScale ?? { mean: 0, std: 1 }) : undefined;
  const model = buildNetwork(width, task, options.classes, network);
  const hidden = model.layers.slice(0, -1);
  const out = model.layers[model.layers.length - 1]!;
  const [kernel, bias] = out.trainableWeights.map((w) => w.read());
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(network.learningRate);

  const targets = (s: TrainingSplit) =>
    tf.tidy(() => {
      if (task === "multiclass") return tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(s.y), "int32"), k), "float32");
      const y = Float32Array.from(s.y, (v) => (scale ? (v - scale.mean) / scale.std : v));
      return tf.tensor2d(y, [s.n, 1]);
    });
  const weightsOf = (s: TrainingSplit) => (s.w ? (task === "multiclass" ? tf.tensor1d(s.w) : tf.tensor2d(s.w, [s.n, 1])) : undefined);
  const xTrain = tf.tensor2d(train.x, [train.n, width]);
  const yTrain = targets(train);
  const wTrain = weightsOf(train);
  const xVal = validation ? tf.tensor2d(validation.x, [validation.n, width]) : undefined;
  const yVal = validation ? targets(validation) : undefined;
  const wVal = validation ? weightsOf(validation) : undefined;

  const logits = (x: tf.Tensor, step: number | undefined): tf.Tensor => {
    let h = x;
    hidden.forEach((layer, i) => {
      h = layer.apply(h) as tf.Tensor;
      if (step !== undefined && network.dropout > 0) h = tf.dropout(h, network.dropout, undefined, network.seed * 7919 + step * 31 + i);
    });
    return tf.add(tf.matMul(h, kernel!), bias!);
  };
  const kernels = model.layers.map((l) => l.trainableWeights[0]!.read() as tf.Variable);
  // L2 on the kernels only, in the training objective (the validation loss stays the plain loss).
  const penalised = (loss: tf.Scalar): tf.Scalar =>
    network.weightDecay > 0 ? tf.add(loss, tf.mul(network.weightDecay / 2, tf.addN(kernels.map((w) => tf.sum(tf.square(w)))))) : loss;
  const lossOf = (z: tf.Tensor, y: tf.Tensor, w?: tf.Tensor): tf.Scalar => {
    if (!w) {
      return task === "binary"
        ? tf.losses.sigmoidCrossEntropy(y, z)
        : task === "multiclass"
          ? tf.losses.softmaxCrossEntropy(y, z)
          : tf.losses.meanSquaredError(y, z);
    }
    // Σ wᵢ lᵢ / n (not / Σ wᵢ): balanced weights average 1, so the loss keeps its scale.
    const sum = task === "binary" ? tf.losses.sigmoidCrossEntropy(y, z, w, 0, tf.Reduction.SUM) : tf.losses.softmaxCrossEntropy(y, z, w, 0, tf.Reduction.SUM);
    return tf.div(sum, z.shape[0]!) as tf.Scalar;
  };

  const random = seededRandom(network.seed);
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  const history: EpochProgress[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  let stoppedEarly = false;
  let step = 0;
  const started = now();
  try {
    for (let epoch = 1; epoch <= network.epochs; epoch++) {
      shuffleInPlace(order, random);
      let lossSum = tf.scalar(0);
      for (let start = 0; start < train.n; start += network.batchSize) {
        const end = Math.min(train.n, start + network.batchSize);
        const s = step++;
        const weighted = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(start, end), "int32");
          const xb = tf.gather(xTrain, idx);
          const yb = tf.gather(yTrain, idx);
          const wb = wTrain ? tf.gather(wTrain, idx) : undefined;
          const cost = optimizer.minimize(() => penalised(lossOf(logits(xb, s), yb, wb)), true, vars)!;
          return tf.add(lossSum, tf.mul(cost, end - start));
        });
        lossSum.dispose();
        lossSum = weighted as tf.Scalar;
      }
      const loss = (await lossSum.data())[0]! / train.n;
      lossSum.dispose();
      // On wasm and cpu, data() resolves as a microtask: without a turn of the event loop per
      // epoch, a long run never sees I/O or timers (its parent-death watch, a progress line).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const [valLoss, valMetric] = validation ? await evaluate(xVal!, yVal!, wVal, validation) : [Number.NaN, { name: task === "regression" ? "rmse" : "accuracy", value: Number.NaN } as EpochProgress["valMetric"]];
      if (!Number.isFinite(loss) || (validation && !Number.isFinite(valLoss))) throw mlopsError("MLOPS_ERR_MODEL_DIVERGED", { epoch });
      const improved = validation ? valLoss < best - 1e-7 : true;
      if (improved) {
        best = valLoss;
        bestEpoch = epoch;
        if (validation) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      }
      const elapsedMs = now() - started;
      const p: EpochProgress = {
        epoch,
        epochs: network.epochs,
        loss,
        valLoss,
        valMetric,
        improved,
        elapsedMs,
        etaMs: (elapsedMs / epoch) * (network.epochs - epoch),
        samplesPerSecond: (train.n * epoch) / (elapsedMs / 1000),
      };
      history.push(p);
      options.onEpoch?.(p);
      if (validation && network.patience > 0 && epoch - bestEpoch >= network.patience) {
        stoppedEarly = epoch < network.epochs;
        break;
      }
    }
    if (bestWeights) model.setWeights(bestWeights);
    if (scale) foldTargetScale(model, scale);
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    tf.dispose([xTrain, yTrain, ...[wTrain, xVal, yVal, wVal].filter((t): t is tf.Tensor => t !== undefined)]);
    optimizer.dispose();
  }
  const elapsed = (now() - started) / 1000;
  return { model, history, bestEpoch, stoppedEarly, samplesPerSecond: (train.n * history.length) / elapsed };

  async function evaluate(x: tf.Tensor2D, y: tf.Tensor, w: tf.Tensor | undefined, s: TrainingSplit): Promise<[number, EpochProgress["valMetric"]]> {
    const [lossT, predT] = tf.tidy(() => {
      const z = logits(x, undefined);
      return [lossOf(z, y, w), task === "binary" ? tf.sigmoid(z) : task === "multiclass" ? tf.argMax(z, 1) : z] as const;
    });
    const valLoss = (await lossT.data())[0]!;
    const pred = await predT.data();
    tf.dispose([lossT, predT]);
    if (task === "regression") {
      let se = 0;
      for (let i = 0; i < s.n; i++) se += (pred[i]! * scale!.std + scale!.mean - s.y[i]!) ** 2;
      return [valLoss, { name: "rmse", value: Math.sqrt(se / s.n) }];
    }
    let hit = 0;
    for (let i = 0; i < s.n; i++) hit += (task === "binary" ? (pred[i]! >= 0.5 ? 1 : 0) : pred[i]!) === s.y[i] ? 1 : 0;
    return [valLoss, { name: "accuracy", value: hit / s.n }];
  }
}

/** Rewrites the linear output layer so it predicts in target units: W' = W·std, b' = b·std + mean. */
function foldTargetScale(model: tf.Sequential, scale: { mean: number; std: number }): void {
  const out = model.layers[model.layers.length - 1]!;
  const [w, b] = out.getWeights();
  const folded = tf.tidy(() => [tf.mul(w!, scale.std), tf.add(tf.mul(b!, scale.std), scale.mean)]);
  out.setWeights(folded);
  tf.dispose(folded);
}
