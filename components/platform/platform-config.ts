import { z } from "zod";
import { existingClusterArgs } from "../kubernetes/existing-cluster.ts";
import { ALWAYS_REFINE } from "../kubernetes/runtime-workload-args.ts";
import { platformGpuSection, platformImageSection, platformMonitoringSection, platformRetrainingSection } from "../kubernetes/mlops-platform-on-cluster.ts";
import { modelServingOptions } from "../kubernetes/model-serving.ts";
import { awsPlatformSection } from "../aws/cloud.ts";
import { azurePlatformSection } from "../azure/cloud.ts";
import { gcpPlatformSection } from "../gcp/cloud.ts";
import { CLOUD_MODULES, CLOUD_NAMES, isCloudName } from "./clouds.ts";
import { applyProfile, PROFILES } from "./profiles.ts";

/** Where the platform runs: a cloud of CLOUD_MODULES, or an existing Kubernetes cluster. */
export const CLOUDS = [...CLOUD_NAMES, "existing"] as const;

/** The `existing` section: how to reach a cluster you already run (kind, k3d, minikube, on-prem) and what it offers. */
export const existingClusterSection = existingClusterArgs.omit({ kubeconfig: true, namespace: true, createNamespace: true, registryUrl: true }).extend({
  /** Container registry the cluster pulls from (kind's local registry: "localhost:5001"). @default - none; then `image.ref` is required */
  registryUrl: z.string().min(1).optional(),
});

/**
 * The platform's configuration before profile defaults: what `MlopsPlatform` takes and what the
 * `pulumi-mlops:` keys of stacks/Pulumi.<stack>.yaml hold. The kubeconfig of an existing cluster
 * is not part of it: it is the secret `pulumi-mlops:kubeconfig` (or `MlopsPlatformArgs.kubeconfig`).
 */
export const basePlatformConfig = z
  .object({
    /** Target cloud, or an existing Kubernetes cluster. */
    cloud: z.enum(CLOUDS),
    /** dev is small and cheap; production is highly available with a private endpoint. @default "dev" */
    profile: z.enum(PROFILES).default("dev"),
    /** Extra tags (AWS, Azure) / labels (GCP) on every cloud resource, besides `mlops-profile` and `mlops-environment`. @default {} */
    tags: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, "must be a lowercase key (GCP label rules)"), z.string().max(63)).default({}),
    /** Cloud region (AWS region, GCP region, Azure location); required for aws, gcp, azure. */
    region: z.string().min(1).optional(),
    /** The AWS cluster, registry, bucket and identity (only with `cloud: aws`). @default - AwsCluster's defaults under the profile's */
    aws: awsPlatformSection.optional(),
    /** The GCP cluster, registry, bucket and identity (only with `cloud: gcp`). @default - GcpCluster's defaults under the profile's */
    gcp: gcpPlatformSection.optional(),
    /** The Azure cluster, registry, storage and identity (only with `cloud: azure`). @default - AzureCluster's defaults under the profile's */
    azure: azurePlatformSection.optional(),
    /** Kubernetes namespace for the runtime. @default "mlops" */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").max(63).default("mlops"),
    /** The existing cluster (only with `cloud: existing`). @default - the ambient kubeconfig's current context, a 20Gi ReadWriteOnce model store, no GPUs */
    existing: existingClusterSection.optional(),
    /** Monitoring stack. @default { enabled: true, namespace: "monitoring" } */
    monitoring: platformMonitoringSection.prefault({}),
    /** GPU enablement, used when the cluster has GPU nodes. @default { mode: "device-plugin" } */
    gpu: platformGpuSection.prefault({}),
    /** Runtime image: a prebuilt `ref`, or built and pushed to the cluster's registry. @default - built */
    image: platformImageSection.prefault({}),
    /** Model serving (replicas, autoscaling, resources, GPUs, allowed namespaces, ingress). @default - ModelServing's defaults */
    serving: modelServingOptions.prefault({}),
    /** Retraining controller (policy with `model`, training Job, schedule). @default - no controller */
    retraining: platformRetrainingSection.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Runs even when a field failed (every problem at once), so values may be unvalidated here.
    if (!(CLOUDS as readonly unknown[]).includes(c.cloud)) return;
    if (c.cloud !== "existing" && c.region === undefined) ctx.addIssue({ code: "custom", path: ["region"], message: `required when cloud is ${c.cloud}` });
    if (c.cloud !== "existing" && c.existing !== undefined) ctx.addIssue({ code: "custom", path: ["existing"], message: `only used when cloud is existing, not ${c.cloud}` });
    for (const section of CLOUD_NAMES) {
      if (c.cloud !== section && c[section] !== undefined) ctx.addIssue({ code: "custom", path: [section], message: `only used when cloud is ${section}, not ${c.cloud}` });
    }
    // The cloud's cross-field checks, reported under the section's path like its field errors.
    if (isCloudName(c.cloud)) CLOUD_MODULES[c.cloud].check(c[c.cloud], c.region, ctx, [c.cloud]);
    const section = c.cloud === "existing" ? undefined : c[c.cloud];
    const gpuNodes = c.cloud === "existing" ? c.existing?.gpu !== undefined : section?.gpuPools === undefined || section.gpuPools.length > 0;
    const noGpus = c.cloud === "existing" ? "the existing cluster has no GPU nodes: set existing.gpu" : `${c.cloud}.gpuPools is empty`;
    if (!gpuNodes && c.serving?.gpus > 0) ctx.addIssue({ code: "custom", path: ["serving", "gpus"], message: noGpus });
    if (!gpuNodes && c.retraining?.training?.trainOnGpu === true) ctx.addIssue({ code: "custom", path: ["retraining", "training", "trainOnGpu"], message: noGpus });
    // The profile reaches the servers through serving.profile (set by the profile's defaults):
    // one that disagrees would let a production platform serve the console without the opt-in.
    if (c.serving?.profile !== undefined && c.profile !== undefined && c.serving.profile !== c.profile) {
      ctx.addIssue({ code: "custom", path: ["serving", "profile"], message: `must match the platform's profile (${String(c.profile)}); leave it unset` });
    }
    if (c.cloud === "existing" && c.image?.ref === undefined && c.existing?.registryUrl === undefined) {
      ctx.addIssue({ code: "custom", path: ["image", "ref"], message: "required when existing.registryUrl is not set (nowhere to push a built image)" });
    }
  }, ALWAYS_REFINE);

/**
 * The platform configuration with the profile's defaults laid under what was written (see
 * PROFILE_DEFAULTS): validate stack config and `MlopsPlatform` args with this.
 */
export const platformConfig = z.preprocess(applyProfile, basePlatformConfig);

/** Platform configuration after profile and schema defaults. */
export type PlatformConfig = z.output<typeof basePlatformConfig>;
/** Platform configuration as written. */
export type PlatformConfigInput = z.input<typeof basePlatformConfig>;
