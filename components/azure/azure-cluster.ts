import * as azure from "./sdk.ts";
import * as k8s from "../kubernetes/sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";
import { type ClusterHandle, GPU_NODE_LABEL, type GpuScheduling, RUNTIME_SERVICE_ACCOUNTS, type Taint } from "../kubernetes/cluster-handle.ts";
import { RUNTIME_IMAGE_REPOSITORY } from "../kubernetes/runtime-image.ts";
import { ALWAYS_REFINE, parseArgs } from "../kubernetes/runtime-workload-args.ts";
import { checkPublicEndpointCidrs, cidrsOverlap, isAnyAddress, isLiveDeployment, isPrivateCidr, parseCidr, refusePlaceholderCidrs } from "../network/index.ts";
import { azureClusterOptions, checkAzureClusterOptions, SYSTEM_POOL_NAME } from "./options.ts";
import { createAksCluster } from "./aks-cluster.ts";
import { AKS_AAD_SERVER_ID, aksKubeconfig } from "./aks-kubeconfig.ts";
import { createAzureNetwork } from "./azure-network.ts";
import { createContainerRegistry } from "./container-registry.ts";
import { createEncryptionKey } from "./encryption-key.ts";
import { createGpuNodePool, gpuPoolTaints, taintString } from "./gpu-node-pool.ts";
import { isAzureGpuVmSize, notAGpuVmSizeMessage } from "./gpu-vm-size.ts";
import { ACR_REFRESH_TOKEN_USER, acrPushCredentials } from "./acr-credentials.ts";
import { azureGpuQuotaMessage } from "./gpu-quota.ts";
import { createModelStore } from "./model-store.ts";
import { createWorkloadIdentity } from "./workload-identity.ts";


/** {@link azureClusterOptions} after defaults. */
export type AzureClusterOptions = z.output<typeof azureClusterOptions>;

/** Arguments for {@link AzureCluster}: the options plus what the platform decides. */
export interface AzureClusterArgs extends z.input<typeof azureClusterOptions> {
  /** Runtime namespace; the cloud identity trusts exactly the runtime ServiceAccounts there. */
  namespace: string;
  /** Tags on every taggable resource (the platform sets `mlops-profile`, `mlops-environment`). @default {} */
  tags?: Record<string, string>;
}

const azureClusterArgs = azureClusterOptions
  .extend({
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").max(63),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((o, ctx) => checkAzureClusterOptions(o, ctx), ALWAYS_REFINE);

/**
 * An MLOps-ready AKS environment as a {@link ClusterHandle}: VNet + NAT egress, an AKS cluster
 * (private API server by default, Entra ID + Azure RBAC, workload identity, KMS, control-plane
 * logs), autoscaled GPU pools that scale to zero, a private Premium ACR the nodes pull from, a
 * private versioned Blob model store, a customer-managed key, and a workload identity trusted by
 * exactly the runtime's two ServiceAccounts with access to the one model container.
 *
 * The Kubernetes provider's kubeconfig calls `kubelogin` (must be on PATH); with a private API
 * server, `pulumi up` must run where the VNet's private DNS resolves (a runner in or peered with it).
 */
export class AzureCluster extends CloudClusterResource {
  constructor(name: string, args: AzureClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:azure:AzureCluster", name, opts, (parent) => createAzureCluster(name, parent, parseArgs("AzureCluster", azureClusterArgs, args)));
  }
}

/** GPU scheduling facts of the pools: undefined without pools; the spot taint joins when any pool is spot. */
export function azureGpuScheduling(pools: readonly { spot: boolean }[]): GpuScheduling | undefined {
  if (pools.length === 0) return undefined;
  const taints: Taint[] = [];
  for (const t of pools.flatMap((p) => gpuPoolTaints(p.spot))) if (!taints.some((x) => taintString(x) === taintString(t))) taints.push(t);
  return { nodeSelector: { ...GPU_NODE_LABEL }, taints, resourceName: "nvidia.com/gpu", driverInstalled: true, devicePluginInstalled: false };
}

/**
 * Why the Key Vault is the one service left reachable from all networks (issue 10 item 17), said
 * at preview: AKS's legacy KMS plugin in public key-vault mode does not support a vault firewall
 * that admits selected networks and addresses (learn.microsoft.com/azure/aks/use-kms-etcd-encryption,
 * Limitations), and the private mode needs API Server VNet Integration, which this stack does not set up.
 */
export const KEY_VAULT_NETWORK_NOTE =
  "The customer-managed key's Key Vault accepts connections from all networks: AKS KMS in public key-vault mode does not work behind a vault firewall, " +
  "and private key-vault mode needs API Server VNet Integration, which this stack does not set up. Access is Azure RBAC on the one key " +
  "(only the CMK identity and the AKS control plane may use it; no access policies, purge protection on). To keep Key Vault off the internet, " +
  "set azure.encryption.customerManagedKey: false (platform-managed keys), or bring a cluster with a private vault through ExistingCluster.";

function createAzureCluster(name: string, parent: pulumi.Resource, cfg: z.output<typeof azureClusterArgs>) {
  const opts = { parent };
  const tags = { "managed-by": "pulumi-mlops", ...cfg.tags };
  const location = cfg.region;
  const client = azure.authorization.getClientConfigOutput({ parent });
  const subscriptionId = client.subscriptionId;
  const tenantId = client.tenantId;
  refusePlaceholderCidrs(cfg.authorizedCidrs ?? [], "azure.authorizedCidrs");
  refusePlaceholderCidrs(cfg.registry.allowedCidrs, "azure.registry.allowedCidrs");
  refusePlaceholderCidrs(cfg.modelStore.allowedCidrs, "azure.modelStore.allowedCidrs");
  const quota = azureGpuQuotaMessage(cfg.gpuPools, location);
  if (quota !== undefined) void pulumi.log.info(quota, parent);
  // What the registry and model store firewalls admit besides the nodes: the operators' public ranges.
  const operatorCidrs = (cfg.authorizedCidrs ?? []).filter((c) => !isAnyAddress(c) && !isPrivateCidr(c));
  const resourceGroupName =
    cfg.resourceGroupName !== undefined ? pulumi.output(cfg.resourceGroupName) : new azure.resources.ResourceGroup(`${name}-rg`, { location, tags }, opts).name;

  const net = createAzureNetwork(name, parent, { resourceGroupName, location, cidr: cfg.network.cidr, existingSubnetId: cfg.network.existing?.nodeSubnetId, tags });
  if (cfg.encryption.customerManagedKey) void pulumi.log.info(KEY_VAULT_NETWORK_NOTE, parent);
  const cmk = cfg.encryption.customerManagedKey
    ? createEncryptionKey(name, parent, { resourceGroupName, location, tenantId, subscriptionId, rotationDays: cfg.encryption.keyRotationDays, softDeleteDays: cfg.encryption.keyVaultSoftDeleteDays, tags })
    : undefined;

  const aks = createAksCluster(name, parent, {
    resourceGroupName,
    location,
    tenantId,
    subscriptionId,
    kubernetesVersion: cfg.kubernetesVersion,
    nodeSubnetId: net.nodeSubnetId,
    podCidr: cfg.network.podCidr,
    serviceCidr: cfg.network.serviceCidr,
    outboundType: cfg.network.existing?.outboundType ?? "userAssignedNATGateway",
    publicEndpoint: cfg.publicEndpoint,
    authorizedCidrs: cfg.authorizedCidrs ?? [],
    highAvailability: cfg.highAvailability,
    zones: cfg.zones,
    systemPool: cfg.systemPool,
    kmsKeyId: cmk === undefined ? undefined : currentKeyVersion(parent, resourceGroupName, cmk),
    kmsKeyResourceId: cmk?.key.id,
    clusterAdmins: cfg.clusterAdmins ?? [client.objectId],
    logRetentionDays: cfg.logRetentionDays,
    tags,
  });
  const gpuPools = cfg.gpuPools.map((p) =>
    createGpuNodePool(name, parent, {
      resourceGroupName,
      clusterName: aks.cluster.name,
      nodeSubnetId: net.nodeSubnetId,
      ...p,
      zones: cfg.highAvailability ? cfg.zones : undefined,
      tags,
    }),
  );

  const registry = createContainerRegistry(name, parent, {
    resourceGroupName,
    location,
    subscriptionId,
    sku: cfg.registry.sku,
    repositoryPrefix: cfg.registry.repositoryPrefix,
    keepImages: cfg.registry.keepImages,
    untaggedRetentionDays: cfg.registry.untaggedRetentionDays,
    highAvailability: cfg.highAvailability,
    cmk: cmk === undefined ? undefined : { keyUri: cmk.keyUri, identityId: cmk.identity.id, identityClientId: cmk.identity.clientId, grant: cmk.grant },
    kubeletObjectId: aks.kubeletObjectId,
    pushPrincipalId: client.objectId,
    publicNetworkAccess: cfg.allowPublicServiceAccess,
    allowedCidrs: [...(net.egressIp === undefined ? [] : [net.egressIp.apply((ip) => ip ?? "")]), ...operatorCidrs, ...cfg.registry.allowedCidrs],
    tags,
  });
  if (cfg.registry.defenderForContainers) {
    new azure.security.Pricing(`${name}-defender-containers`, { pricingName: "Containers", pricingTier: "Standard", scopeId: pulumi.interpolate`/subscriptions/${subscriptionId}` }, opts);
  }

  const store = createModelStore(name, parent, {
    resourceGroupName,
    location,
    subscriptionId,
    containerName: cfg.modelStore.containerName,
    feedbackRetentionDays: cfg.modelStore.feedbackRetentionDays,
    feedbackModels: cfg.modelStore.feedbackModels,
    noncurrentVersionRetentionDays: cfg.modelStore.noncurrentVersionRetentionDays,
    softDeleteDays: cfg.modelStore.softDeleteDays,
    allowedSubnetIds: [net.nodeSubnetId],
    allowedCidrs: [...new Set([...operatorCidrs, ...cfg.modelStore.allowedCidrs])],
    publicNetworkAccess: cfg.allowPublicServiceAccess,
    operatorPrincipalId: client.objectId,
    highAvailability: cfg.highAvailability,
    forceDestroy: cfg.modelStore.forceDestroy,
    cmk: cmk === undefined ? undefined : { keyName: cmk.key.name, vaultUri: cmk.vault.properties.apply((p) => p.vaultUri ?? ""), identityId: cmk.identity.id, grant: cmk.grant },
    tags,
  });

  const runtime = createWorkloadIdentity(name, parent, {
    resourceGroupName,
    location,
    subscriptionId,
    issuerUrl: aks.oidcIssuerUrl,
    namespace: cfg.namespace,
    containerId: store.container.id,
    tags,
  });

  const kubeconfig = aksKubeconfig(parent, {
    resourceGroupName,
    clusterName: aks.cluster.name,
    mode: cfg.kubeloginMode,
    // The first Kubernetes resource waits until the cluster-admin assignment has propagated; the
    // principal running Pulumi is the one checked (the default and usual clusterAdmins entry).
    waitForAdmin: { grants: aks.adminGrants, token: azure.authorization.getClientTokenOutput({ endpoint: AKS_AAD_SERVER_ID }, { parent }).token, live: isLiveDeployment() },
  });
  // GPU pools first: platform charts pinned to GPU nodes must find the pools' labels and taints.
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig }, { ...opts, dependsOn: [...aks.adminGrants, ...gpuPools] });

  const handle: ClusterHandle = {
    provider,
    name: aks.cluster.name,
    managedControlPlane: true,
    gpu: azureGpuScheduling(cfg.gpuPools),
    registryUrl: registry.url,
    registryAuth: acrRegistryAuth(parent, registry, tenantId, cfg.registry.repositoryPrefix),
    modelStore: { kind: "bucket", url: store.url },
    workloadIdentity: {
      annotations: { "azure.workload.identity/client-id": runtime.identity.clientId, "azure.workload.identity/tenant-id": tenantId },
      labels: {},
      podLabels: { "azure.workload.identity/use": "true" },
      serviceAccounts: RUNTIME_SERVICE_ACCOUNTS,
    },
    runtimeEnv: { AZURE_STORAGE_ACCOUNT: store.account.name },
  };
  return { handle, clusterName: aks.cluster.name, kubeconfig, apiEndpoint: aks.apiEndpoint, registryUrl: registry.url, bucketUrl: store.url };
}

/**
 * The versioned key id AKS KMS is given, read from Key Vault on every update: AKS KMS takes only a
 * versioned key id, and the key rotates itself every `keyRotationDays`, so the id the Key resource
 * recorded at creation goes stale. Read anew, the next `pulumi up` after a rotation moves KMS to the
 * new version (AKS re-encrypts with it) before the old one expires (twice the rotation period).
 */
function currentKeyVersion(parent: pulumi.Resource, resourceGroupName: pulumi.Input<string>, cmk: { vault: azure.keyvault.Vault; key: azure.keyvault.Key }): pulumi.Output<string> {
  return azure.keyvault.getKeyOutput({ resourceGroupName, vaultName: cmk.vault.name, keyName: cmk.key.name }, { parent }).keyUriWithVersion;
}

/**
 * Push credentials for the stack's own registry (docker-build has no login for a registry created
 * in the same update): an ACR refresh token exchanged from the Pulumi principal's Entra ID token,
 * fetched once AcrPush is granted and granting push (see acr-credentials.ts). The image depends on
 * the grant through this output. Unknown in a preview or synth (nothing is pushed there).
 */
function acrRegistryAuth(parent: pulumi.Resource, registry: { registry: azure.containerregistry.Registry; pushGrant: azure.authorization.RoleAssignment }, tenantId: pulumi.Output<string>, repositoryPrefix: string) {
  const aadToken = azure.authorization.getClientTokenOutput({}, { parent }).token;
  const credentials = pulumi.all([registry.registry.loginServer, tenantId, aadToken, registry.pushGrant.id]).apply(async ([loginServer, tenant, token]) => {
    if (!isLiveDeployment()) return pulumi.unknown as unknown as { username: string; password: string };
    try {
      return await acrPushCredentials({ loginServer, tenantId: tenant, aadToken: token, repository: `${repositoryPrefix}/${RUNTIME_IMAGE_REPOSITORY}` });
    } catch (err) {
      throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), parent);
    }
  });
  return { username: pulumi.output(ACR_REFRESH_TOKEN_USER), password: pulumi.secret(credentials.apply((c) => c.password)) };
}

