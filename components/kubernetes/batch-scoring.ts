import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { modelName } from "@pulumi-mlops/contract";
import { RUNTIME_SERVICE_ACCOUNTS, type ClusterHandle } from "./cluster-handle.ts";
import { runtimeLabels } from "./labels.ts";
import { ALWAYS_REFINE, clusterHandle, containerResources, type ContainerResourcesInput, inputString, parseArgs } from "./runtime-workload-args.ts";
import { runtimePodLabels, runtimePodSpec } from "./runtime-workload.ts";

/** Arguments for {@link BatchScoring}. */
export interface BatchScoringArgs {
  /** The cluster to run on. */
  cluster: ClusterHandle;
  /** Kubernetes namespace of the Job (the runtime's, so its ServiceAccount is there). */
  namespace: pulumi.Input<string>;
  /** Runtime image reference. */
  image: pulumi.Input<string>;
  /** Registered model to score with. */
  model: string;
  /** Version number or alias to score with. @default "champion" */
  version?: number | string;
  /** Input dataset: a prefix ending in `/` or a glob (`s3://b/in/part-*.parquet`) of s3://, gs://, az:// URLs or an absolute path on the PVC model store. */
  input: string;
  /** Output prefix ending in `/`: one output file per input file, same base name. */
  output: string;
  /** Indexes of the Indexed Job; index i scores the input files whose sorted position is i modulo `shards`. Set it to the number of input files for one file per index. */
  shards: number;
  /** Pods running at once. @default - min(shards, 10) */
  parallelism?: number;
  /** Bad rows: "fail" stops an index at the first one; "skip" writes them to `_rejects-<name>.jsonl` beside each output. @default "fail" */
  onError?: "fail" | "skip";
  /** CPU and memory per pod; each field defaults on its own. @default { cpuRequest: "1", memoryRequest: "512Mi", cpuLimit: "2", memoryLimit: "1Gi" } */
  resources?: ContainerResourcesInput;
  /** Pod failures tolerated across all indexes before the Job fails. @default 3 */
  backoffLimit?: number;
  /** The Job is stopped after this many seconds. @default 21600 */
  activeDeadlineSeconds?: number;
  /** Finished Jobs are garbage-collected after this many seconds. @default 86400 */
  ttlSecondsAfterFinished?: number;
  /** Cron schedule (5 fields) of a CronJob that runs the Indexed Job. @default - one Job, started by `pulumi up` */
  schedule?: string;
  /** Make `pulumi up` wait for the one-off Job to complete (the provider's Job await). @default false */
  waitForCompletion?: boolean;
  /**
   * ServiceAccount the pods run as; it needs read access to the model store and the input, write
   * access to the output. @default - the runtime's retraining ServiceAccount (`mlops-retraining`, created by Retraining), which the cloud identity lets read and write the model store
   */
  serviceAccountName?: pulumi.Input<string>;
}

const datasetPrefix = z
  .string()
  .refine((u) => /^(s3|gs|az):\/\/[^/]+\//.test(u) || u.startsWith("/"), "must be an s3://, gs:// or az:// URL or an absolute path")
  .refine((u) => u.endsWith("/") || /[*?[][^/]*$/.test(u), "must be a prefix ending in / or a glob in its last segment");

/** Schema of {@link BatchScoringArgs}, with the defaults. */
export const batchScoringArgs = z
  .object({
    cluster: clusterHandle,
    namespace: inputString,
    image: inputString,
    model: modelName,
    version: z.union([z.number().int().positive(), modelName]).default("champion"),
    input: datasetPrefix,
    output: z
      .string()
      .refine((u) => /^(s3|gs|az):\/\/[^/]+\//.test(u) || u.startsWith("/"), "must be an s3://, gs:// or az:// URL or an absolute path")
      .refine((u) => u.endsWith("/"), "must be a prefix ending in /"),
    shards: z.number().int().min(1).max(100_000),
    parallelism: z.number().int().min(1).optional(),
    onError: z.enum(["fail", "skip"]).default("fail"),
    resources: containerResources.prefault({ cpuRequest: "1", memoryRequest: "512Mi", cpuLimit: "2", memoryLimit: "1Gi" }),
    backoffLimit: z.number().int().min(0).default(3),
    activeDeadlineSeconds: z.number().int().min(1).default(21_600),
    ttlSecondsAfterFinished: z.number().int().min(0).default(86_400),
    schedule: z.string().regex(/^\s*(\S+\s+){4}\S+\s*$|^@(yearly|annually|monthly|weekly|daily|hourly)$/, 'must be a 5-field cron expression like "0 3 * * 0"').optional(),
    waitForCompletion: z.boolean().default(false),
    serviceAccountName: inputString.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.parallelism !== undefined && typeof a.shards === "number" && a.parallelism > a.shards) ctx.addIssue({ code: "custom", path: ["parallelism"], message: `must be at most shards (${a.shards})` });
    if (typeof a.input === "string" && typeof a.output === "string" && a.output === a.input.replace(/[^/]*$/, "")) {
      ctx.addIssue({ code: "custom", path: ["output"], message: `must not be the input's own prefix ${a.output}: outputs keep the inputs' names and would overwrite them` });
    }
    if (a.schedule !== undefined && a.waitForCompletion) ctx.addIssue({ code: "custom", path: ["waitForCompletion"], message: "applies to the one-off Job, not to a schedule" });
  }, ALWAYS_REFINE);

type Config = z.output<typeof batchScoringArgs>;

/**
 * `mlops predict` as a Kubernetes Indexed Job over the files of a prefix: `shards` indexes, each
 * scoring the input files whose sorted position is its index modulo `shards` (one file per index
 * when `shards` is the number of files), streaming, writing each output atomically beside the
 * others under `output`. A one-off Job at `pulumi up`, or a CronJob on `schedule`.
 */
export class BatchScoring extends pulumi.ComponentResource {
  /** Name of the Job (or CronJob). */
  public readonly jobName: pulumi.Output<string>;
  /** Where the outputs go. */
  public readonly output: string;

  constructor(name: string, args: BatchScoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:BatchScoring", name, {}, opts);
    const cfg = parseArgs("BatchScoring", batchScoringArgs, args);
    const r = createBatchScoring(name, this, cfg);
    this.jobName = r.jobName;
    this.output = cfg.output;
    this.registerOutputs({ jobName: this.jobName, output: this.output });
  }
}

/** The Indexed Job's spec (also the CronJob's jobTemplate spec). */
export function batchScoringJobSpec(name: string, cfg: Config): k8s.types.input.batch.v1.JobSpec {
  const labels = runtimeLabels(name, "batch-scoring");
  const version = typeof cfg.version === "number" ? ["--version", String(cfg.version)] : ["--label", cfg.version];
  const podSpec = runtimePodSpec({
    cluster: cfg.cluster,
    image: cfg.image,
    args: ["predict", "--model", cfg.model, ...version, "--data", cfg.input, "--out", cfg.output, "--on-error", cfg.onError, "--shard-index", "$(JOB_COMPLETION_INDEX)", "--shard-count", String(cfg.shards)],
    resources: cfg.resources,
    gpus: 0,
    serviceAccountName: cfg.serviceAccountName ?? (cfg.cluster.workloadIdentity.serviceAccounts ?? RUNTIME_SERVICE_ACCOUNTS).retraining,
    // The Job controller sets this annotation on each pod of an Indexed Job; the args expand it.
    env: [{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }],
  });
  return {
    completionMode: "Indexed",
    completions: cfg.shards,
    parallelism: cfg.parallelism ?? Math.min(cfg.shards, 10),
    backoffLimit: cfg.backoffLimit,
    activeDeadlineSeconds: cfg.activeDeadlineSeconds,
    ttlSecondsAfterFinished: cfg.ttlSecondsAfterFinished,
    template: { metadata: { labels: runtimePodLabels(cfg.cluster, labels) }, spec: { ...podSpec, restartPolicy: "Never" } },
  };
}

function createBatchScoring(name: string, parent: pulumi.Resource, cfg: Config) {
  const opts: pulumi.CustomResourceOptions = { parent, provider: cfg.cluster.provider };
  const labels = runtimeLabels(name, "batch-scoring");
  const spec = batchScoringJobSpec(name, cfg);
  if (cfg.schedule !== undefined) {
    const cron = new k8s.batch.v1.CronJob(
      `${name}-schedule`,
      { metadata: { namespace: cfg.namespace, labels }, spec: { schedule: cfg.schedule, concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3, jobTemplate: { metadata: { labels }, spec } } },
      opts,
    );
    return { jobName: cron.metadata.name };
  }
  const job = new k8s.batch.v1.Job(
    `${name}-job`,
    {
      // Without skipAwait the provider blocks `pulumi up` until the last index finishes.
      metadata: { namespace: cfg.namespace, labels, ...(cfg.waitForCompletion ? {} : { annotations: { "pulumi.com/skipAwait": "true" } }) },
      spec,
    },
    opts,
  );
  return { jobName: job.metadata.name };
}
