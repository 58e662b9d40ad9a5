/**
 * Linear baselines fitted in-process on the encoded matrix the network sees: L2-regularised
 * logistic regression (binary, or multinomial softmax) and ridge regression. Same objectives as
 * sklearn's LogisticRegression(C=1, lbfgs) and Ridge(alpha=1), checked against them in
 * test/fixtures/baselines.
 */

/** A fitted linear model: `weights` is width × outputs (row-major), `bias` one per output. */
export interface LinearModel {
  kind: "logistic" | "softmax" | "ridge";
  width: number;
  outputs: number;
  weights: Float64Array;
  bias: Float64Array;
  /** L-BFGS iterations (0 for ridge, solved in closed form). */
  iterations: number;
}

/** Options of {@link fitLogistic}. */
export interface LogisticOptions {
  /** Inverse regularisation strength, as sklearn's C. @default 1 */
  c?: number;
  /** Per-row weights (class weights). @default - 1 for every row */
  sampleWeight?: ArrayLike<number>;
  /** Stop when the largest gradient component is below this. @default 1e-8 */
  tolerance?: number;
  /** @default 1000 */
  maxIterations?: number;
}

/**
 * Fits logistic regression on n × width rows `x` (row-major) with labels `y` (class indices):
 * binary (classes = 2, one output = P(class 1)) or multinomial (classes > 2, softmax outputs).
 * Minimises ½‖W‖² + C Σᵢ wᵢ · log-loss(i), intercepts unpenalised, with L-BFGS.
 */
export function fitLogistic(x: ArrayLike<number>, y: ArrayLike<number>, n: number, width: number, classes: number, options: LogisticOptions = {}): LinearModel {
  const c = options.c ?? 1;
  const k = classes === 2 ? 1 : classes;
  const sw = options.sampleWeight;
  const dim = (width + 1) * k;
  const z = new Float64Array(k);
  // Scaled by 1/n so the tolerance does not depend on the row count; the minimiser is sklearn's.
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const w = sw ? sw[i]! : 1;
      const yi = y[i]!;
      for (let o = 0; o < k; o++) {
        let s = theta[width * k + o]!;
        for (let j = 0; j < width; j++) s += x[i * width + j]! * theta[j * k + o]!;
        z[o] = s;
      }
      if (k === 1) {
        const s = z[0]!;
        // log(1 + e^s) - y·s, computed without overflow.
        f += w * ((s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - (yi === 1 ? s : 0));
        z[0] = w * (1 / (1 + Math.exp(-s)) - (yi === 1 ? 1 : 0));
      } else {
        let max = -Infinity;
        for (let o = 0; o < k; o++) max = Math.max(max, z[o]!);
        let sum = 0;
        for (let o = 0; o < k; o++) sum += Math.exp(z[o]! - max);
        f += w * (Math.log(sum) + max - z[yi]!);
        for (let o = 0; o < k; o++) z[o] = w * (Math.exp(z[o]! - max) / sum - (o === yi ? 1 : 0));
      }
      for (let o = 0; o < k; o++) {
        const g = z[o]!;
        if (g === 0) continue;
        for (let j = 0; j < width; j++) grad[j * k + o]! += g * x[i * width + j]!;
        grad[width * k + o]! += g;
      }
    }
    let reg = 0;
    for (let j = 0; j < width * k; j++) {
      reg += theta[j]! ** 2;
      grad[j] = (grad[j]! * c + theta[j]!) / n;
    }
    for (let o = 0; o < k; o++) grad[width * k + o] = (grad[width * k + o]! * c) / n;
    return (c * f + reg / 2) / n;
  };
  const { theta, iterations } = lbfgs(objective, new Float64Array(dim), options.tolerance ?? 1e-8, options.maxIterations ?? 1000);
  return { kind: k === 1 ? "logistic" : "softmax", width, outputs: k, weights: theta.slice(0, width * k), bias: theta.slice(width * k), iterations };
}

/**
 * Fits ridge regression ‖y − Xw − b‖² + α‖w‖² (intercept unpenalised) in closed form: centre x
 * and y, solve (XᶜᵀXᶜ + αI) w = Xᶜᵀyᶜ by Cholesky, b = ȳ − x̄ · w.
 */
export function fitRidge(x: ArrayLike<number>, y: ArrayLike<number>, n: number, width: number, alpha = 1): LinearModel {
  const xMean = new Float64Array(width);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    yMean += y[i]!;
    for (let j = 0; j < width; j++) xMean[j]! += x[i * width + j]!;
  }
  yMean /= n;
  for (let j = 0; j < width; j++) xMean[j]! /= n;
  const a = new Float64Array(width * width);
  const rhs = new Float64Array(width);
  const row = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) row[j] = x[i * width + j]! - xMean[j]!;
    const yc = y[i]! - yMean;
    for (let j = 0; j < width; j++) {
      const v = row[j]!;
      if (v === 0) continue;
      rhs[j]! += v * yc;
      for (let l = 0; l <= j; l++) a[j * width + l]! += v * row[l]!;
    }
  }
  for (let j = 0; j < width; j++) {
    a[j * width + j]! += alpha;
    for (let l = 0; l < j; l++) a[l * width + j] = a[j * width + l]!;
  }
  const w = choleskySolve(a, rhs, width);
  let b = yMean;
  for (let j = 0; j < width; j++) b -= xMean[j]! * w[j]!;
  return { kind: "ridge", width, outputs: 1, weights: w, bias: Float64Array.of(b), iterations: 0 };
}

/** Outputs of a linear model on n rows: P(class 1) (logistic), class probabilities (softmax) or values (ridge). */
export function predictLinear(model: LinearModel, x: ArrayLike<number>, n: number): Float64Array {
  const { width, outputs: k } = model;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let o = 0; o < k; o++) {
      let s = model.bias[o]!;
      for (let j = 0; j < width; j++) s += x[i * width + j]! * model.weights[j * k + o]!;
      out[i * k + o] = s;
      max = Math.max(max, s);
    }
    if (model.kind === "logistic") out[i] = 1 / (1 + Math.exp(-out[i]!));
    else if (model.kind === "softmax") {
      let sum = 0;
      for (let o = 0; o < k; o++) sum += out[i * k + o] = Math.exp(out[i * k + o]! - max);
      for (let o = 0; o < k; o++) out[i * k + o]! /= sum;
    }
  }
  return out;
}

/** Solves A x = b for a symmetric positive-definite n × n A (row-major) by Cholesky. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let p = 0; p < j; p++) d -= l[j * n + p]! ** 2;
    const root = Math.sqrt(Math.max(d, 1e-300));
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let p = 0; p < j; p++) s -= l[i * n + p]! * l[j * n + p]!;
      l[i * n + j] = s / root;
    }
  }
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[i * n + p]! * t[p]!;
    t[i] = s / l[i * n + i]!;
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = t[i]!;
    for (let p = i + 1; p < n; p++) s -= l[p * n + i]! * out[p]!;
    out[i] = s / l[i * n + i]!;
  }
  return out;
}

/**
 * Minimises a smooth convex function with L-BFGS (memory 10, two-loop recursion) and a
 * backtracking line search satisfying the Armijo condition. `f(theta, grad)` returns the value
 * and writes the gradient.
 */
export function lbfgs(f: (theta: Float64Array, grad: Float64Array) => number, start: Float64Array, tolerance: number, maxIterations: number): { theta: Float64Array; value: number; iterations: number } {
  const dim = start.length;
  const m = 10;
  let theta = Float64Array.from(start);
  let grad = new Float64Array(dim);
  let value = f(theta, grad);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(dim);
  const alphaHist = new Float64Array(m);
  let it = 0;
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < dim; i++) s += a[i]! * b[i]!;
    return s;
  };
  for (; it < maxIterations; it++) {
    let gmax = 0;
    for (let i = 0; i < dim; i++) gmax = Math.max(gmax, Math.abs(grad[i]!));
    if (gmax < tolerance) break;
    for (let i = 0; i < dim; i++) dir[i] = -grad[i]!;
    for (let h = ss.length - 1; h >= 0; h--) {
      const a = rho[h]! * dot(ss[h]!, dir);
      alphaHist[h] = a;
      for (let i = 0; i < dim; i++) dir[i]! -= a * ys[h]![i]!;
    }
    if (ss.length) {
      const last = ss.length - 1;
      const gamma = dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!);
      for (let i = 0; i < dim; i++) dir[i]! *= gamma;
    }
    for (let h = 0; h < ss.length; h++) {
      const bcoef = rho[h]! * dot(ys[h]!, dir);
      for (let i = 0; i < dim; i++) dir[i]! += ss[h]![i]! * (alphaHist[h]! - bcoef);
    }
    let slope = dot(grad, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      ss.length = ys.length = rho.length = 0;
      for (let i = 0; i < dim; i++) dir[i] = -grad[i]!;
      slope = dot(grad, dir);
    }
    let step = ss.length ? 1 : Math.min(1, 1 / Math.sqrt(-slope));
    const next = new Float64Array(dim);
    const nextGrad = new Float64Array(dim);
    let nextValue = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < dim; i++) next[i] = theta[i]! + step * dir[i]!;
      nextValue = f(next, nextGrad);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextValue < value) && !(nextValue <= value)) break;
    const s = new Float64Array(dim);
    const yv = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = next[i]! - theta[i]!;
      yv[i] = nextGrad[i]! - grad[i]!;
    }
    const sy = dot(s, yv);
    const improvement = value - nextValue;
    theta = next;
    grad = nextGrad;
    value = nextValue;
    if (sy > 1e-20) {
      ss.push(s);
      ys.push(yv);
      rho.push(1 / sy);
      if (ss.length > m) {
        ss.shift();
        ys.shift();
        rho.shift();
      }
    }
    if (improvement <= 1e-16 * Math.max(1, Math.abs(value))) {
      it++;
      break;
    }
  }
  return { theta, value, iterations: it };
}
