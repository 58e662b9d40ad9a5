import type { PreprocessorState } from "../data/preprocessor.ts";

/**
 * What the explainers need from a model: its preprocessing, its outputs on encoded rows, and
 * (for Integrated Gradients) the gradient of one output unit per row. `LoadedModel` is one.
 */
export interface Explainable {
  readonly preprocessor: PreprocessorState;
  /** Output columns: 1 (binary: P(positive class); regression: the value) or one per class. */
  readonly outputWidth: number;
  /** n encoded rows (n × preprocessor.width) → n × outputWidth outputs. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** Gradient of output column `outputs[r]` of each row r with respect to its encoded input (n × width). */
  gradients(x: Float32Array, n: number, outputs: Int32Array): Promise<Float32Array>;
}

/** Output column `outputs[r]` of each row of an n × width output matrix. */
export function pickOutputs(y: ArrayLike<number>, n: number, width: number, outputs: Int32Array): Float64Array {
  return Float64Array.from({ length: n }, (_, r) => y[r * width + outputs[r]!]!);
}
