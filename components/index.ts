// The public surface of `pulumi-mlops`: the components a platform team composes, their Args, and
// the types that pass between them. Schemas, helpers and chart pins stay internal (the policy
// rules are the "pulumi-mlops/policy" export).

// The whole platform on one cloud or an existing cluster.
export { MlopsPlatform, type MlopsPlatformArgs } from "./platform/mlops-platform.ts";
export { type PlatformConfig, type PlatformConfigInput } from "./platform/platform-config.ts";
export { PROFILES, type Profile } from "./platform/profiles.ts";

// Clusters: each gives a ClusterHandle the Kubernetes layer builds on. The cloud clusters are
// "pulumi-mlops/aws", "pulumi-mlops/gcp" and "pulumi-mlops/azure": each needs its cloud's SDK,
// which a project installs only for the clouds it uses (MlopsPlatform loads it on demand).
export { ExistingCluster, type ExistingClusterArgs } from "./kubernetes/existing-cluster.ts";
export {
  type ClusterHandle,
  GPU_NODE_LABEL,
  GPU_TAINT,
  type GpuScheduling,
  type ModelStore,
  type RuntimeServiceAccounts,
  type Taint,
  type WorkloadIdentity,
} from "./kubernetes/cluster-handle.ts";

// The Kubernetes layer, for composing a platform by hand on any ClusterHandle.
export { MlopsPlatformOnCluster, type MlopsPlatformOnClusterArgs } from "./kubernetes/mlops-platform-on-cluster.ts";
export { Monitoring, type MonitoringArgs } from "./kubernetes/monitoring.ts";
export { type AlertingArgs, type AlertReceiver } from "./kubernetes/alert-routing.ts";
export { type AlertThresholds } from "./kubernetes/alert-rules.ts";
export { GpuEnablement, type GpuEnablementArgs, type Toleration } from "./kubernetes/gpu-enablement.ts";
export { RuntimeImage, type RuntimeImageArgs } from "./kubernetes/runtime-image.ts";
export { ModelServing, type ModelServingArgs } from "./kubernetes/model-serving.ts";
export { Retraining, type RetrainingArgs } from "./kubernetes/retraining.ts";
export { BatchScoring, type BatchScoringArgs } from "./kubernetes/batch-scoring.ts";
export { type ContainerResourcesInput } from "./kubernetes/runtime-workload-args.ts";

// What the controller policy (Retraining's `policy`) accepts.
export { type ControllerPolicyInput } from "@pulumi-mlops/contract";
