import { seededRandom } from "../model/random.ts";
import { type Explainable, pickOutputs } from "./explainable.ts";
import type { FeatureGroup } from "./feature-groups.ts";

/** Options of {@link kernelShap}. */
export interface KernelShapOptions {
  /**
   * Coalitions sampled per row when there are too many features to enumerate every one
   * (more than {@link EXACT_MAX_FEATURES}); sampled in complementary pairs. @default 2048
   */
  samples?: number;
  /** Seed of the coalition sampler. @default 1 */
  seed?: number;
  /** Most rows per model call. @default 65536 */
  maxBatchRows?: number;
}

/** Per-feature SHAP values of n rows. */
export interface ShapValues {
  /** n × groups, row-major. */
  values: Float64Array;
  /** f(x) for each row's explained output. */
  prediction: Float64Array;
  /** E[f(background)] for each row's explained output. */
  baseline: Float64Array;
  /** Whether every coalition was evaluated (the values are then the exact Shapley values of the background-averaged game). */
  exact: boolean;
  /** Coalitions evaluated per row. */
  coalitions: number;
}

/** Up to this many features every coalition is enumerated (2^12 - 2 = 4094 per row). */
export const EXACT_MAX_FEATURES = 12;
/** Default coalitions sampled per row above {@link EXACT_MAX_FEATURES}. */
export const DEFAULT_SHAP_SAMPLES = 2048;

/**
 * KernelSHAP (Lundberg & Lee 2017), model-agnostic: the value of a coalition S of features is the
 * mean output over the background rows with the features outside S taken from the background
 * and those in S from x (interventional, as shap.KernelExplainer does). SHAP values solve the
 * weighted least squares of coalition values on membership with the Shapley kernel weights
 * (M-1) / (C(M,|S|) |S| (M-|S|)), constrained so they sum to f(x) - E[f(background)]. With at most
 * {@link EXACT_MAX_FEATURES} features every coalition is enumerated, which gives the exact Shapley
 * values; above that coalitions are drawn from the kernel's distribution (in complementary pairs)
 * and weighted equally. Features are the column groups (a categorical feature's one-hot block
 * moves as one).
 */
export async function kernelShap(model: Pick<Explainable, "predict" | "outputWidth" | "preprocessor">, groups: readonly FeatureGroup[], x: Float32Array, n: number, background: Float32Array, nb: number, outputs: Int32Array, options: KernelShapOptions = {}): Promise<ShapValues> {
  const width = model.preprocessor.width;
  const m = groups.length;
  const k = model.outputWidth;
  const maxBatch = options.maxBatchRows ?? 65_536;
  const bgOut = await model.predict(background, nb);
  const meanBg = new Float64Array(k);
  for (let j = 0; j < nb; j++) for (let c = 0; c < k; c++) meanBg[c]! += bgOut[j * k + c]! / nb;
  const fx = pickOutputs(await model.predict(x, n), n, k, outputs);
  const base = Float64Array.from(outputs, (o) => meanBg[o]!);
  const exact = m <= EXACT_MAX_FEATURES;
  const { masks, weights } = exact ? allCoalitions(m) : sampledCoalitions(m, options.samples ?? DEFAULT_SHAP_SAMPLES, seededRandom(options.seed ?? 1));
  const nc = weights.length;
  const values = new Float64Array(n * m);
  const coalitionsPerCall = Math.max(1, Math.floor(maxBatch / nb));
  for (let r = 0; r < n; r++) {
    const out = outputs[r]!;
    const v = new Float64Array(nc);
    for (let c0 = 0; c0 < nc; c0 += coalitionsPerCall) {
      const cs = Math.min(coalitionsPerCall, nc - c0);
      const mixed = new Float32Array(cs * nb * width);
      for (let c = 0; c < cs; c++) {
        for (let j = 0; j < nb; j++) {
          const o = (c * nb + j) * width;
          mixed.set(background.subarray(j * width, (j + 1) * width), o);
          for (let g = 0; g < m; g++) {
            if (!masks[(c0 + c) * m + g]) continue;
            const { start, width: w } = groups[g]!;
            for (let col = start; col < start + w; col++) mixed[o + col] = x[r * width + col]!;
          }
        }
      }
      const y = await model.predict(mixed, cs * nb);
      for (let c = 0; c < cs; c++) {
        let s = 0;
        for (let j = 0; j < nb; j++) s += y[(c * nb + j) * k + out]!;
        v[c0 + c] = s / nb;
      }
    }
    const phi = solveConstrained(masks, weights, v, m, base[r]!, fx[r]!);
    values.set(phi, r * m);
  }
  return { values, prediction: fx, baseline: base, exact, coalitions: nc };
}

const binomial = (n: number, k: number): number => {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
};

/** Every coalition but the empty and the full one, with its Shapley kernel weight. */
export function allCoalitions(m: number): { masks: Uint8Array; weights: Float64Array } {
  const count = 2 ** m - 2;
  const masks = new Uint8Array(Math.max(0, count) * m);
  const weights = new Float64Array(Math.max(0, count));
  for (let bits = 1, c = 0; bits < 2 ** m - 1; bits++, c++) {
    let s = 0;
    for (let g = 0; g < m; g++) if ((bits >> g) & 1) (masks[c * m + g] = 1), s++;
    weights[c] = (m - 1) / (binomial(m, s) * s * (m - s));
  }
  return { masks, weights };
}

/** `samples` coalitions (rounded up to pairs) drawn from the Shapley kernel's distribution over sizes, each with its complement, weighted equally. */
function sampledCoalitions(m: number, samples: number, random: () => number): { masks: Uint8Array; weights: Float64Array } {
  const pairs = Math.max(1, Math.ceil(samples / 2));
  const sizeWeight = Array.from({ length: m - 1 }, (_, i) => (m - 1) / ((i + 1) * (m - i - 1)));
  const total = sizeWeight.reduce((a, b) => a + b, 0);
  const masks = new Uint8Array(pairs * 2 * m);
  const order = Array.from({ length: m }, (_, i) => i);
  for (let p = 0; p < pairs; p++) {
    let u = random() * total;
    let s = 1;
    while (s < m - 1 && u >= sizeWeight[s - 1]!) u -= sizeWeight[s++ - 1]!;
    for (let i = 0; i < s; i++) {
      const j = i + Math.floor(random() * (m - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const a = 2 * p * m;
    const b = a + m;
    for (let g = 0; g < m; g++) masks[b + g] = 1;
    for (let i = 0; i < s; i++) {
      masks[a + order[i]!] = 1;
      masks[b + order[i]!] = 0;
    }
  }
  return { masks, weights: new Float64Array(pairs * 2).fill(1) };
}

/**
 * Weighted least squares of v(z) - base on z with Σφ = fx - base, by eliminating the last
 * feature: v - base - z_M·Δ = Σ_{i<M} (z_i - z_M) φ_i. Normal equations solved by Gaussian
 * elimination with partial pivoting.
 */
function solveConstrained(masks: Uint8Array, weights: Float64Array, v: Float64Array, m: number, base: number, fx: number): Float64Array {
  const delta = fx - base;
  if (m === 1) return Float64Array.of(delta);
  const p = m - 1;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const row = new Float64Array(p);
  for (let c = 0; c < weights.length; c++) {
    const zm = masks[c * m + p]!;
    for (let i = 0; i < p; i++) row[i] = masks[c * m + i]! - zm;
    const y = v[c]! - base - zm * delta;
    const w = weights[c]!;
    for (let i = 0; i < p; i++) {
      if (row[i] === 0) continue;
      b[i]! += w * row[i]! * y;
      for (let j = 0; j < p; j++) a[i * p + j]! += w * row[i]! * row[j]!;
    }
  }
  const phi = solveLinear(a, b, p);
  const out = new Float64Array(m);
  let sum = 0;
  for (let i = 0; i < p; i++) (out[i] = phi[i]!), (sum += phi[i]!);
  out[p] = delta - sum;
  return out;
}

/** Solves a·x = b (a is p × p, row-major; both are overwritten). A singular column gets 0. */
export function solveLinear(a: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r * p + col]!) > Math.abs(a[pivot * p + col]!)) pivot = r;
    if (Math.abs(a[pivot * p + col]!) < 1e-12) continue;
    if (pivot !== col) {
      for (let j = 0; j < p; j++) [a[col * p + j], a[pivot * p + j]] = [a[pivot * p + j]!, a[col * p + j]!];
      [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r * p + col]! / a[col * p + col]!;
      if (f === 0) continue;
      for (let j = col; j < p; j++) a[r * p + j]! -= f * a[col * p + j]!;
      b[r]! -= f * b[col]!;
    }
  }
  return Float64Array.from({ length: p }, (_, i) => (Math.abs(a[i * p + i]!) < 1e-12 ? 0 : b[i]! / a[i * p + i]!));
}
