import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { alertingConfigSchema, resolveConfigSecrets } from "./alert-routing.ts";
import type { ClusterHandle } from "./cluster-handle.ts";
import { GpuEnablement } from "./gpu-enablement.ts";
import { RESTRICTED_POD_SECURITY } from "./labels.ts";
import { ModelServing, modelServingOptions } from "./model-serving.ts";
import { Monitoring } from "./monitoring.ts";
import { Retraining, retrainingOptions } from "./retraining.ts";
import { imageReference, RuntimeImage } from "./runtime-image.ts";
import { ALWAYS_REFINE, clusterHandle, inSection, parseArgs } from "./runtime-workload-args.ts";

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label");

/** The monitoring section of {@link MlopsPlatformOnClusterConfig}. */
export const platformMonitoringSection = z
  .object({
    /** Deploy kube-prometheus-stack, alert rules and dashboards. @default true */
    enabled: z.boolean().default(true),
    /** Namespace of the monitoring stack. @default "monitoring" */
    namespace: dnsLabel.default("monitoring"),
    /** Prometheus retention. @default "15d" */
    retention: z.string().optional(),
    /** Prometheus volume size. @default "50Gi" */
    storageSize: z.string().optional(),
    /** Alert receivers and routes; credentials are Secret references or `{ configSecret: <key> }` (set with `pulumi config set --secret <key>`). @default - alerts reach nobody, and preview warns */
    alerting: alertingConfigSchema.optional(),
  })
  .strict();

/** The GPU section: how GPUs are enabled when the cluster has GPU nodes. */
export const platformGpuSection = z
  .object({
    /** `device-plugin` or `gpu-operator`. @default "device-plugin" */
    mode: z.enum(["device-plugin", "gpu-operator"]).default("device-plugin"),
    /** Share each GPU between this many pods. @default - no sharing */
    timeSlicing: z.object({ replicas: z.number().int().min(2) }).strict().optional(),
  })
  .strict();

/** The runtime image section: a prebuilt reference, or built and pushed to the cluster's registry. */
export const platformImageSection = z
  .object({
    /** Prebuilt image reference. @default - built from runtime/Dockerfile and pushed to ClusterHandle.registryUrl */
    ref: imageReference.optional(),
    /** Build the CUDA variant. @default - true when the cluster has GPU nodes and serving or training uses them */
    gpu: z.boolean().optional(),
    /** Push the built image. @default true */
    push: z.boolean().default(true),
  })
  .strict();

/** Retraining section: absent or `enabled: false` means no controller. */
export const platformRetrainingSection = retrainingOptions.extend({
  /** Deploy the retraining controller. @default true when the section is present */
  enabled: z.boolean().default(true),
});

/** Schema of the plain-data platform configuration (what a stack's YAML carries). */
export const mlopsPlatformOnClusterConfig = z
  .object({
    /** Namespace of the runtime (serving, retraining). @default "mlops" */
    namespace: dnsLabel.default("mlops"),
    /** Create the runtime namespace with Pod Security `restricted` (false when the cluster adapter already made it). @default true */
    createNamespace: z.boolean().default(true),
    /** Monitoring stack. @default { enabled: true, namespace: "monitoring" } */
    monitoring: platformMonitoringSection.prefault({}),
    /** GPU enablement (only used when the cluster has GPU nodes). @default { mode: "device-plugin" } */
    gpu: platformGpuSection.prefault({}),
    /** Runtime image. @default - built and pushed to the cluster's registry */
    image: platformImageSection.prefault({}),
    /** Model serving. @default - ModelServing's defaults */
    serving: modelServingOptions.prefault({}),
    /** Retraining controller. @default - none */
    retraining: platformRetrainingSection.optional(),
  })
  .strict();

/** Platform configuration as written. */
export type MlopsPlatformOnClusterConfig = z.input<typeof mlopsPlatformOnClusterConfig>;

/** Arguments for {@link MlopsPlatformOnCluster}: one config object plus the cluster. */
export interface MlopsPlatformOnClusterArgs extends MlopsPlatformOnClusterConfig {
  /** The cluster to build the platform on. */
  cluster: ClusterHandle;
}

const mlopsPlatformOnClusterArgs = mlopsPlatformOnClusterConfig.extend({ cluster: clusterHandle }).superRefine((a, ctx) => {
  const noGpu = a.cluster?.gpu === undefined;
  if (noGpu && a.serving?.gpus > 0) ctx.addIssue({ code: "custom", path: ["serving", "gpus"], message: "the cluster has no GPU nodes" });
  if (noGpu && a.retraining?.training?.trainOnGpu === true) ctx.addIssue({ code: "custom", path: ["retraining", "training", "trainOnGpu"], message: "the cluster has no GPU nodes" });
  if (a.image?.ref === undefined && a.cluster?.registryUrl === undefined) {
    ctx.addIssue({ code: "custom", path: ["image", "ref"], message: "required when the cluster has no container registry (ClusterHandle.registryUrl) to push a built image to" });
  }
}, ALWAYS_REFINE);

/**
 * The whole MLOps platform on one cluster: the runtime namespace (Pod Security `restricted`),
 * Monitoring, GpuEnablement (when the cluster has GPU nodes), the runtime image, ModelServing
 * and, when configured, Retraining.
 */
export class MlopsPlatformOnCluster extends pulumi.ComponentResource {
  /** Cluster-internal URL of the inference endpoint. */
  public readonly endpoint: pulumi.Output<string>;
  /** The runtime namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** Grafana URL (cluster-internal), or undefined without monitoring. */
  public readonly grafanaUrl: pulumi.Output<string | undefined>;
  /** The runtime image reference deployed. */
  public readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: MlopsPlatformOnClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:MlopsPlatformOnCluster", name, {}, opts);
    const cfg = parseArgs("MlopsPlatformOnCluster", mlopsPlatformOnClusterArgs, args);
    const r = createMlopsPlatformOnCluster(name, this, cfg);
    this.endpoint = r.endpoint;
    this.namespace = r.namespace;
    this.grafanaUrl = r.grafanaUrl;
    this.imageRef = r.imageRef;
    this.registerOutputs({ endpoint: this.endpoint, namespace: this.namespace, grafanaUrl: this.grafanaUrl, imageRef: this.imageRef });
  }
}

function createMlopsPlatformOnCluster(name: string, parent: pulumi.Resource, cfg: z.output<typeof mlopsPlatformOnClusterArgs>) {
  const cluster = cfg.cluster;
  const namespace: pulumi.Output<string> = cfg.createNamespace
    ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: cfg.namespace, labels: { ...RESTRICTED_POD_SECURITY } } }, { parent, provider: cluster.provider }).metadata.name
    : pulumi.output(cfg.namespace);

  // Each child validates its section again; its errors then name the section (`monitoring.retention`).
  const section = <T>(key: string, create: () => T): T => inSection("MlopsPlatformOnCluster", key, create);
  const monitoring = cfg.monitoring.enabled
    ? section("monitoring", () => new Monitoring(
        `${name}-monitoring`,
        {
          cluster,
          namespace: cfg.monitoring.namespace,
          retention: cfg.monitoring.retention,
          storageSize: cfg.monitoring.storageSize,
          // A stack names its credentials by config key; the values stay encrypted in the stack config and the state.
          alerting: cfg.monitoring.alerting && resolveConfigSecrets(cfg.monitoring.alerting, (key) => new pulumi.Config().requireSecret(key)),
        },
        { parent },
      ))
    : undefined;

  const usesGpu = cluster.gpu !== undefined && (cfg.serving.gpus > 0 || cfg.retraining?.training.trainOnGpu === true);
  const gpu =
    cluster.gpu !== undefined
      ? section("gpu", () => new GpuEnablement(
          `${name}-gpu`,
          { cluster, mode: cfg.gpu.mode, timeSlicing: cfg.gpu.timeSlicing, serviceMonitorLabels: monitoring?.serviceMonitorLabels ?? {}, dcgmExporter: monitoring !== undefined },
          { parent, dependsOn: monitoring ? [monitoring] : [] },
        ))
      : undefined;

  const image =
    cfg.image.ref !== undefined
      ? new RuntimeImage(`${name}-image`, { image: cfg.image.ref }, { parent })
      : new RuntimeImage(`${name}-image`, { build: { registryUrl: cluster.registryUrl!, gpu: cfg.image.gpu ?? usesGpu, push: cfg.image.push, registryAuth: cluster.registryAuth } }, { parent });

  // ServiceMonitor / AlertmanagerConfig need the monitoring CRDs; GPU pods need the device plugin.
  const dependsOn: pulumi.Resource[] = [...(monitoring ? [monitoring] : []), ...(gpu && usesGpu ? [gpu] : [])];
  const monitoringRef = monitoring ? { namespace: monitoring.namespace, serviceMonitorLabels: monitoring.serviceMonitorLabels } : undefined;

  const serving = section("serving", () => new ModelServing(
    `${name}-serving`,
    { ...cfg.serving, cluster, namespace, image: image.ref, monitoring: monitoringRef },
    { parent, dependsOn },
  ));

  if (cfg.retraining?.enabled) {
    const { enabled: _enabled, ...retraining } = cfg.retraining;
    section("retraining", () => new Retraining(`${name}-retraining`, { ...retraining, cluster, namespace, image: image.ref, monitoring: monitoringRef }, { parent, dependsOn }));
  }

  return {
    endpoint: serving.url,
    namespace,
    grafanaUrl: monitoring ? monitoring.grafanaUrl.apply((u): string | undefined => u) : pulumi.output<string | undefined>(undefined),
    imageRef: image.ref,
  };
}
