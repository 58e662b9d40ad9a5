// `pulumi-mlops/gcp`: the GKE cluster on its own, for composing a platform by hand (needs @pulumi/gcp).
export { GcpCluster } from "./gcp-cluster.ts";
export { type GcpClusterArgs } from "./options.ts";
