import { z } from "zod";
import { modelName } from "@pulumi-mlops/contract";

/** Learning tasks the runtime trains for. */
export const TASKS = ["binary", "multiclass", "regression"] as const;
/** A learning task. */
export type Task = (typeof TASKS)[number];
/** How a feature is encoded: standardised number, one-hot with an out-of-vocabulary bucket, or an ISO date's calendar parts. */
export type FeatureKind = "numerical" | "categorical" | "date";
/** Feature kinds a config may name. */
export const FEATURE_KINDS = ["numerical", "categorical", "date"] as const;


export { modelName };

/** The network and training loop. Every field has a default. */
export const networkConfig = z
  .object({
    /** Units per hidden layer. @default [64, 32] */
    hiddenLayers: z.array(z.number().int().min(1).max(4096)).max(8).default([64, 32]),
    /** Hidden-layer activation. @default "relu" */
    activation: z.enum(["relu", "elu", "selu", "tanh", "sigmoid"]).default("relu"),
    /** Dropout rate after each hidden layer, during training only. @default 0 */
    dropout: z.number().min(0).max(0.9).default(0),
    /** Maximum passes over the training split. @default - adapts to the data size: enough epochs for about 3,000 gradient steps, between 100 and 1,000 (see `resolveNetwork`) */
    epochs: z.number().int().min(1).max(10_000).optional(),
    /** Rows per gradient step; larger is faster per sample on big datasets. @default 32 */
    batchSize: z.number().int().min(1).max(65_536).default(32),
    /** Adam learning rate. @default 0.001 */
    learningRate: z.number().positive().max(10).default(0.001),
    /**
     * L2 penalty on the weight matrices (not the biases), added to the training loss as weightDecay/2 · Σw².
     * @default - 1e-3 for classifiers (without it a long run on a few hundred rows makes the network over-confident: breast_cancer's test log loss 0.24 → 0.15, penguins' 0.10 → 0.05 on bench/quality.ts), 0 for regression (where it cost cars' RMSE 2.51 → 2.62)
     */
    weightDecay: z.number().min(0).max(1).optional(),
    /** Epochs without validation-loss improvement before stopping; 0 disables early stopping. @default - a tenth of the epochs, between 10 and 50, and at least 20 when the validation split has fewer than 200 rows */
    patience: z.number().int().min(0).max(10_000).optional(),
    /** Share of the non-test rows used for early stopping. @default 0.2 */
    validationSplit: z.number().gt(0).lt(0.5).default(0.2),
    /** Share of all rows held out for the reported metrics; 0 evaluates by k-fold cross-validation instead (see `folds`). @default 0.2 */
    testSplit: z.number().min(0).lt(0.5).default(0.2),
    /** Folds of the cross-validation used when `testSplit` is 0. @default 5 */
    folds: z.number().int().min(2).max(20).default(5),
    /** After early stopping, train again from scratch on train + validation for the best epoch count; the stored model is that one. @default true */
    refit: z.boolean().default(true),
    /**
     * Per-class loss weights (classification only): "balanced" (n / (classes × rows of the class),
     * as sklearn's class_weight="balanced"), "none", or a weight per class label.
     * @default - "balanced" when the rarer class of a binary target has less than 30 % of the rows (the decision threshold is then chosen on validation), else "none" (always "none" for multiclass: balanced weights cost accuracy there)
     */
    classWeights: z.union([z.enum(["balanced", "none"]), z.record(z.string(), z.number().positive().max(1e6))]).optional(),
    /**
     * Decision threshold on P(positive class) for binary tasks: a number, or chosen on the
     * validation split to maximise "balanced-accuracy" or "f1". Used for the reported accuracy,
     * `:predict`/`mlops predict` labels, and stored with the version.
     * @default "balanced-accuracy"
     */
    threshold: z.union([z.number().gt(0).lt(1), z.enum(["balanced-accuracy", "f1"])]).default("balanced-accuracy"),
    /** Seed for the split, shuffling, initial weights and dropout. @default 42 */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  })
  .strict();

/** A feature entry: a column name, or a name with its kind. */
export const featureSpec = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), kind: z.enum(FEATURE_KINDS).optional() }).strict(),
]);

/** Piecewise-linear bins per numerical input: a count, or "auto" (see `modelConfig.numericalBins`). */
const numericalBins = z.union([z.literal("auto"), z.number().int().min(0).max(256)]);
/** A `numericalBins` setting. */
export type NumericalBins = z.output<typeof numericalBins>;

/** A model config file (JSON or YAML). Only `target` is required; the rest is inferred from the data. */
export const modelConfig = z
  .object({
    /** Registry name of the model. @default - the dataset file's base name */
    name: modelName.optional(),
    /** Column to predict. */
    target: z.string().min(1),
    /** binary | multiclass | regression. @default - inferred from the target column */
    task: z.enum(TASKS).optional(),
    /** Class treated as positive for binary tasks (metrics, :classify). @default - the second class in sorted order */
    positiveClass: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /** Feature columns and their kinds. @default - every column but the target and `exclude`, kinds inferred */
    features: z.array(featureSpec).min(1).optional(),
    /** Columns never used as features (ids, timestamps). @default [] */
    exclude: z.array(z.string()).default([]),
    /** Categories kept per categorical feature (most frequent first); the rest share the out-of-vocabulary bucket. @default 100 */
    maxCategories: z.number().int().min(1).max(10_000).default(100),
    /**
     * Piecewise-linear bins per numerical feature and per linear date part (year, days), with
     * edges at training quantiles; 0 for none. @default "auto": one bin per 50 training rows, at
     * most 32 and at most one bin column per 5 training rows over all features; none when that
     * leaves fewer than 8 (under 400 training rows, or many numerical columns for the rows)
     */
    numericalBins: numericalBins.default("auto"),
    /** The network and training loop. */
    network: networkConfig.default(networkConfig.parse({})),
  })
  .strict();

/** A model config as written by a user. */
export type ModelConfigInput = z.input<typeof modelConfig>;
/** A model config after defaults. */
export type ModelConfig = z.output<typeof modelConfig>;
/** Network settings after defaults; `epochs` and `patience` may still be open (adaptive). */
export type NetworkConfig = z.output<typeof networkConfig>;
/** Network settings with the epoch schedule and weight decay fixed: what training runs with and what a version stores. */
export type ResolvedNetworkConfig = NetworkConfig & { epochs: number; patience: number; weightDecay: number };

/** Weight decay when the config leaves it open: see `networkConfig.weightDecay`. */
export const defaultWeightDecay = (task: Task): number => (task === "regression" ? 0 : 1e-3);

/** Gradient steps the adaptive epoch cap aims for. */
const TARGET_STEPS = 3000;

/**
 * The network settings a config may leave open, fixed for a training split of `trainRows` rows,
 * a validation split of `validationRows` and `task`: the epoch cap and patience (enough epochs
 * for about 3,000 gradient steps, between 100 and 1,000; patience a tenth of that, 10 to 50, and
 * at least 20 when fewer than 200 validation rows make the validation loss noisy) and the task's
 * weight decay ({@link defaultWeightDecay}).
 */
export function resolveNetwork(network: NetworkConfig, trainRows: number, validationRows: number, task: Task): ResolvedNetworkConfig {
  const steps = Math.max(1, Math.ceil(trainRows / network.batchSize));
  const epochs = network.epochs ?? Math.min(1000, Math.max(100, Math.ceil(TARGET_STEPS / steps)));
  const patience = network.patience ?? Math.max(validationRows < 200 ? 20 : 10, Math.min(50, Math.ceil(epochs / 10)));
  return { ...network, epochs, patience, weightDecay: network.weightDecay ?? defaultWeightDecay(task) };
}

/** A model config with everything inferred resolved; stored with every version. */
export interface ResolvedModelConfig {
  name: string;
  target: string;
  task: Task;
  features: { name: string; kind: FeatureKind }[];
  maxCategories: number;
  /** @default "auto" (configs stored before it existed) */
  numericalBins?: NumericalBins;
  positiveClass?: string;
  network: ResolvedNetworkConfig;
}
