import type * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

type NodeConfig = NonNullable<gcp.container.NodePoolArgs["nodeConfig"]>;

/** What every node pool of the cluster shares. */
export interface GkeNodeConfigArgs {
  /** Email of the nodes' Google service account. */
  serviceAccount: pulumi.Input<string>;
  machineType: string;
  diskSizeGb: number;
  /** GCP labels on the node VMs (not Kubernetes labels). */
  resourceLabels: Record<string, string>;
  /** Secure Boot on the node VMs. */
  secureBoot: boolean;
}

/**
 * Node settings every pool shares: Container-Optimized OS with containerd, the dedicated node
 * service account with the cloud-platform scope (IAM, not scopes, limits it), the GKE metadata
 * server (pods see their Workload Identity, never the node's credentials), Shielded VM integrity
 * monitoring and balanced persistent disks.
 */
export function gkeNodeConfig(args: GkeNodeConfigArgs): NodeConfig {
  return {
    machineType: args.machineType,
    imageType: "COS_CONTAINERD",
    diskSizeGb: args.diskSizeGb,
    diskType: "pd-balanced",
    serviceAccount: args.serviceAccount,
    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
    workloadMetadataConfig: { mode: "GKE_METADATA" },
    shieldedInstanceConfig: { enableSecureBoot: args.secureBoot, enableIntegrityMonitoring: true },
    metadata: { "disable-legacy-endpoints": "true" },
    resourceLabels: args.resourceLabels,
  };
}
