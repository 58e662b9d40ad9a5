import { z } from "zod";

/** Learning tasks the runtime trains for. */
export const TASKS = ["binary", "multiclass", "regression"] as const;
/** A learning task. */
export type Task = (typeof TASKS)[number];
/** How a feature is encoded: standardised number, or one-hot with an out-of-vocabulary bucket. */
export type FeatureKind = "numerical" | "categorical";

/** Names of models, versions aliases: safe as object-store keys and URL path segments. */
export const modelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "use 1-63 characters of a-z, A-Z, 0-9, '.', '_' or '-', starting with a letter or digit");

/** The network and training loop. Every field has a default. */
export const networkConfig = z
  .object({
    /** Units per hidden layer. @default [64, 32] */
    hiddenLayers: z.array(z.number().int().min(1).max(4096)).max(8).default([64, 32]),
    /** Hidden-layer activation. @default "relu" */
    activation: z.enum(["relu", "elu", "selu", "tanh", "sigmoid"]).default("relu"),
    /** Dropout rate after each hidden layer, during training only. @default 0 */
    dropout: z.number().min(0).max(0.9).default(0),
    /** Maximum passes over the training split. @default 100 */
    epochs: z.number().int().min(1).max(10_000).default(100),
    /** Rows per gradient step; larger is faster per sample on big datasets. @default 32 */
    batchSize: z.number().int().min(1).max(65_536).default(32),
    /** Adam learning rate. @default 0.001 */
    learningRate: z.number().positive().max(10).default(0.001),
    /** L2 penalty on the weight matrices (not the biases), added to the training loss as weightDecay/2 · Σw². @default 0 */
    weightDecay: z.number().min(0).max(1).default(0),
    /** Epochs without validation-loss improvement before stopping; 0 disables early stopping. @default 10 */
    patience: z.number().int().min(0).max(10_000).default(10),
    /** Share of the non-test rows used for early stopping. @default 0.2 */
    validationSplit: z.number().gt(0).lt(0.5).default(0.2),
    /** Share of all rows held out for the reported metrics. @default 0.2 */
    testSplit: z.number().gt(0).lt(0.5).default(0.2),
    /** Seed for the split, shuffling, initial weights and dropout. @default 42 */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  })
  .strict();

/** A feature entry: a column name, or a name with its kind. */
export const featureSpec = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), kind: z.enum(["numerical", "categorical"]).optional() }).strict(),
]);

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
    /** The network and training loop. */
    network: networkConfig.default(networkConfig.parse({})),
  })
  .strict();

/** A model config as written by a user. */
export type ModelConfigInput = z.input<typeof modelConfig>;
/** A model config after defaults. */
export type ModelConfig = z.output<typeof modelConfig>;
/** Network settings after defaults. */
export type NetworkConfig = z.output<typeof networkConfig>;

/** A model config with everything inferred resolved; stored with every version. */
export interface ResolvedModelConfig {
  name: string;
  target: string;
  task: Task;
  features: { name: string; kind: FeatureKind }[];
  maxCategories: number;
  positiveClass?: string;
  network: NetworkConfig;
}
