import { z } from "zod";
import type { NetworkConfig, NumericalBins } from "../data/model-config.ts";

/** A value a hyperparameter takes. */
export type ParamValue = number | string | boolean;
/** One sampled point of a search space: parameter name → value. */
export type Params = Record<string, ParamValue>;

/** A numeric hyperparameter over [low, high]; `log` samples it uniformly in log space (learning rates). */
export interface NumericParam {
  name: string;
  type: "int" | "float";
  low: number;
  high: number;
  /** Sample and model it in log space (low must be > 0). @default false */
  log?: boolean;
}

/** A hyperparameter with a fixed set of choices (no order assumed). */
export interface CategoricalParam {
  name: string;
  type: "categorical";
  choices: ParamValue[];
}

/** One dimension of a search space. */
export type ParamSpec = NumericParam | CategoricalParam;

/** Schema of a stored search space (search.json `space`). */
export const paramSpec = z.union([
  z.object({ name: z.string(), type: z.enum(["int", "float"]), low: z.number(), high: z.number(), log: z.boolean().optional() }).strict(),
  z.object({ name: z.string(), type: z.literal("categorical"), choices: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1) }).strict(),
]);

/**
 * The default search space over the network and the training loop. Epochs are not a dimension
 * here: they are successive halving's resource (rungs at increasing epoch budgets up to the
 * config's `network.epochs`), and early stopping's patience is searched instead.
 */
export function defaultSearchSpace(task: "binary" | "multiclass" | "regression"): ParamSpec[] {
  const space: ParamSpec[] = [
    { name: "layers", type: "int", low: 1, high: 3 },
    { name: "width", type: "int", low: 16, high: 256, log: true },
    { name: "shape", type: "categorical", choices: ["constant", "funnel"] },
    { name: "dropout", type: "float", low: 0, high: 0.5 },
    { name: "learningRate", type: "float", low: 1e-4, high: 3e-2, log: true },
    { name: "batchSize", type: "categorical", choices: [16, 32, 64, 128, 256] },
    { name: "weightDecay", type: "float", low: 1e-7, high: 1e-2, log: true },
    { name: "patience", type: "categorical", choices: [5, 10, 20] },
  ];
  // numericalBins (top level): the default's rule, none, or a fixed count; "auto" gives none
  // under 400 training rows, where a fixed count lets the search try them anyway.
  space.push({ name: "numericalBins", type: "categorical", choices: ["auto", 0, 8, 32] });
  // network.classWeights: unweighted, or sklearn's "balanced" (the default picks one by imbalance).
  if (task !== "regression") space.push({ name: "classWeights", type: "categorical", choices: ["none", "balanced"] });
  return space;
}

/** Hidden layer sizes of a point: `layers` layers of `width` units, halving per layer for "funnel" (never below 4). */
export function hiddenLayersOf(params: Params): number[] {
  const layers = Number(params.layers ?? 2);
  const width = Number(params.width ?? 64);
  return Array.from({ length: layers }, (_, i) => (params.shape === "funnel" ? Math.max(4, Math.round(width / 2 ** i)) : width));
}

/**
 * The point of `space` nearest the config's own network: what training without tuning would use.
 * A search tries it first, so on a few hundred rows (where the cross-validation of a handful of
 * lucky trials is noisy) it cannot return a config that cross-validated worse than the default.
 * Numbers are clamped into their range (weightDecay 0 becomes the range's low end), a numeric
 * choice not offered becomes the nearest one; a dimension the network cannot be expressed in
 * (hidden layers that are neither constant nor a funnel, default class weights) is left out,
 * which keeps the config's value for it.
 */
export function defaultPoint(space: readonly ParamSpec[], config: TunableConfig): Params {
  const { network } = config;
  const h = network.hiddenLayers;
  const layers = h.length;
  const width = h[0] ?? 64;
  const same = (shape: string) => h.length > 0 && hiddenLayersOf({ layers, width, shape }).every((u, i) => u === h[i]);
  const shape = same("constant") ? "constant" : same("funnel") ? "funnel" : undefined;
  const own: Record<string, ParamValue | undefined> = {
    ...(shape ? { layers, width, shape } : {}),
    dropout: network.dropout,
    learningRate: network.learningRate,
    batchSize: network.batchSize,
    weightDecay: network.weightDecay,
    patience: network.patience,
    classWeights: typeof network.classWeights === "string" ? network.classWeights : undefined,
    numericalBins: config.numericalBins ?? "auto",
  };
  const out: Params = {};
  for (const p of space) {
    const v = own[p.name];
    if (v === undefined) continue;
    if (p.type !== "categorical") {
      const x = Math.min(p.high, Math.max(p.low, Number(v)));
      out[p.name] = p.type === "int" ? Math.round(x) : x;
    } else if (p.choices.includes(v)) out[p.name] = v;
    else if (typeof v === "number" && p.choices.some((c) => typeof c === "number")) {
      out[p.name] = p.choices.filter((c): c is number => typeof c === "number").reduce((a, b) => (Math.abs(b - v) < Math.abs(a - v) ? b : a));
    }
  }
  return out;
}

/** What a search point applies to: a resolved or a user model config. */
export interface TunableConfig {
  network: NetworkConfig;
  numericalBins?: NumericalBins;
}

/**
 * A model config (as a plain object: a resolved or a user config) with a point of the space
 * applied: network fields and `numericalBins` overridden, `epochs` set to the given budget when
 * there is one.
 */
export function applyParams<C extends TunableConfig>(config: C, params: Params, epochs?: number): C {
  const network: NetworkConfig = { ...config.network };
  if (params.layers !== undefined || params.width !== undefined) network.hiddenLayers = hiddenLayersOf(params);
  for (const key of ["dropout", "learningRate", "batchSize", "weightDecay", "patience"] as const) {
    if (params[key] !== undefined) (network as Record<string, unknown>)[key] = Number(params[key]);
  }
  if (params.classWeights === "none" || params.classWeights === "balanced") network.classWeights = params.classWeights;
  if (epochs !== undefined) network.epochs = epochs;
  const bins = params.numericalBins;
  return { ...config, network, ...(bins === undefined ? {} : { numericalBins: bins === "auto" ? "auto" : Number(bins) }) };
}

/** Throws a TypeError naming the problem unless every spec is usable (a caller's bug). */
export function assertSpace(space: readonly ParamSpec[]): void {
  const names = new Set<string>();
  for (const p of space) {
    if (names.has(p.name)) throw new TypeError(`search space: ${p.name} appears twice`);
    names.add(p.name);
    if (p.type === "categorical") continue;
    if (!(p.low < p.high)) throw new TypeError(`search space: ${p.name} needs low < high`);
    if (p.log && p.low <= 0) throw new TypeError(`search space: ${p.name} is log-scaled and needs low > 0`);
  }
}
