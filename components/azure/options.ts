// The options of an Azure platform, checked before anything is created. No @pulumi/azure-native
// here: the platform's config schema reads this file whether or not the Azure SDK is installed.
import { z } from "zod";
import { checkPublicEndpointCidrs, cidrsOverlap, ipv4Cidr, ipv4SourceCidr } from "../network/index.ts";
import { isAzureGpuVmSize, notAGpuVmSizeMessage } from "./gpu-vm-size.ts";

/** How kubelogin gets a token: the Azure CLI login (default), workload identity in CI, a managed identity, a service principal, or azd. */
export const KUBELOGIN_MODES = ["azurecli", "workloadidentity", "msi", "spn", "azd"] as const;

/** One of {@link KUBELOGIN_MODES}. */
export type KubeloginMode = (typeof KUBELOGIN_MODES)[number];

/** Name of the system (CPU) node pool, inline in the cluster; GPU pools may not take it. */
export const SYSTEM_POOL_NAME = "system";
const poolSize = z.number().int().min(0).max(1000);
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be an object id (GUID)");

/** One GPU node pool of {@link azureClusterOptions}. */
export const azureGpuPoolOptions = z
  .object({
    /** AKS pool name: 1-12 lowercase letters and digits, starting with a letter. */
    name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, "must be 1-12 lowercase letters and digits, starting with a letter (an AKS Linux pool name)"),
    /** NVIDIA GPU VM size. @default "Standard_NC4as_T4_v3" */
    vmSize: z.string().min(1).default("Standard_NC4as_T4_v3").refine(isAzureGpuVmSize, { error: (i) => notAGpuVmSizeMessage(String(i.input)) }),
    /** Fewest nodes; 0 lets the pool scale to zero when no GPU pod is pending. @default 0 */
    minNodes: poolSize.default(0),
    /** Most nodes the autoscaler may add. @default 2 */
    maxNodes: poolSize.min(1).default(2),
    /** Spot VMs (evictable, much cheaper); nodes then also carry the AKS spot taint. @default false */
    spot: z.boolean().default(false),
    /** OS disk size in GB. @default 128 */
    diskSizeGb: z.number().int().min(30).max(2048).default(128),
  })
  .strict();

/**
 * Options of {@link AzureCluster}: the plain-data section a stack holds under `azure:`. Every field
 * except `region` defaults to a cheap dev environment, field by field.
 */
export const azureClusterOptions = z
  .object({
    /** Azure region, e.g. "eastus". */
    region: z.string().regex(/^[a-z0-9]+$/, "must be an Azure region name like eastus or westeurope"),
    /** Resource group to create everything in. @default - a new resource group */
    resourceGroupName: z.string().min(1).max(90).optional(),
    /** Kubernetes minor (AKS takes its latest patch) or full version. @default "1.35" */
    kubernetesVersion: z.string().regex(/^1\.\d+(\.\d+)?$/, "must be a Kubernetes version like 1.35 or 1.35.2").default("1.35"),
    /** The node network. @default { cidr: "10.0.0.0/16", podCidr: "192.168.0.0/16", serviceCidr: "172.16.0.0/16" } */
    network: z
      .object({
        /** VNet address space; its first quarter (at most /24 smaller) is the node subnet. @default "10.0.0.0/16" */
        cidr: ipv4Cidr.default("10.0.0.0/16"),
        /** Pod addresses (Azure CNI overlay: not VNet addresses). @default "192.168.0.0/16" */
        podCidr: ipv4Cidr.default("192.168.0.0/16"),
        /** Kubernetes Service addresses. @default "172.16.0.0/16" */
        serviceCidr: ipv4Cidr.default("172.16.0.0/16"),
        /** Bring your own node subnet (with the Microsoft.Storage service endpoint) instead of creating a VNet and NAT gateway. @default - a new VNet */
        existing: z
          .object({
            /** Resource id of the node subnet. */
            nodeSubnetId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i, "must be a subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)"),
            /** How nodes reach the internet from that subnet (a NAT gateway on it, or a route table to a firewall). @default "userAssignedNATGateway" */
            outboundType: z.enum(["userAssignedNATGateway", "userDefinedRouting", "loadBalancer"]).default("userAssignedNATGateway"),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Give the API server a public endpoint (restricted to `authorizedCidrs`); otherwise it is private to the VNet. @default false */
    publicEndpoint: z.boolean().default(false),
    /** Who may reach a public API server endpoint, required with one (your address, e.g. "198.51.100.7/32"); its public ranges are also admitted by the registry and model store firewalls (pushing the image, `mlops train --registry az://...`). @default - none: required when publicEndpoint is true */
    authorizedCidrs: z.array(ipv4SourceCidr).min(1).optional(),
    /** Accept `0.0.0.0/0` in `authorizedCidrs`: the whole internet may reach the public API server endpoint. @default false */
    allowOpenEndpoint: z.boolean().default(false),
    /** Let the container registry and the model store accept connections from any address (still Entra ID-authenticated); otherwise their firewalls admit only the nodes, `authorizedCidrs`, the allowed CIDRs and trusted Azure services. A named opt-in for dev (needed for a Standard registry, which has no firewall). @default false */
    allowPublicServiceAccess: z.boolean().default(false),
    /** Production: Standard tier (uptime SLA), pools spread over `zones`, zone-redundant storage and registry. @default false */
    highAvailability: z.boolean().default(false),
    /** Availability zones the pools spread over with `highAvailability`. @default ["1", "2", "3"] */
    zones: z.array(z.enum(["1", "2", "3"])).min(1).default(["1", "2", "3"]),
    /** The system (CPU) pool: system pods and the model servers. @default { vmSize: "Standard_D4s_v5", minNodes: 1, maxNodes: 3, diskSizeGb: 128 } */
    systemPool: z
      .object({
        /** VM size. @default "Standard_D4s_v5" */
        vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, "must be an Azure VM size like Standard_D4s_v5").default("Standard_D4s_v5"),
        /** Fewest nodes (a system pool needs at least one). @default 1 */
        minNodes: poolSize.min(1).default(1),
        /** Most nodes. @default 3 */
        maxNodes: poolSize.min(1).default(3),
        /** OS disk size in GB. @default 128 */
        diskSizeGb: z.number().int().min(30).max(2048).default(128),
      })
      .strict()
      .prefault({}),
    /** GPU user pools, autoscaled from `minNodes` (0: no idle cost). @default [{ name: "gpu", vmSize: "Standard_NC4as_T4_v3", minNodes: 0, maxNodes: 2, spot: false, diskSizeGb: 128 }] */
    gpuPools: z.array(azureGpuPoolOptions).prefault([{ name: "gpu" }]),
    /** The container registry. @default { sku: "Premium", repositoryPrefix: "mlops", keepImages: 30, untaggedRetentionDays: 7, defenderForContainers: false, allowedCidrs: [] } */
    registry: z
      .object({
        /** Premium is needed for the customer-managed key, the untagged-manifest retention policy and zone redundancy. @default "Premium" */
        sku: z.enum(["Standard", "Premium"]).default("Premium"),
        /** Repository prefix of the platform's images. @default "mlops" */
        repositoryPrefix: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, "must be a lowercase repository path segment").default("mlops"),
        /** Tagged images kept per repository; a daily ACR Task purges older ones. @default 30 */
        keepImages: z.number().int().min(1).max(10000).default(30),
        /** Days untagged manifests are kept (Premium). @default 7 */
        untaggedRetentionDays: z.number().int().min(0).max(365).default(7),
        /** Turn on Microsoft Defender for Containers (image vulnerability scanning) for the whole subscription; usually the security team's call. @default false */
        defenderForContainers: z.boolean().default(false),
        /** Public IPs or CIDRs (besides the NAT egress IP and `authorizedCidrs`) the registry firewall admits, e.g. a bring-your-own network's egress or a CI runner. @default [] */
        allowedCidrs: z.array(ipv4SourceCidr).default([]),
      })
      .strict()
      .prefault({}),
    /** The model store (Blob Storage). @default { containerName: "models", feedbackRetentionDays: 90, feedbackModels: [], noncurrentVersionRetentionDays: 30, softDeleteDays: 7, allowedCidrs: [], forceDestroy: false } */
    modelStore: z
      .object({
        /** Blob container the registry lives in. @default "models" */
        containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a blob container name (3-63 lowercase letters, digits, single hyphens)").default("models"),
        /** Days labelled feedback is kept. @default 90 */
        feedbackRetentionDays: z.number().int().min(1).max(36500).default(90),
        /** Models whose feedback expires (a lifecycle prefix cannot wildcard the model name). @default [] */
        feedbackModels: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a model name")).default([]),
        /** Days a replaced or deleted blob version is kept. @default 30 */
        noncurrentVersionRetentionDays: z.number().int().min(1).max(36500).default(30),
        /** Days deleted blobs and containers stay recoverable. @default 7 */
        softDeleteDays: z.number().int().min(1).max(365).default(7),
        /** Public IPs or CIDRs (besides the node subnet) allowed through the storage firewall, e.g. a CI runner uploading datasets. @default [] */
        allowedCidrs: z.array(ipv4SourceCidr).default([]),
        /** Let `pulumi destroy` delete the account and every model in it; otherwise the account is protected. @default false */
        forceDestroy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Encryption at rest. @default { customerManagedKey: true, keyRotationDays: 90, keyVaultSoftDeleteDays: 7 } */
    encryption: z
      .object({
        /** Encrypt Kubernetes secrets (KMS), the model store and the registry with a Key Vault key this component creates. @default true */
        customerManagedKey: z.boolean().default(true),
        /** Days between automatic key rotations. @default 90 */
        keyRotationDays: z.number().int().min(7).max(3650).default(90),
        /** Days a deleted Key Vault stays recoverable (its name is reserved meanwhile). @default 7 */
        keyVaultSoftDeleteDays: z.number().int().min(7).max(90).default(7),
      })
      .strict()
      .prefault({}),
    /** Days control-plane logs stay in Log Analytics. @default 30 */
    logRetentionDays: z.number().int().min(30).max(730).default(30),
    /** Object ids granted Kubernetes cluster admin (Azure RBAC). @default - the principal running Pulumi */
    clusterAdmins: z.array(uuid).optional(),
    /** How kubelogin authenticates the kubeconfig's user. @default "azurecli" */
    kubeloginMode: z.enum(KUBELOGIN_MODES).default("azurecli"),
  })
  .strict();

/**
 * Cross-field checks of {@link azureClusterOptions} (pool sizes, unique pool names, overlapping
 * CIDRs, a customer-managed key on a Standard registry), kept out of the schema so it stays a
 * plain object schema (`.omit`/`.partial` refuse refined ones). Call it from a `superRefine`
 * with {@link ALWAYS_REFINE}; `path` prefixes the issues' paths (e.g. `["azure"]`).
 */
export function checkAzureClusterOptions(o: Record<string, any>, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  // Runs even when a field failed (every problem at once), so values may be unvalidated here.
  const issue = (at: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: [...path, ...at], message });
  checkPublicEndpointCidrs(o, ctx, path);
  const seen = new Map<string, number>();
  (Array.isArray(o.gpuPools) ? o.gpuPools : []).forEach((p: { name?: unknown; minNodes?: unknown; maxNodes?: unknown } | undefined, i: number) => {
    if (typeof p?.minNodes === "number" && typeof p.maxNodes === "number" && p.maxNodes < p.minNodes) {
      issue(["gpuPools", i, "maxNodes"], `must be >= minNodes (${p.minNodes})`);
    }
    const name = p?.name;
    if (typeof name !== "string") return;
    if (name === SYSTEM_POOL_NAME) issue(["gpuPools", i, "name"], `"${SYSTEM_POOL_NAME}" is the system pool's name`);
    const first = seen.get(name);
    if (first !== undefined) issue(["gpuPools", i, "name"], `duplicates gpuPools[${first}].name "${name}"`);
    else seen.set(name, i);
  });
  const sp = o.systemPool;
  if (typeof sp?.minNodes === "number" && typeof sp.maxNodes === "number" && sp.maxNodes < sp.minNodes) {
    issue(["systemPool", "maxNodes"], `must be >= minNodes (${sp.minNodes})`);
  }
  const nets = (["cidr", "podCidr", "serviceCidr"] as const).filter((k) => typeof o.network?.[k] === "string" && ipv4Cidr.safeParse(o.network[k]).success);
  for (let a = 0; a < nets.length; a++) {
    for (let b = a + 1; b < nets.length; b++) {
      const ka = nets[a]!;
      const kb = nets[b]!;
      if (cidrsOverlap(o.network[ka], o.network[kb])) issue(["network", kb], `overlaps network.${ka} (${o.network[ka]})`);
    }
  }
  // customerManagedKey defaults to true, so an unset one counts.
  if (o.encryption?.customerManagedKey !== false && o.registry?.sku === "Standard") {
    issue(["registry", "sku"], 'a customer-managed key needs the "Premium" registry; use Premium or set encryption.customerManagedKey false');
  } else if (o.registry?.sku === "Standard" && o.allowPublicServiceAccess !== true) {
    issue(["registry", "sku"], 'a "Standard" registry has no firewall (IP rules are Premium): use Premium, or accept a registry reachable from any address with allowPublicServiceAccess: true');
  }
}
