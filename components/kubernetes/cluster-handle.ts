import type * as k8s from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/** A Kubernetes taint that GPU pods must tolerate. */
export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** How GPU workloads land on GPU nodes of this cluster. */
export interface GpuScheduling {
  /** Node labels that select GPU nodes (e.g. `{"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}` or `{"mlops.dev/gpu": "true"}`). */
  nodeSelector: Record<string, string>;
  /** Taints the GPU node pools carry; every GPU pod tolerates each. */
  taints: Taint[];
  /** Extended resource name requested by GPU containers. @default "nvidia.com/gpu" */
  resourceName: string;
  /** The node image ships the NVIDIA driver (EKS NVIDIA AMIs, GKE with driver install, AKS GPU images). */
  driverInstalled: boolean;
  /** The cluster already runs a device plugin (GKE manages its own); GpuEnablement skips it. */
  devicePluginInstalled: boolean;
  /**
   * Host directory of the NVIDIA driver's libraries (`lib64/libnvidia-ml.so.1`) and tools (`bin/`)
   * on nodes without the NVIDIA container runtime, where only pods granted a GPU by the device
   * plugin get them (GKE's Container-Optimized OS: `/home/kubernetes/bin/nvidia`). Daemons that
   * watch every GPU without requesting one (the DCGM exporter) mount it, privileged.
   * @default - the NVIDIA container runtime injects the driver and devices
   */
  driverHostPath?: string;
  /**
   * How the cluster's device plugin names GPUs in the kubelet's pod-resources API: `uid` (NVIDIA's
   * plugin) or `device-name` (GKE's, `nvidia0`); the DCGM exporter maps GPUs to pods with it.
   * @default "uid"
   */
  deviceIdType?: "uid" | "device-name";
}

/** Where model artifacts and registry objects live, as the runtime's `--registry` sees it. */
export type ModelStore =
  | { kind: "bucket"; url: pulumi.Input<string> }
  | { kind: "pvc"; claimName: pulumi.Input<string>; mountPath: string };

/**
 * Everything the cloud-agnostic Kubernetes layer needs from a cluster — the only thing a cloud
 * component hands to it. Adding a cloud means producing one of these.
 */
export interface ClusterHandle {
  /** Provider for the cluster; every Kubernetes resource of the platform uses it. */
  provider: k8s.Provider;
  /** Human name of the cluster, for labels and dashboards. */
  name: pulumi.Input<string>;
  /**
   * The cloud runs the control plane (EKS, GKE, AKS): kube-scheduler, kube-controller-manager, etcd
   * and kube-proxy metrics cannot be scraped, so Monitoring turns off their scrapes and alert rules. @default false
   */
  managedControlPlane?: boolean;
  /** GPU scheduling facts; undefined when the cluster has no GPU nodes. */
  gpu?: GpuScheduling;
  /** Container registry URL images are pushed to and pulled from (e.g. `123.dkr.ecr.us-east-1.amazonaws.com/mlops`). */
  registryUrl?: pulumi.Input<string>;
  /** Credentials for pushing the runtime image to `registryUrl` (ECR/Artifact Registry tokens). @default - the image builder's existing login */
  registryAuth?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
  /** The model store the runtime's registry lives in. */
  modelStore: ModelStore;
  /** How the runtime's ServiceAccounts get cloud identity. */
  workloadIdentity: WorkloadIdentity;
  /** Environment the runtime's containers need to reach the model store (e.g. `AWS_REGION`). @default {} */
  runtimeEnv?: Record<string, pulumi.Input<string>>;
}

/** Names of the runtime's ServiceAccounts in the runtime namespace. */
export interface RuntimeServiceAccounts {
  /** The model server's ServiceAccount. */
  serving: string;
  /** The retraining controller's (and its training Jobs') ServiceAccount. */
  retraining: string;
}

/** Default {@link RuntimeServiceAccounts}: fixed names, so a cloud identity can trust exactly these two. */
export const RUNTIME_SERVICE_ACCOUNTS: Readonly<RuntimeServiceAccounts> = Object.freeze({ serving: "mlops-serving", retraining: "mlops-retraining" });

/**
 * Cloud identity for the runtime: the cloud trusts exactly the ServiceAccounts named here (in the
 * runtime namespace), and the Kubernetes layer creates them with these names, annotations and labels.
 */
export interface WorkloadIdentity {
  /** Annotations on the runtime's ServiceAccounts (e.g. `eks.amazonaws.com/role-arn`). */
  annotations: Record<string, pulumi.Input<string>>;
  /** Labels on the runtime's ServiceAccounts. */
  labels: Record<string, string>;
  /** Labels on the runtime's pods (Azure Workload Identity mutates only pods labelled `azure.workload.identity/use: "true"`). @default {} */
  podLabels?: Record<string, string>;
  /** ServiceAccount names the cloud identity trusts. @default RUNTIME_SERVICE_ACCOUNTS */
  serviceAccounts?: RuntimeServiceAccounts;
}

/** Node label every GPU node pool carries; the ClusterHandle's GPU `nodeSelector` on every cloud. */
export const GPU_NODE_LABEL: Readonly<Record<string, string>> = Object.freeze({ "mlops.dev/gpu": "true" });

/** Taint every GPU node pool carries so only pods that ask for GPUs land there (GKE applies it itself). */
export const GPU_TAINT: Readonly<Taint> = Object.freeze({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" });
