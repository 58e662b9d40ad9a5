// `pulumi-mlops/aws`: the EKS cluster on its own, for composing a platform by hand (needs @pulumi/aws).
export { AwsCluster, type AwsClusterArgs } from "./aws-cluster.ts";
export { type AwsGpuPool } from "./options.ts";
