// `pulumi-mlops/azure`: the AKS cluster on its own, for composing a platform by hand (needs @pulumi/azure-native).
export { AzureCluster, type AzureClusterArgs } from "./azure-cluster.ts";
