import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { type ClusterHandle, type ModelStore, RUNTIME_SERVICE_ACCOUNTS, type RuntimeServiceAccounts } from "./cluster-handle.ts";
import type { ContainerResources } from "./runtime-workload-args.ts";

/** UID and GID the runtime runs as (the runtime image's non-root user). */
export const RUNTIME_UID = 10001;

/** Where the registry volume is mounted when the model store is a PVC and the caller gave no path. */
export const DEFAULT_REGISTRY_MOUNT = "/var/lib/mlops/registry";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;

/** What {@link runtimePodSpec} needs to build the runtime's pod. */
export interface RuntimePodOptions {
  /** The cluster: GPU scheduling facts and the model store come from it. */
  cluster: ClusterHandle;
  /** Runtime image reference. */
  image: pulumi.Input<string>;
  /** Arguments to the image's `mlops` entrypoint (e.g. `["serve", "--port", "8501"]`), without `--registry`. */
  args: pulumi.Input<string>[];
  /** CPU and memory requests and limits (always both). */
  resources: ContainerResources;
  /** GPUs per pod; 0 schedules on any node with no GPU toleration. */
  gpus: number;
  /** ServiceAccount the pod runs as. */
  serviceAccountName: pulumi.Input<string>;
  /** Mount the ServiceAccount token (only for pods that call the Kubernetes API). @default false */
  automountServiceAccountToken?: boolean;
  /** Container ports. */
  ports?: k8s.types.input.core.v1.ContainerPort[];
  /** Probes of the container. */
  probes?: Pick<Container, "startupProbe" | "readinessProbe" | "livenessProbe">;
  /** Lifecycle hooks of the container (e.g. a preStop wait). @default - none */
  lifecycle?: Container["lifecycle"];
  /** Extra environment variables. */
  env?: k8s.types.input.core.v1.EnvVar[];
  /** Extra volumes and their mounts (ConfigMaps with policy, job template, ...). */
  volumes?: { volume: k8s.types.input.core.v1.Volume; mount: k8s.types.input.core.v1.VolumeMount }[];
}

/** The `--registry` argument the runtime gets for a model store: the bucket URL or the PVC's mount path. */
export function registryLocation(store: ModelStore): pulumi.Input<string> {
  return store.kind === "bucket" ? store.url : store.mountPath || DEFAULT_REGISTRY_MOUNT;
}

/** The registry volume and mount for a PVC-backed model store; none for buckets. */
export function registryVolume(store: ModelStore): { volume: k8s.types.input.core.v1.Volume; mount: k8s.types.input.core.v1.VolumeMount }[] {
  if (store.kind !== "pvc") return [];
  return [{ volume: { name: "registry", persistentVolumeClaim: { claimName: store.claimName } }, mount: { name: "registry", mountPath: registryLocation(store) as string } }];
}

/**
 * Node selector and tolerations that put a GPU pod on the cluster's GPU nodes: one toleration
 * per taint of `cluster.gpu`. Empty when `gpus` is 0 so CPU pods never land on GPU nodes by
 * accident. Throws when GPUs are asked of a cluster without GPU nodes.
 */
export function gpuPlacement(cluster: ClusterHandle, gpus: number): Pick<PodSpec, "nodeSelector" | "tolerations"> {
  if (gpus <= 0) return {};
  if (cluster.gpu === undefined) throw new Error("GPUs were requested but the cluster handle has no GPU scheduling facts (ClusterHandle.gpu)");
  return {
    nodeSelector: { ...cluster.gpu.nodeSelector },
    tolerations: cluster.gpu.taints.map((t) =>
      t.value === undefined ? { key: t.key, operator: "Exists", effect: t.effect } : { key: t.key, operator: "Equal", value: t.value, effect: t.effect },
    ),
  };
}

/** The restrictive container security context every runtime container gets. */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUNTIME_UID,
    runAsGroup: RUNTIME_UID,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** CPU/memory requests and limits, plus the GPU resource (in limits and, equal, in requests) when asked. */
export function containerResourceRequirements(cluster: ClusterHandle, resources: ContainerResources, gpus: number): k8s.types.input.core.v1.ResourceRequirements {
  const requests: Record<string, string> = { cpu: String(resources.cpuRequest), memory: String(resources.memoryRequest) };
  const limits: Record<string, string> = { cpu: String(resources.cpuLimit), memory: String(resources.memoryLimit) };
  if (gpus > 0) {
    const gpuResource = cluster.gpu?.resourceName || "nvidia.com/gpu";
    limits[gpuResource] = String(gpus);
    requests[gpuResource] = String(gpus);
  }
  return { requests, limits };
}

/**
 * The runtime's pod spec with secure defaults: non-root (uid 10001), read-only root filesystem
 * with an emptyDir at /tmp, no privilege escalation, all capabilities dropped, seccomp
 * RuntimeDefault, no ServiceAccount token unless asked, requests and limits always, the GPU
 * resource with tolerations and node selector from the cluster when GPUs are asked, and the
 * model store mounted (PVC) or passed as `--registry` (bucket URL).
 */
export function runtimePodSpec(o: RuntimePodOptions): PodSpec {
  const extra = [...registryVolume(o.cluster.modelStore), ...(o.volumes ?? [])];
  const container: Container = {
    name: "runtime",
    image: o.image,
    imagePullPolicy: "IfNotPresent",
    // The root filesystem is read-only: relative writes (caches, scratch files) land in the /tmp emptyDir.
    workingDir: "/tmp",
    args: [...o.args, "--registry", registryLocation(o.cluster.modelStore)],
    env: [
      { name: "HOME", value: "/tmp" },
      { name: "NODE_ENV", value: "production" },
      ...Object.entries(o.cluster.runtimeEnv ?? {}).map(([name, value]) => ({ name, value })),
      ...(o.env ?? []),
    ],
    ports: o.ports,
    resources: containerResourceRequirements(o.cluster, o.resources, o.gpus),
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...extra.map((e) => e.mount)],
    ...(o.probes ?? {}),
    ...(o.lifecycle ? { lifecycle: o.lifecycle } : {}),
  };
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: o.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNTIME_UID,
      runAsGroup: RUNTIME_UID,
      fsGroup: RUNTIME_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [container],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }, ...extra.map((e) => e.volume)],
    ...gpuPlacement(o.cluster, o.gpus),
  };
}

/** Labels a runtime pod template carries: its own plus what the cluster's workload identity needs on pods. */
export function runtimePodLabels(cluster: ClusterHandle, labels: Record<string, string>): Record<string, string> {
  return { ...labels, ...(cluster.workloadIdentity.podLabels ?? {}) };
}

/**
 * Creates one of the runtime's ServiceAccounts, named as the cluster's workload identity expects
 * (the cloud identity trusts exactly these names) and carrying its annotations and labels.
 */
export function createRuntimeServiceAccount(
  name: string,
  args: { cluster: ClusterHandle; role: keyof RuntimeServiceAccounts; namespace: pulumi.Input<string>; labels: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  const names = args.cluster.workloadIdentity.serviceAccounts ?? RUNTIME_SERVICE_ACCOUNTS;
  return new k8s.core.v1.ServiceAccount(
    name,
    {
      metadata: {
        name: names[args.role],
        namespace: args.namespace,
        labels: { ...args.labels, ...args.cluster.workloadIdentity.labels },
        annotations: { ...args.cluster.workloadIdentity.annotations },
      },
      automountServiceAccountToken: false,
    },
    opts,
  );
}
