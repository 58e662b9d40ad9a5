import { type Explainable, pickOutputs } from "./explainable.ts";

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions {
  /** Intervals of the path integral (trapezoid rule over steps + 1 points). @default 64 */
  steps?: number;
  /** Most interpolated rows per gradient call. @default 8192 */
  maxBatchRows?: number;
}

/** Per-column attributions of n rows and the outputs they explain. */
export interface ColumnAttributions {
  /** n × width, row-major: (x - baseline) ⊙ the path-averaged gradient. */
  columns: Float64Array;
  /** f(x) for each row's explained output. */
  prediction: Float64Array;
  /** f(baseline) for each row's explained output. */
  baseline: Float64Array;
}

/** Default number of intervals of the Integrated Gradients path. */
export const DEFAULT_IG_STEPS = 64;

/**
 * Integrated Gradients (Sundararajan et al. 2017): attribution_i = (x_i - b_i) · ∫₀¹ ∂f(b + α(x - b))/∂x_i dα,
 * the integral taken by the trapezoid rule over `steps` intervals. The attributions of a row add
 * up to f(x) - f(b) up to the quadrature error (completeness), which callers report.
 */
export async function integratedGradients(model: Explainable, x: Float32Array, n: number, baseline: Float32Array, outputs: Int32Array, options: IntegratedGradientsOptions = {}): Promise<ColumnAttributions> {
  const width = model.preprocessor.width;
  const steps = options.steps ?? DEFAULT_IG_STEPS;
  const points = steps + 1;
  const perChunk = Math.max(1, Math.floor((options.maxBatchRows ?? 8192) / points));
  const columns = new Float64Array(n * width);
  for (let r0 = 0; r0 < n; r0 += perChunk) {
    const rows = Math.min(perChunk, n - r0);
    const path = new Float32Array(rows * points * width);
    const which = new Int32Array(rows * points);
    for (let r = 0; r < rows; r++) {
      const xr = (r0 + r) * width;
      for (let k = 0; k < points; k++) {
        const alpha = k / steps;
        const o = (r * points + k) * width;
        for (let c = 0; c < width; c++) path[o + c] = baseline[c]! + alpha * (x[xr + c]! - baseline[c]!);
        which[r * points + k] = outputs[r0 + r]!;
      }
    }
    const g = await model.gradients(path, rows * points, which);
    for (let r = 0; r < rows; r++) {
      const xr = (r0 + r) * width;
      for (let c = 0; c < width; c++) {
        let avg = 0;
        for (let k = 0; k < points; k++) avg += g[(r * points + k) * width + c]! * (k === 0 || k === steps ? 0.5 : 1);
        columns[xr + c] = (x[xr + c]! - baseline[c]!) * (avg / steps);
      }
    }
  }
  const fx = await model.predict(x, n);
  const fb = await model.predict(baseline, 1);
  return { columns, prediction: pickOutputs(fx, n, model.outputWidth, outputs), baseline: Float64Array.from(outputs, (o) => fb[o]!) };
}
