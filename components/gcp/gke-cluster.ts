import * as gcp from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import type { GcpNetwork } from "./gcp-network.ts";

/** Control-plane components GKE sends to Cloud Logging. */
export const GKE_LOGGING_COMPONENTS = Object.freeze(["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]);

/** What {@link createGkeCluster} needs. */
export interface GkeClusterArgs {
  project: pulumi.Input<string>;
  /** Region (regional cluster) or zone (zonal cluster). */
  location: string;
  /** Zones of the default node locations (regional clusters only). */
  nodeLocations?: string[];
  network: GcpNetwork;
  releaseChannel: string;
  /** Minimum control-plane version; the release channel upgrades from there. */
  kubernetesVersion: string;
  publicEndpoint: boolean;
  authorizedCidrs: string[];
  /** RFC 1918 /28 for the control plane's private endpoint. */
  masterCidr: string;
  /** Cloud KMS key for Kubernetes Secrets in etcd (application-layer encryption). */
  databaseEncryptionKey?: pulumi.Input<string>;
  deletionProtection: boolean;
  /** Email of the node service account (also used by the short-lived default pool). */
  nodeServiceAccount: pulumi.Input<string>;
  resourceLabels: Record<string, string>;
  /** Resources the cluster waits for (the enabled APIs, the key grant to the GKE service agent). */
  dependsOn: pulumi.Resource[];
}

/**
 * A GKE Standard cluster: VPC-native on the given subnet's secondary ranges, private nodes, the
 * control plane reachable publicly only when `publicEndpoint` (and then only from
 * `authorizedCidrs`), Workload Identity (`<project>.svc.id.goog`), Secrets encrypted with a
 * customer-managed key, control-plane logging, Shielded nodes, Dataplane V2 (which enforces the
 * NetworkPolicies the serving layer creates) and a release channel. The default node pool is
 * removed; pools are managed separately so they can change without replacing the cluster.
 */
export function createGkeCluster(name: string, parent: pulumi.Resource, args: GkeClusterArgs): gcp.container.Cluster {
  return new gcp.container.Cluster(
    `${name}-cluster`,
    {
      project: args.project,
      location: args.location,
      nodeLocations: args.nodeLocations,
      network: args.network.network,
      subnetwork: args.network.subnetwork,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: args.network.podsRangeName, servicesSecondaryRangeName: args.network.servicesRangeName },
      datapathProvider: "ADVANCED_DATAPATH",
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      // Only the transient default pool uses this; it is deleted right after creation.
      nodeConfig: {
        serviceAccount: args.nodeServiceAccount,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      },
      releaseChannel: { channel: args.releaseChannel },
      minMasterVersion: args.kubernetesVersion,
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: !args.publicEndpoint,
        masterIpv4CidrBlock: args.masterCidr,
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: args.authorizedCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `authorized-${i}` })),
        gcpPublicCidrsAccessEnabled: false,
      },
      workloadIdentityConfig: { workloadPool: pulumi.interpolate`${args.project}.svc.id.goog` },
      databaseEncryption: args.databaseEncryptionKey === undefined ? { state: "DECRYPTED" } : { state: "ENCRYPTED", keyName: args.databaseEncryptionKey },
      loggingConfig: { enableComponents: [...GKE_LOGGING_COMPONENTS] },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      deletionProtection: args.deletionProtection,
      resourceLabels: args.resourceLabels,
    },
    { parent, dependsOn: args.dependsOn, ignoreChanges: ["nodeConfig", "initialNodeCount"] },
  );
}
