import type { NetworkConfig, Task } from "../data/model-config.ts";
import { tf } from "./backend.ts";

/** Output units for a task: one sigmoid unit (binary), one softmax unit per class, or one linear unit. */
export function outputUnits(task: Task, classes: number): number {
  return task === "multiclass" ? classes : 1;
}

/**
 * Builds the MLP. Dropout is not a layer: the training loop applies it with a per-step seed,
 * so the saved model is exactly the inference graph and training stays reproducible.
 */
export function buildNetwork(inputWidth: number, task: Task, classes: number, network: NetworkConfig): tf.Sequential {
  // A fixed name: tfjs otherwise numbers models per process ("sequential_3"), so model.json would differ between identical trainings.
  const model = tf.sequential({ name: "mlp" });
  network.hiddenLayers.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: network.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: network.seed + i }),
        biasInitializer: "zeros",
        ...(i === 0 ? { inputShape: [inputWidth] } : {}),
        name: `hidden_${i + 1}`,
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: outputUnits(task, classes),
      activation: task === "binary" ? "sigmoid" : task === "multiclass" ? "softmax" : "linear",
      kernelInitializer: tf.initializers.glorotUniform({ seed: network.seed + network.hiddenLayers.length }),
      biasInitializer: "zeros",
      ...(network.hiddenLayers.length === 0 ? { inputShape: [inputWidth] } : {}),
      name: "output",
    }),
  );
  return model;
}
