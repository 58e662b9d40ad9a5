export { AwsCluster, type AwsClusterArgs, type AwsClusterConfig, type AwsGpuPool, awsClusterArgs, awsClusterOptions, availabilityZonesOf, DEFAULT_KUBERNETES_VERSION } from "./aws-cluster.ts";
export { CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./cluster-autoscaler.ts";
export { amiTypeFor, GPU_INSTANCE_FAMILIES, gpusPerInstance, isGpuInstanceType } from "./gpu-instance-types.ts";
export { NODE_POOL_LABEL, nodeTemplateTags } from "./gpu-node-pool.ts";
