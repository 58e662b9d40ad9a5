import { z } from "zod";
import { existingClusterArgs } from "../kubernetes/existing-cluster.ts";
import { ALWAYS_REFINE } from "../kubernetes/runtime-workload-args.ts";
import { platformGpuSection, platformImageSection, platformMonitoringSection, platformRetrainingSection } from "../kubernetes/mlops-platform-on-cluster.ts";
import { modelServingOptions } from "../kubernetes/model-serving.ts";

/** Where the platform runs. */
export const CLOUDS = ["aws", "gcp", "azure", "existing"] as const;

/** The `existing` section: how to reach a cluster you already run (kind, k3d, minikube, on-prem) and what it offers. */
export const existingClusterSection = existingClusterArgs.omit({ kubeconfig: true, namespace: true, createNamespace: true, registryUrl: true }).extend({
  /** Container registry the cluster pulls from (kind's local registry: "localhost:5001"). @default - none; then `image.ref` is required */
  registryUrl: z.string().min(1).optional(),
});

/**
 * Stack configuration (the `pulumi-mlops:` keys of stacks/Pulumi.<stack>.yaml). This is the
 * surface platform teams template per environment; later issues add the per-cloud sections.
 * The kubeconfig of an existing cluster is not part of it: it is the secret
 * `pulumi-mlops:kubeconfig`, read by the stack program with `getSecret`.
 */
export const platformConfig = z
  .object({
    /** Target cloud, or an existing Kubernetes cluster. */
    cloud: z.enum(CLOUDS),
    /** dev is small and cheap; production is highly available with a private endpoint. @default "dev" */
    profile: z.enum(["dev", "production"]).default("dev"),
    /** Cloud region (required for aws, gcp, azure). */
    region: z.string().min(1).optional(),
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
    if (!(CLOUDS as readonly string[]).includes(c.cloud)) return;
    if (c.cloud !== "existing" && c.region === undefined) ctx.addIssue({ code: "custom", path: ["region"], message: `required when cloud is ${c.cloud}` });
    if (c.cloud !== "existing" && c.existing !== undefined) ctx.addIssue({ code: "custom", path: ["existing"], message: `only used when cloud is existing, not ${c.cloud}` });
    const gpuNodes = c.cloud !== "existing" || c.existing?.gpu !== undefined;
    if (!gpuNodes && c.serving?.gpus > 0) ctx.addIssue({ code: "custom", path: ["serving", "gpus"], message: "the existing cluster has no GPU nodes: set existing.gpu" });
    if (!gpuNodes && c.retraining?.training?.trainOnGpu === true) ctx.addIssue({ code: "custom", path: ["retraining", "training", "trainOnGpu"], message: "the existing cluster has no GPU nodes: set existing.gpu" });
    if (c.cloud === "existing" && c.image?.ref === undefined && c.existing?.registryUrl === undefined) {
      ctx.addIssue({ code: "custom", path: ["image", "ref"], message: "required when existing.registryUrl is not set (nowhere to push a built image)" });
    }
  }, ALWAYS_REFINE);

/** Stack configuration after defaults. */
export type PlatformConfig = z.output<typeof platformConfig>;
