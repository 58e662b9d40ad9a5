import type { NumericParam, ParamSpec, ParamValue, Params } from "./search-space.ts";

/** Samplers `mlops tune --sampler` accepts. */
export const SAMPLERS = ["tpe", "random"] as const;
/** A sampler name. */
export type SamplerName = (typeof SAMPLERS)[number];

/**
 * A finished (or pruned) trial as a sampler sees it: its point and how far and how well it got.
 * Lower `value` is better. A pruned trial's value is from the last rung it reached.
 */
export interface Observation {
  params: Params;
  value: number;
  /** Index of the last successive-halving rung the trial reached (higher = it survived longer). */
  rung: number;
}

/** Proposes the next point to try from the trials so far. */
export interface Sampler {
  readonly name: SamplerName;
  suggest(space: readonly ParamSpec[], history: readonly Observation[], random: () => number): Params;
}

/**
 * Orders observations best first: trials that reached a later rung before those pruned earlier
 * (values at different rungs are not comparable: fewer epochs means a higher loss), then by value;
 * a failed trial (rung -1, no value) ranks last, so the sampler learns to avoid its region.
 */
export function rankObservations(history: readonly Observation[]): Observation[] {
  const key = (o: Observation) => (Number.isFinite(o.value) ? o.value : Number.POSITIVE_INFINITY);
  return [...history].sort((a, b) => b.rung - a.rung || key(a) - key(b) || 0);
}

/** The internal (modelled) coordinate of a numeric value: log for log-scaled parameters. */
export const toInternal = (p: NumericParam, v: number): number => (p.log ? Math.log(v) : v);

/** Internal bounds; an integer's range widens by half a step so each integer gets equal mass. */
export function internalBounds(p: NumericParam): [number, number] {
  const lo = p.type === "int" ? p.low - 0.4999 : p.low;
  const hi = p.type === "int" ? p.high + 0.4999 : p.high;
  return p.log ? [Math.log(Math.max(lo, p.low * 0.5)), Math.log(hi)] : [lo, hi];
}

/** A value from an internal coordinate: exp for log scale, rounded for integers, clamped to the range. */
export function fromInternal(p: NumericParam, x: number): number {
  let v = p.log ? Math.exp(x) : x;
  if (p.type === "int") v = Math.round(v);
  return Math.min(p.high, Math.max(p.low, v));
}

/** Uniform random search: every dimension independent, log dimensions uniform in log space. */
export class RandomSampler implements Sampler {
  readonly name = "random";
  suggest(space: readonly ParamSpec[], _history: readonly Observation[], random: () => number): Params {
    const out: Params = {};
    for (const p of space) out[p.name] = sampleUniform(p, random);
    return out;
  }
}

/** One value of `p` drawn uniformly (in log space when `p.log`). */
export function sampleUniform(p: ParamSpec, random: () => number): ParamValue {
  if (p.type === "categorical") return p.choices[Math.min(p.choices.length - 1, Math.floor(random() * p.choices.length))]!;
  const [lo, hi] = internalBounds(p);
  return fromInternal(p, lo + random() * (hi - lo));
}
