import { type Observation, type Sampler, fromInternal, internalBounds, rankObservations, sampleUniform, toInternal } from "./sampler.ts";
import type { CategoricalParam, NumericParam, ParamSpec, Params } from "./search-space.ts";

/** Options of {@link TpeSampler}. */
export interface TpeOptions {
  /** Trials sampled at random before the model is used. @default 10 */
  startupTrials?: number;
  /** Share of the ranked trials in the "good" group (at most 25 trials). @default 0.25 */
  gamma?: number;
  /** Candidates drawn from the good density per suggestion; the one with the best l/g ratio wins. @default 24 */
  candidates?: number;
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011), univariate as in Hyperopt/Optuna:
 * the observed trials are ranked and split into a good share (γ) and the rest; each dimension
 * gets two densities, l(x) over the good trials and g(x) over the others — a mixture of
 * Gaussians truncated to the range for numbers (log space for log-scaled ones, half-step
 * widened for integers), smoothed category frequencies for choices — each with a prior
 * component so unexplored regions keep mass. Candidates are drawn from l and the one that
 * maximises Σ log l(x)/g(x) (expected improvement is monotone in that ratio) is proposed.
 *
 * Chosen over a Gaussian-process sampler because this space mixes categorical, integer and
 * log-scaled float dimensions, which TPE models natively where a GP needs a kernel per type and
 * relaxations; and because TPE is linear in the number of trials with no matrix inversion or
 * acquisition optimisation, so the sampler costs microseconds next to trials that cost seconds.
 */
export class TpeSampler implements Sampler {
  readonly name = "tpe";
  readonly #startup: number;
  readonly #gamma: number;
  readonly #candidates: number;

  constructor(options: TpeOptions = {}) {
    this.#startup = options.startupTrials ?? 10;
    this.#gamma = options.gamma ?? 0.25;
    this.#candidates = options.candidates ?? 24;
  }

  suggest(space: readonly ParamSpec[], history: readonly Observation[], random: () => number): Params {
    const ranked = rankObservations(history);
    const out: Params = {};
    if (ranked.length < this.#startup) {
      for (const p of space) out[p.name] = sampleUniform(p, random);
      return out;
    }
    const nGood = Math.min(25, Math.max(1, Math.ceil(this.#gamma * ranked.length)));
    const good = ranked.slice(0, nGood);
    const bad = ranked.slice(nGood);
    for (const p of space) {
      const obsGood = good.map((o) => o.params[p.name]).filter((v) => v !== undefined);
      const obsBad = bad.map((o) => o.params[p.name]).filter((v) => v !== undefined);
      out[p.name] = p.type === "categorical" ? suggestCategorical(p, obsGood, obsBad, this.#candidates, random) : suggestNumeric(p, obsGood.map(Number), obsBad.map(Number), this.#candidates, random);
    }
    return out;
  }
}

function suggestCategorical(p: CategoricalParam, good: unknown[], bad: unknown[], candidates: number, random: () => number): Params[string] {
  const weights = (obs: unknown[]) => {
    const w = p.choices.map(() => 1);
    for (const v of obs) {
      const i = p.choices.indexOf(v as never);
      if (i >= 0) w[i]! += 1;
    }
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / total);
  };
  const l = weights(good);
  const g = weights(bad);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < candidates; c++) {
    let u = random();
    let i = 0;
    while (i < l.length - 1 && u >= l[i]!) u -= l[i++]!;
    const score = Math.log(l[i]!) - Math.log(g[i]!);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return p.choices[best]!;
}

/** A truncated Gaussian mixture over [lo, hi] in internal coordinates. */
interface Parzen {
  mus: number[];
  sigmas: number[];
  /** Each component's mass inside [lo, hi], for the truncation. */
  mass: number[];
  lo: number;
  hi: number;
}

/**
 * The Parzen estimator of `points` (internal coordinates) plus a prior component at the centre
 * with σ = the range; each point's bandwidth is the larger gap to its sorted neighbours (Hyperopt's
 * rule), clipped to [range / min(100, n + 1), range].
 */
export function parzen(points: readonly number[], lo: number, hi: number): Parzen {
  const range = hi - lo;
  const mus = [...points, (lo + hi) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigmas = new Array<number>(mus.length).fill(range);
  const minSigma = range / Math.min(100, mus.length + 1);
  for (let r = 0; r < order.length; r++) {
    const i = order[r]!;
    if (i === mus.length - 1) continue;
    const left = r > 0 ? mus[i]! - mus[order[r - 1]!]! : mus[i]! - lo;
    const right = r < order.length - 1 ? mus[order[r + 1]!]! - mus[i]! : hi - mus[i]!;
    sigmas[i] = Math.min(range, Math.max(minSigma, left, right));
  }
  const mass = mus.map((m, i) => Math.max(1e-12, normCdf((hi - m) / sigmas[i]!) - normCdf((lo - m) / sigmas[i]!)));
  return { mus, sigmas, mass, lo, hi };
}

/** Log density of a Parzen mixture (equal component weights) at x. */
export function parzenLogPdf(d: Parzen, x: number): number {
  let s = 0;
  for (let i = 0; i < d.mus.length; i++) {
    const z = (x - d.mus[i]!) / d.sigmas[i]!;
    s += Math.exp(-0.5 * z * z) / (d.sigmas[i]! * Math.sqrt(2 * Math.PI) * d.mass[i]!);
  }
  return Math.log(Math.max(1e-300, s / d.mus.length));
}

/** One draw from a Parzen mixture: a component uniformly, then its Gaussian truncated to the range. */
export function parzenSample(d: Parzen, random: () => number): number {
  const i = Math.min(d.mus.length - 1, Math.floor(random() * d.mus.length));
  for (let tries = 0; tries < 64; tries++) {
    const x = d.mus[i]! + d.sigmas[i]! * gaussian(random);
    if (x >= d.lo && x <= d.hi) return x;
  }
  return Math.min(d.hi, Math.max(d.lo, d.mus[i]!));
}

function suggestNumeric(p: NumericParam, good: number[], bad: number[], candidates: number, random: () => number): number {
  const [lo, hi] = internalBounds(p);
  const clampIn = (v: number) => Math.min(hi, Math.max(lo, toInternal(p, v)));
  const l = parzen(good.map(clampIn), lo, hi);
  const g = parzen(bad.map(clampIn), lo, hi);
  let best = l.mus[0]!;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < candidates; c++) {
    const x = parzenSample(l, random);
    const score = parzenLogPdf(l, x) - parzenLogPdf(g, x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return fromInternal(p, best);
}

/** Standard normal draw (Box-Muller) from a uniform PRNG. */
function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
