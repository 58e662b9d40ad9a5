import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { SYSTEM_POOL_NAME } from "./options.ts";
import { AZURE_ROLES, roleDefinitionId } from "./role-definitions.ts";

/** Control-plane log categories AKS sends to Log Analytics. */
export const AKS_CONTROL_PLANE_LOGS = Object.freeze(["kube-apiserver", "kube-audit-admin", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler"]);

/** Inputs of {@link createAksCluster}. */
export interface AksClusterArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  tenantId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  kubernetesVersion: string;
  /** Node subnet (created or brought); the cluster identity is granted Network Contributor on it. */
  nodeSubnetId: pulumi.Input<string>;
  podCidr: string;
  serviceCidr: string;
  outboundType: "userAssignedNATGateway" | "userDefinedRouting" | "loadBalancer";
  publicEndpoint: boolean;
  authorizedCidrs: string[];
  highAvailability: boolean;
  zones: string[];
  systemPool: { vmSize: string; minNodes: number; maxNodes: number; diskSizeGb: number };
  /** Versioned Key Vault key URI for KMS encryption of Kubernetes secrets; undefined: platform-managed keys. */
  kmsKeyId?: pulumi.Input<string>;
  /** The Key Vault key resource id, for the KMS grant. */
  kmsKeyResourceId?: pulumi.Input<string>;
  /** Principals (object ids) granted Azure Kubernetes Service RBAC Cluster Admin on the cluster. */
  clusterAdmins: pulumi.Input<string>[];
  /** Days of control-plane logs Log Analytics keeps. */
  logRetentionDays: number;
  tags: Record<string, string>;
}

/** What {@link createAksCluster} hands back. */
export interface AksCluster {
  cluster: azure.containerservice.ManagedCluster;
  /** OIDC issuer URL of the cluster (for workload identity federation). */
  oidcIssuerUrl: pulumi.Output<string>;
  /** Object id of the kubelet identity the nodes pull images with. */
  kubeletObjectId: pulumi.Output<string>;
  /** API server host: the private FQDN for a private cluster, else the public FQDN. */
  apiEndpoint: pulumi.Output<string>;
  /** Role assignments the Kubernetes provider needs before it can talk to the cluster. */
  adminGrants: azure.authorization.RoleAssignment[];
}

/**
 * An AKS cluster: a user-assigned control-plane identity (granted the node subnet and, with a
 * customer-managed key, the KMS key before the cluster exists), Azure CNI overlay with the Cilium
 * dataplane (so NetworkPolicies are enforced) in the node subnet, no node public IPs, Entra ID
 * (AAD) with Azure RBAC and no local accounts, OIDC issuer and workload identity on, KMS secrets
 * encryption, a private API server unless `publicEndpoint`, the Standard (SLA) tier and zonal
 * system pool with `highAvailability`, patch auto-upgrades, and control-plane logs in a Log
 * Analytics workspace.
 */
export function createAksCluster(name: string, parent: pulumi.Resource, args: AksClusterArgs): AksCluster {
  const opts = { parent };
  const identity = new azure.managedidentity.UserAssignedIdentity(`${name}-aks-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags }, opts);
  const grants: azure.authorization.RoleAssignment[] = [
    new azure.authorization.RoleAssignment(
      `${name}-aks-subnet-grant`,
      { scope: args.nodeSubnetId, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.networkContributor), principalId: identity.principalId, principalType: "ServicePrincipal" },
      opts,
    ),
  ];
  if (args.kmsKeyResourceId !== undefined) {
    grants.push(
      new azure.authorization.RoleAssignment(
        `${name}-aks-kms-grant`,
        { scope: args.kmsKeyResourceId, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.keyVaultCryptoUser), principalId: identity.principalId, principalType: "ServicePrincipal" },
        opts,
      ),
    );
  }
  const zones = args.highAvailability ? args.zones : undefined;
  const publicRanges = args.authorizedCidrs.includes("0.0.0.0/0") ? undefined : args.authorizedCidrs;
  const cluster = new azure.containerservice.ManagedCluster(
    `${name}-aks`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      dnsPrefix: dnsPrefix(name),
      kubernetesVersion: args.kubernetesVersion,
      sku: { name: "Base", tier: args.highAvailability ? "Standard" : "Free" },
      identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
      aadProfile: { managed: true, enableAzureRBAC: true, tenantID: args.tenantId },
      disableLocalAccounts: true,
      enableRBAC: true,
      oidcIssuerProfile: { enabled: true },
      securityProfile: {
        workloadIdentity: { enabled: true },
        imageCleaner: { enabled: true, intervalHours: 168 },
        ...(args.kmsKeyId === undefined ? {} : { azureKeyVaultKms: { enabled: true, keyId: args.kmsKeyId, keyVaultNetworkAccess: "Public" } }),
      },
      apiServerAccessProfile: args.publicEndpoint
        ? { enablePrivateCluster: false, authorizedIPRanges: publicRanges }
        : { enablePrivateCluster: true, privateDNSZone: "system", enablePrivateClusterPublicFQDN: false },
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataplane: "cilium",
        networkPolicy: "cilium",
        podCidr: args.podCidr,
        serviceCidr: args.serviceCidr,
        dnsServiceIP: dnsServiceIp(args.serviceCidr),
        outboundType: args.outboundType,
        loadBalancerSku: "standard",
      },
      autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
      agentPoolProfiles: [
        {
          name: SYSTEM_POOL_NAME,
          mode: "System",
          osType: "Linux",
          osSKU: "AzureLinux",
          type: "VirtualMachineScaleSets",
          vmSize: args.systemPool.vmSize,
          osDiskSizeGB: args.systemPool.diskSizeGb,
          enableAutoScaling: true,
          count: args.systemPool.minNodes,
          minCount: args.systemPool.minNodes,
          maxCount: args.systemPool.maxNodes,
          enableNodePublicIP: false,
          vnetSubnetID: args.nodeSubnetId,
          availabilityZones: zones,
          upgradeSettings: { maxSurge: "33%" },
          tags: args.tags,
        },
      ],
      tags: args.tags,
    },
    // The inline system pool cannot be updated in place by the API; its node count is the
    // autoscaler's to change, not the program's.
    { ...opts, dependsOn: grants, ignoreChanges: ["agentPoolProfiles[0].count"] },
  );

  const workspace = new azure.operationalinsights.Workspace(
    `${name}-logs`,
    { resourceGroupName: args.resourceGroupName, location: args.location, sku: { name: "PerGB2018" }, retentionInDays: args.logRetentionDays, tags: args.tags },
    opts,
  );
  new azure.monitor.DiagnosticSetting(
    `${name}-aks-diagnostics`,
    {
      resourceUri: cluster.id,
      workspaceId: workspace.id,
      logAnalyticsDestinationType: "Dedicated",
      logs: AKS_CONTROL_PLANE_LOGS.map((category) => ({ category, enabled: true })),
    },
    opts,
  );

  const adminGrants = args.clusterAdmins.map(
    (principalId, i) =>
      new azure.authorization.RoleAssignment(
        `${name}-aks-admin-${i}`,
        { scope: cluster.id, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.aksRbacClusterAdmin), principalId },
        opts,
      ),
  );

  const kubeletObjectId = cluster.identityProfile.apply((p) => p?.["kubeletidentity"]?.objectId ?? "");
  const oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
  const apiEndpoint = pulumi.all([cluster.privateFQDN, cluster.fqdn]).apply(([priv, pub]) => `https://${args.publicEndpoint ? pub : priv ?? pub}:443`);
  return { cluster, oidcIssuerUrl, kubeletObjectId, apiEndpoint, adminGrants };
}

/** DNS prefix of the API server FQDN: the component name as a DNS label (1-54 characters). */
export function dnsPrefix(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 54).replace(/-+$/, "");
  return label === "" ? "mlops" : /^[a-z]/.test(label) ? label : `k${label}`.slice(0, 54);
}

/** The cluster DNS service address: the tenth address of the service CIDR (AKS's own convention). */
export function dnsServiceIp(serviceCidr: string): string {
  const base = serviceCidr.split("/")[0]!.split(".").map(Number);
  const n = (((base[0]! << 24) >>> 0) + (base[1]! << 16) + (base[2]! << 8) + base[3]!) + 10;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
