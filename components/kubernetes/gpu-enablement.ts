import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { z } from "zod";
import type { ClusterHandle, GpuScheduling, Taint } from "./cluster-handle.ts";
import { clusterHandle, parseArgs } from "./runtime-workload-args.ts";

/**
 * Pinned chart versions and repositories. Checked against the upstream charts (NVIDIA/k8s-device-plugin
 * deployments/helm, NVIDIA/gpu-operator deployments/gpu-operator, NVIDIA/dcgm-exporter deployment/)
 * and the versions their users pin; bump deliberately, with the values keys re-read.
 */
export const GPU_CHARTS = {
  devicePlugin: { chart: "nvidia-device-plugin", repo: "https://nvidia.github.io/k8s-device-plugin", version: "0.17.1" },
  gpuOperator: { chart: "gpu-operator", repo: "https://helm.ngc.nvidia.com/nvidia", version: "v25.10.0" },
  dcgmExporter: { chart: "dcgm-exporter", repo: "https://nvidia.github.io/dcgm-exporter/helm-charts", version: "4.1.1" },
} as const;

/** Arguments for {@link GpuEnablement}. */
export interface GpuEnablementArgs {
  /** The cluster; its `gpu` facts (node selector, taints, driver, device plugin) drive everything. */
  cluster: ClusterHandle;
  /** `device-plugin`: the NVIDIA device plugin chart only; `gpu-operator`: the NVIDIA GPU operator. @default "device-plugin" */
  mode?: "device-plugin" | "gpu-operator";
  /** Share each GPU between pods by time-slicing (no memory isolation). @default - no sharing */
  timeSlicing?: { replicas: number };
  /** Namespace the GPU components run in; created with the `privileged` Pod Security level (they mount host paths). @default "nvidia-gpu" */
  namespace?: string;
  /** Node image ships the NVIDIA container toolkit (GPU operator mode turns its own off). @default - same as `cluster.gpu.driverInstalled` */
  toolkitInstalled?: boolean;
  /** Deploy the DCGM exporter (GPU metrics) with a ServiceMonitor. @default true */
  dcgmExporter?: boolean;
  /** Extra labels on the DCGM ServiceMonitor (e.g. `Monitoring.serviceMonitorLabels`). @default {} */
  serviceMonitorLabels?: Record<string, string>;
}

/** zod schema of {@link GpuEnablementArgs}: validation and the documented defaults. */
export const gpuEnablementArgsSchema = z
  .object({
    cluster: clusterHandle.superRefine((c, ctx) => {
      const gpu: GpuScheduling | undefined = c.gpu;
      if (gpu === undefined) {
        ctx.addIssue({ code: "custom", path: ["gpu"], message: "the cluster has no GPU scheduling facts (no GPU nodes); do not create GpuEnablement" });
        return;
      }
      if (Object.keys(gpu.nodeSelector ?? {}).length === 0) {
        ctx.addIssue({ code: "custom", path: ["gpu", "nodeSelector"], message: "must select the GPU nodes (at least one label)" });
      }
      (gpu.taints ?? []).forEach((t, i) => {
        if (!t.key) ctx.addIssue({ code: "custom", path: ["gpu", "taints", i, "key"], message: "must be a non-empty taint key" });
        if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect)) {
          ctx.addIssue({ code: "custom", path: ["gpu", "taints", i, "effect"], message: `must be NoSchedule, PreferNoSchedule or NoExecute, got ${JSON.stringify(t.effect)}` });
        }
      });
    }),
    mode: z.enum(["device-plugin", "gpu-operator"]).default("device-plugin"),
    timeSlicing: z.object({ replicas: z.number().int().min(2, "must be >= 2 (1 means no sharing)").max(64) }).strict().optional(),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label").default("nvidia-gpu"),
    toolkitInstalled: z.boolean().optional(),
    dcgmExporter: z.boolean().default(true),
    serviceMonitorLabels: z.record(z.string(), z.string()).default({}),
  })
  .strict();

type Cfg = z.output<typeof gpuEnablementArgsSchema>;

/** A Kubernetes toleration as the charts take it. */
export interface Toleration {
  key: string;
  operator: "Equal" | "Exists";
  value?: string;
  effect: Taint["effect"];
}

/** Tolerations for the GPU nodes: each taint of the handle, plus the `nvidia.com/gpu` one every GPU daemon needs. */
export function gpuTolerations(gpu: GpuScheduling): Toleration[] {
  const out: Toleration[] = gpu.taints.map((t) =>
    t.value !== undefined && t.value !== "" ? { key: t.key, operator: "Equal", value: t.value, effect: t.effect } : { key: t.key, operator: "Exists", effect: t.effect },
  );
  if (!out.some((t) => t.key === "nvidia.com/gpu" && t.operator === "Exists" && t.effect === "NoSchedule")) {
    out.push({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
  }
  return out;
}

/** Required node affinity matching every label of the handle's GPU node selector. */
export function gpuNodeAffinity(gpu: GpuScheduling): Record<string, unknown> {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: Object.entries(gpu.nodeSelector).map(([key, value]) => ({ key, operator: "In", values: [value] })) }],
      },
    },
  };
}

/** Where {@link dcgmExporterHostValues} mounts `GpuScheduling.driverHostPath` in the exporter. */
export const DCGM_DRIVER_MOUNT = "/usr/local/nvidia";

/**
 * DCGM exporter chart values for what the node gives its pods (the chart's
 * deployment/templates/daemonset.yaml; keys checked in test/components/kubernetes/chart-facts.test.ts): with `driverHostPath` (no NVIDIA container runtime, e.g.
 * GKE on COS) the driver directory is mounted read-only at {@link DCGM_DRIVER_MOUNT} with
 * `LD_LIBRARY_PATH` on its lib64 so DCGM finds libnvidia-ml, and the container runs privileged to
 * see every /dev/nvidia* device it was not allocated — GKE's own exporter manifest does the same.
 * Replacing the chart's `extraVolumeMounts` list drops whatever it mounts by default, so the
 * counters come from the image's own dcp-metrics-included.csv (it has every DCGM_FI_* field the
 * dashboards and alert rules read). With `deviceIdType: device-name` the exporter maps GPUs to
 * pods by device name. Empty for nodes whose runtime injects the driver.
 */
export function dcgmExporterHostValues(gpu: GpuScheduling): Record<string, unknown> {
  const env: { name: string; value: string }[] = [];
  const values: Record<string, unknown> = {};
  if (gpu.driverHostPath !== undefined) {
    Object.assign(values, {
      arguments: ["-f", "/etc/dcgm-exporter/dcp-metrics-included.csv"],
      securityContext: { privileged: true },
      extraHostVolumes: [{ name: "nvidia-driver", hostPath: gpu.driverHostPath }],
      extraVolumeMounts: [{ name: "nvidia-driver", mountPath: DCGM_DRIVER_MOUNT, readOnly: true }],
    });
    env.push({ name: "LD_LIBRARY_PATH", value: `${DCGM_DRIVER_MOUNT}/lib64` });
  }
  if (gpu.deviceIdType === "device-name") env.push({ name: "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE", value: "device-name" });
  if (env.length > 0) values.extraEnv = env;
  return values;
}

/** The device plugin's config file (`version: v1`) sharing each GPU `replicas` ways. */
export function timeSlicingConfig(resourceName: string, replicas: number): string {
  return stringify({
    version: "v1",
    flags: { migStrategy: "none" },
    sharing: { timeSlicing: { resources: [{ name: resourceName, replicas }] } },
  });
}

/**
 * Makes a cluster's GPUs schedulable and observable: the NVIDIA device plugin (pinned to the GPU
 * nodes, tolerating their taints; skipped when the cluster already runs one) or the NVIDIA GPU
 * operator (driver and toolkit off where the node image has them), plus the DCGM exporter with a
 * ServiceMonitor (mounting the host's driver where no NVIDIA runtime injects it:
 * {@link dcgmExporterHostValues}), and optional time-slicing.
 */
export class GpuEnablement extends pulumi.ComponentResource {
  /** Namespace of the GPU components. */
  public readonly namespace: pulumi.Output<string>;
  /** What was deployed: `device-plugin`, `gpu-operator` or `none` (the cluster's own plugin is used). */
  public readonly mode: pulumi.Output<string>;
  /** Pinned chart versions deployed, by chart name. */
  public readonly chartVersions: pulumi.Output<Record<string, string>>;
  /** Schedulable GPU slots per physical GPU (time-slicing replicas, 1 without sharing). */
  public readonly replicasPerGpu: pulumi.Output<number>;

  constructor(name: string, args: GpuEnablementArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:GpuEnablement", name, {}, opts);
    const cfg = parseArgs("GpuEnablement", gpuEnablementArgsSchema, args);
    const result = createGpuEnablement(name, this, cfg);
    this.namespace = result.namespace;
    this.mode = pulumi.output(result.mode);
    this.chartVersions = pulumi.output(result.chartVersions);
    this.replicasPerGpu = pulumi.output(cfg.timeSlicing?.replicas ?? 1);
    this.registerOutputs({ namespace: this.namespace, mode: this.mode, chartVersions: this.chartVersions, replicasPerGpu: this.replicasPerGpu });
  }
}

function createGpuEnablement(name: string, parent: pulumi.Resource, cfg: Cfg) {
  const gpu = cfg.cluster.gpu as GpuScheduling;
  const resourceName = gpu.resourceName || "nvidia.com/gpu";
  const child = { parent, provider: cfg.cluster.provider };
  const tolerations = gpuTolerations(gpu);
  const affinity = gpuNodeAffinity(gpu);
  const chartVersions: Record<string, string> = {};

  const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
    metadata: {
      name: cfg.namespace,
      labels: {
        // The device plugin and DCGM mount host paths (kubelet socket, /dev); the operator installs into the host.
        "pod-security.kubernetes.io/enforce": "privileged",
        "app.kubernetes.io/part-of": "pulumi-mlops",
        "app.kubernetes.io/managed-by": "pulumi",
      },
    },
  }, child);
  const namespace = ns.metadata.name;
  const inNs = { ...child, dependsOn: [ns] };

  const timeSlicingKey = "time-slicing";
  let timeSlicingName: pulumi.Output<string> | undefined;
  const needsPlugin = !gpu.devicePluginInstalled;
  if (cfg.timeSlicing && needsPlugin) {
    const cm = new k8s.core.v1.ConfigMap(`${name}-time-slicing`, {
      metadata: { name: `${name}-time-slicing`, namespace },
      data: { [timeSlicingKey]: timeSlicingConfig(resourceName, cfg.timeSlicing.replicas) },
    }, inNs);
    timeSlicingName = cm.metadata.name;
  }

  // Every chart is pinned from GPU_CHARTS and its version reported in the outputs.
  const chart = (key: keyof typeof GPU_CHARTS, role: string, values: Record<string, unknown>, opts: pulumi.ComponentResourceOptions) => {
    const c = GPU_CHARTS[key];
    chartVersions[c.chart] = c.version;
    return new k8s.helm.v4.Chart(`${name}-${role}`, { chart: c.chart, version: c.version, repositoryOpts: { repo: c.repo }, namespace, values }, opts);
  };

  let mode: "device-plugin" | "gpu-operator" | "none" = "none";
  let gpuStack: pulumi.Resource | undefined;
  if (cfg.mode === "device-plugin" && needsPlugin) {
    mode = "device-plugin";
    gpuStack = chart("devicePlugin", "device-plugin", {
      affinity,
      nodeSelector: gpu.nodeSelector,
      tolerations,
      priorityClassName: "system-node-critical",
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
      ...(timeSlicingName ? { config: { name: timeSlicingName, default: timeSlicingKey } } : {}),
    }, inNs);
  } else if (cfg.mode === "gpu-operator") {
    mode = "gpu-operator";
    const toolkitInstalled = cfg.toolkitInstalled ?? gpu.driverInstalled;
    gpuStack = chart("gpuOperator", "gpu-operator", {
      driver: { enabled: !gpu.driverInstalled },
      toolkit: { enabled: !toolkitInstalled },
      devicePlugin: {
        enabled: needsPlugin,
        ...(timeSlicingName ? { config: { name: timeSlicingName, default: timeSlicingKey } } : {}),
      },
      // The standalone dcgm-exporter chart below is the one metrics come from, in both modes.
      dcgmExporter: { enabled: false },
      daemonsets: { tolerations },
      "node-feature-discovery": { worker: { tolerations } },
    }, inNs);
  }

  if (cfg.dcgmExporter) {
    chart("dcgmExporter", "dcgm-exporter", {
      nodeSelector: gpu.nodeSelector,
      affinity,
      tolerations,
      serviceMonitor: { enabled: true, interval: "15s", additionalLabels: cfg.serviceMonitorLabels },
      resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      ...dcgmExporterHostValues(gpu),
    }, { ...inNs, dependsOn: gpuStack ? [ns, gpuStack] : [ns] });
  }

  return { namespace, mode, chartVersions };
}
