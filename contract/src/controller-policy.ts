import { z } from "zod";
import { modelName } from "./model-name.ts";
import { QUALITY_METRICS } from "./quality-metrics.ts";

// The retraining controller's policy: the runtime reads it (`mlops controller --policy`), the
// Retraining component validates it at preview and writes it to a ConfigMap. One schema, here,
// so the two can never disagree.

/** Retrain when live quality crosses an absolute bound. */
export const qualityDropTrigger = z
  .object({
    /** Live metric the servers report in their snapshots (`quality.metric`). */
    metric: z.enum(QUALITY_METRICS),
    /** Absolute bound: the signal holds when rmse, mae or logLoss is above it, or accuracy, rocAuc or r2 below it. */
    threshold: z.number(),
    /** Labelled rows (summed over instances) the live value must rest on before it counts. @default 50 */
    minLabelled: z.number().int().min(1).default(50),
  })
  .strict();

/** When to retrain. */
export const triggerPolicy = z
  .object({
    /** Retrain on dataset drift: Evidently's share of drifted columns in the servers' windows. @default true */
    datasetDrift: z.boolean().default(true),
    /** Retrain when any of these features drifts, even without dataset drift. @default [] */
    features: z.array(z.string().min(1)).default([]),
    /** Retrain when live quality crosses an absolute bound. @default - no quality trigger */
    qualityDrop: qualityDropTrigger.optional(),
    /** Consecutive checks (each with new snapshots) the signal must hold; one clean check starts the count again. @default 3 */
    persistChecks: z.number().int().min(1).max(10_000).default(3),
    /** Served rows an instance's drift window needs before its drift result counts. @default 100 */
    minWindowRows: z.number().int().min(1).default(100),
    /** Snapshots not updated for this long are ignored (a server that stopped). @default 300 */
    maxSnapshotAgeSeconds: z.number().positive().default(300),
  })
  .strict();

/** What a retrained version learns from. */
export const trainingPolicy = z
  .object({
    /** Reference data retraining starts from: a path or s3://, gs://, az://, https:// URL of a file, prefix or glob (CSV, JSONL, Parquet). @default - the champion's training data (its `dataset.source`) */
    referenceData: z.string().min(1).optional(),
    /** Train on the reference rows plus the feedback rows (true) or the feedback rows only (false). @default true */
    includeReference: z.boolean().default(true),
    /** Latest labelled feedback rows to train on, after the holdout is taken. @default 2000 */
    recentRows: z.number().int().min(0).default(2000),
    /** Most recent labelled rows kept out of training for the gate; never more than half the labelled rows. @default 200 */
    holdoutRows: z.number().int().min(1).default(200),
    /**
     * The model config a retrain uses: "champion", the champion's resolved config as it is;
     * "tuned", the champion's config with the network of its tuning lineage (`mlops tune`) — the
     * champion's own, else the nearest ancestor's, else the best of the model's latest finished
     * search — so a champion retrained or hand-edited since keeps learning with the tuned
     * hyperparameters. @default "champion"
     */
    config: z.enum(["champion", "tuned"]).default("champion"),
  })
  .strict();

/** The quality gate a retrained version must pass on the holdout (like MLflow's MetricThreshold). */
export const gatePolicy = z
  .object({
    /** Metric compared on the holdout. @default - rmse for regression, rocAuc for binary, accuracy for multiclass */
    metric: z.enum(QUALITY_METRICS).optional(),
    /** Absolute margin, in the metric's units, by which the challenger must beat the champion; negative tolerates a worse one. @default 0 */
    minImprovement: z.number().default(0),
    /** Fewest holdout rows the gate decides on; with fewer labelled rows the retrain waits. @default 50 */
    minHoldoutRows: z.number().int().min(1).default(50),
  })
  .strict();

/** Health bounds of the challenger during the shadow phase and each canary step. */
export const healthPolicy = z
  .object({
    /** Highest share of the challenger's requests in a step that may fail (5xx). @default 0.01 */
    maxErrorRate: z.number().min(0).max(1).default(0.01),
    /** Highest p99 latency of the challenger; the worst instance counts. @default 250 */
    maxP99LatencyMs: z.number().positive().default(250),
    /** How much worse than the champion's the challenger's live quality may be, in the metric's units. @default 0.05 */
    maxQualityDrop: z.number().min(0).default(0.05),
    /** Labelled rows each version needs (summed over instances) before live quality is compared. @default 30 */
    minLabelled: z.number().int().min(1).default(30),
  })
  .strict();

/** How a version that passed the gate reaches all traffic. */
export const rolloutPolicy = z
  .object({
    /** Seconds the challenger scores a copy of the traffic before the canary; 0 skips the shadow phase. @default 0 */
    shadowSeconds: z.number().min(0).default(0),
    /** Canary shares of unlabelled traffic, increasing; after the last one the challenger is promoted. @default [0.1, 0.5, 1] */
    steps: z
      .array(z.number().gt(0).max(1))
      .min(1)
      .default([0.1, 0.5, 1])
      .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]!), "steps must increase"),
    /** Seconds each step lasts at least, staying healthy. @default 60 */
    dwellSeconds: z.number().min(0).default(60),
    /** Requests the challenger must answer in a step before its health counts and the step may end. @default 100 */
    minRequestsPerStep: z.number().int().min(0).default(100),
    /** A step still short of minRequestsPerStep after this long is rolled back for lack of evidence. @default - 10 × dwellSeconds, at least 600 */
    maxStepSeconds: z.number().positive().optional(),
    /** Health bounds checked during the shadow phase and every step. */
    health: healthPolicy.prefault({}),
  })
  .strict()
  .refine((r) => r.maxStepSeconds === undefined || r.maxStepSeconds >= r.dwellSeconds, { message: "maxStepSeconds must be >= dwellSeconds", path: ["maxStepSeconds"] });

/** Where and how training runs. */
export const executorPolicy = z
  .object({
    /**
     * Where training runs: "local", a child process of the controller (its pod, when deployed);
     * "kubernetes", a Job per run from the Retraining component's template (GPU nodes when
     * trainOnGpu), reading the run's data from the model store. The Retraining component writes
     * "kubernetes" unless the policy says otherwise. @default "local"
     */
    kind: z.enum(["local", "kubernetes"]).default("local"),
    /** A training run still going after this many seconds is killed. @default 900 */
    timeoutSeconds: z.number().positive().default(900),
    /** Retries after a failed or timed-out run. @default 2 */
    retries: z.number().int().min(0).max(10).default(2),
    /** Wait before the first retry, doubling for each further one. @default 10 */
    backoffSeconds: z.number().min(0).default(10),
  })
  .strict();

/** Which of several controllers for one model acts: the holder of a lease in the registry. */
export const leadershipPolicy = z
  .object({
    // A standby takes over once the lease has gone this long unrenewed, at its next check; a
    // controller that stops cleanly hands over at once.
    /** Seconds a controller's lease lasts without renewal; the holder renews every third of it. @default 15 */
    leaseSeconds: z.number().min(1).max(3600).default(15),
  })
  .strict();

/** What promotion to champion needs besides a healthy canary. */
export const promotionPolicy = z
  .object({
    /**
     * Hold a version that passed the gate and its canary steps below 100% until a person runs
     * `mlops models approve <model> <version> --by <name> --reason ...` (then the remaining steps
     * run and it is promoted) or `mlops models reject ...` (it is rolled back). The controller
     * records `awaiting-approval` and keeps the canary split while it waits. The platform's
     * `production` profile turns it on. @default false
     */
    requireApproval: z.boolean().default(false),
  })
  .strict();

/** A retraining controller's policy file (JSON or YAML). Only `model` is required. */
export const controllerPolicy = z
  .object({
    /** The registry model the controller looks after. */
    model: modelName,
    /** When to retrain. */
    trigger: triggerPolicy.prefault({}),
    /** Seconds from the start of one retraining cycle (its drift-detected event) to the next. @default 600 */
    cooldownSeconds: z.number().min(0).default(600),
    /** What a retrained version learns from. */
    training: trainingPolicy.prefault({}),
    /** The quality gate on the holdout. */
    gate: gatePolicy.prefault({}),
    /** Shadow phase, canary steps and health bounds. */
    rollout: rolloutPolicy.prefault({}),
    /** Where and how training runs. */
    executor: executorPolicy.prefault({}),
    /** Seconds between checks, and between health polls during a rollout. @default 10 */
    intervalSeconds: z.number().positive().default(10),
    /** Leadership among controller replicas: only the lease holder acts. */
    leadership: leadershipPolicy.prefault({}),
    /** What promotion to champion needs (a person's approval). */
    promotion: promotionPolicy.prefault({}),
  })
  .strict()
  .refine((p) => p.trigger.datasetDrift || p.trigger.features.length > 0 || p.trigger.qualityDrop !== undefined, {
    message: "nothing can trigger a retrain: enable datasetDrift, list features, or set qualityDrop",
    path: ["trigger"],
  });

/** A policy as written. */
export type ControllerPolicyInput = z.input<typeof controllerPolicy>;
/** A policy with every default applied. */
export type ControllerPolicy = z.output<typeof controllerPolicy>;
/** The trigger section after defaults. */
export type TriggerPolicy = z.output<typeof triggerPolicy>;
/** The gate section after defaults. */
export type GatePolicy = z.output<typeof gatePolicy>;
/** The health section after defaults. */
export type HealthPolicy = z.output<typeof healthPolicy>;
/** The training section after defaults. */
export type TrainingPolicy = z.output<typeof trainingPolicy>;
