import type * as k8s from "@pulumi/kubernetes";
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
  /** GPU scheduling facts; undefined when the cluster has no GPU nodes. */
  gpu?: GpuScheduling;
  /** Container registry URL images are pushed to and pulled from (e.g. `123.dkr.ecr.us-east-1.amazonaws.com/mlops`). */
  registryUrl?: pulumi.Input<string>;
  /** The model store the runtime's registry lives in. */
  modelStore: ModelStore;
  /** How the runtime's ServiceAccount gets cloud identity: annotations and labels to set on it. */
  workloadIdentity: {
    annotations: Record<string, pulumi.Input<string>>;
    labels: Record<string, string>;
  };
}
