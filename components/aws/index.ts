export { AwsCluster, type AwsClusterArgs, type AwsClusterConfig, awsClusterArgs, availabilityZonesOf } from "./aws-cluster.ts";
export { type AwsGpuPool, awsClusterOptions, checkAwsClusterOptions, DEFAULT_KUBERNETES_VERSION } from "./options.ts";
export { CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./cluster-autoscaler.ts";
export { type EksCredentials } from "./eks-kubeconfig.ts";
export { amiTypeFor, GPU_INSTANCE_FAMILIES, gpusPerInstance, isGpuInstanceType, vcpusPerInstance } from "./gpu-instance-types.ts";
export { ACCELERATOR_LABEL, NODE_POOL_LABEL, nodeTemplateTags } from "./gpu-node-pool.ts";
export { GPU_QUOTAS, gpuQuotaMessage } from "./gpu-quota.ts";
