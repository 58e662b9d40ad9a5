import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { valueOf } from "../../helpers/pulumi-mocks.ts";
import { setupAzureMocks, TEST_CLIENT, TEST_ISSUER, TEST_KUBELET_OBJECT_ID } from "./azure-mocks.ts";

const mocks = setupAzureMocks();
const { AzureCluster } = await import("../../../components/azure/index.ts");
const { GPU_NODE_LABEL, GPU_TAINT, RUNTIME_SERVICE_ACCOUNTS } = await import("../../../components/kubernetes/cluster-handle.ts");

beforeEach(() => mocks.reset());

const role = (guid: string) => `/subscriptions/${TEST_CLIENT.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const STORAGE_BLOB_DATA_CONTRIBUTOR = role("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
const ACR_PULL = role("7f951dda-4ed3-4680-a7ca-43fe172d538d");

/** `key=value:Effect` → a Taint, as AKS reads nodeTaints. */
function parseTaint(s: string) {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  assert.ok(m, `bad taint ${s}`);
  return m[2] === undefined ? { key: m[1], effect: m[3] } : { key: m[1], value: m[2], effect: m[3] };
}

test("a dev cluster by default: private API server, Free tier, overlay CNI, Entra ID + Azure RBAC, workload identity, KMS, no node public IPs", async () => {
  new AzureCluster("dev", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  const aks = mocks.named("dev-aks").inputs;
  assert.equal(aks.location, "eastus");
  assert.equal(aks.kubernetesVersion, "1.35");
  assert.deepEqual(aks.sku, { name: "Base", tier: "Free" });
  assert.deepEqual(aks.apiServerAccessProfile, { enablePrivateCluster: true, privateDNSZone: "system", enablePrivateClusterPublicFQDN: false });
  assert.equal(aks.disableLocalAccounts, true);
  assert.deepEqual(aks.aadProfile, { managed: true, enableAzureRBAC: true, tenantID: TEST_CLIENT.tenantId });
  assert.deepEqual(aks.oidcIssuerProfile, { enabled: true });
  assert.deepEqual(aks.securityProfile.workloadIdentity, { enabled: true });
  assert.deepEqual(aks.securityProfile.azureKeyVaultKms, { enabled: true, keyId: "https://kv.vault.azure.net/keys/mlops-cmk/rotated02", keyVaultNetworkAccess: "Public" });
  assert.equal(aks.networkProfile.networkPlugin, "azure");
  assert.equal(aks.networkProfile.networkPluginMode, "overlay");
  assert.equal(aks.networkProfile.networkPolicy, "cilium");
  assert.equal(aks.networkProfile.outboundType, "userAssignedNATGateway");
  assert.equal(aks.networkProfile.serviceCidr, "172.16.0.0/16");
  assert.equal(aks.networkProfile.dnsServiceIP, "172.16.0.10");
  assert.equal(aks.networkProfile.podCidr, "192.168.0.0/16");
  assert.equal(aks.identity.type, "UserAssigned");
  assert.deepEqual(aks.identity.userAssignedIdentities.map((id: string) => id.split("/").pop()), ["dev-aks-identity"]);
  // The control-plane identity may join the node subnet and use the KMS key before the cluster is created.
  assert.ok(mocks.named("dev-aks-subnet-grant").inputs.scope.endsWith("/dev-nodes"));
  assert.ok(mocks.named("dev-aks-kms-grant").inputs.scope.endsWith("/dev-cmk"));
  assert.equal(mocks.named("dev-aks-kms-grant").inputs.roleDefinitionId, role("12338af0-0e69-4776-bea7-57ae8d297424"));
  const [system] = aks.agentPoolProfiles;
  assert.equal(aks.agentPoolProfiles.length, 1);
  assert.equal(system.mode, "System");
  assert.equal(system.vmSize, "Standard_D4s_v5");
  assert.deepEqual([system.enableAutoScaling, system.minCount, system.maxCount], [true, 1, 3]);
  assert.equal(system.enableNodePublicIP, false);
  assert.equal(system.availabilityZones, undefined);
  const subnetId = `/subscriptions/${TEST_CLIENT.subscriptionId}/resourceGroups/rg/providers/azure-native:network:Subnet/dev-nodes`;
  assert.equal(system.vnetSubnetID, subnetId);

  const subnet = mocks.named("dev-nodes").inputs;
  assert.equal(subnet.addressPrefix, "10.0.0.0/18");
  assert.equal(subnet.defaultOutboundAccess, false);
  assert.ok(subnet.natGateway.id.endsWith("/dev-nat"));
  assert.deepEqual(mocks.named("dev-vnet").inputs.addressSpace, { addressPrefixes: ["10.0.0.0/16"] });
  assert.ok(mocks.named("dev-nat").inputs.publicIpAddresses[0].id.endsWith("/dev-nat-ip"));

  const diag = mocks.named("dev-aks-diagnostics").inputs;
  assert.deepEqual(diag.logs.map((l: { category: string }) => l.category), ["kube-apiserver", "kube-audit-admin", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler"]);
  assert.ok(diag.workspaceId.endsWith("/dev-logs"));
  assert.ok(diag.resourceUri.endsWith("/dev-aks"));
  // The deploying principal may administer the cluster (local accounts are off).
  const admin = mocks.named("dev-aks-admin-0").inputs;
  assert.equal(admin.principalId, TEST_CLIENT.objectId);
  assert.equal(admin.roleDefinitionId, role("b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"));
});

test("the default GPU pool scales from zero, carries the GPU taint and label, and gets the AKS-installed driver", async () => {
  const c = new AzureCluster("gpu", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  const pools = mocks.ofType("azure-native:containerservice:AgentPool");
  assert.equal(pools.length, 1);
  const p = pools[0]!.inputs;
  assert.equal(p.agentPoolName, "gpu");
  assert.equal(p.mode, "User");
  assert.equal(p.vmSize, "Standard_NC4as_T4_v3");
  assert.deepEqual([p.enableAutoScaling, p.count, p.minCount, p.maxCount], [true, 0, 0, 2]);
  assert.deepEqual(p.gpuProfile, { driver: "Install" });
  assert.deepEqual(p.nodeTaints, ["nvidia.com/gpu=present:NoSchedule"]);
  assert.deepEqual(p.nodeLabels, { ...GPU_NODE_LABEL });
  assert.equal(p.enableNodePublicIP, false);
  assert.equal(p.scaleSetPriority, "Regular");
  assert.equal(p.resourceName, "gpu-aks");
  assert.deepEqual(c.handle.gpu, { nodeSelector: { ...GPU_NODE_LABEL }, taints: [{ ...GPU_TAINT }], resourceName: "nvidia.com/gpu", driverInstalled: true, devicePluginInstalled: false });
  assert.deepEqual(p.nodeTaints.map(parseTaint), c.handle.gpu?.taints);
});

test("spot GPU pools evict by deletion at no more than the on-demand price, and the handle's taints include the AKS spot taint", async () => {
  const c = new AzureCluster("spot", {
    region: "eastus",
    namespace: "mlops",
    gpuPools: [
      { name: "t4", vmSize: "Standard_NC8as_T4_v3", maxNodes: 4 },
      { name: "a100", vmSize: "Standard_NC24ads_A100_v4", spot: true, diskSizeGb: 256 },
    ],
  });
  await mocks.settle();
  const spot = mocks.named("spot-gpu-a100").inputs;
  assert.deepEqual([spot.scaleSetPriority, spot.scaleSetEvictionPolicy, spot.spotMaxPrice], ["Spot", "Delete", -1]);
  assert.equal(spot.osDiskSizeGB, 256);
  assert.equal(spot.minCount, 0);
  assert.equal(mocks.named("spot-gpu-t4").inputs.maxCount, 4);
  const spotTaint = { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" };
  assert.deepEqual(c.handle.gpu?.taints, [{ ...GPU_TAINT }, spotTaint]);
  // Every taint a GPU node can carry (ours, plus the one AKS adds to spot pools) is in the handle.
  const nodeTaints = [...spot.nodeTaints.map(parseTaint), spotTaint, ...mocks.named("spot-gpu-t4").inputs.nodeTaints.map(parseTaint)];
  for (const t of nodeTaints) assert.ok(c.handle.gpu?.taints.some((h) => JSON.stringify(h) === JSON.stringify(t)), `handle misses ${JSON.stringify(t)}`);
});

test("no GPU pools: no AgentPool and no GPU facts in the handle", async () => {
  const c = new AzureCluster("cpu", { region: "eastus", namespace: "mlops", gpuPools: [] });
  await mocks.settle();
  assert.equal(mocks.ofType("azure-native:containerservice:AgentPool").length, 0);
  assert.equal(c.handle.gpu, undefined);
});

test("publicEndpoint opens the API server to the authorized CIDRs only", async () => {
  new AzureCluster("pub", { region: "eastus", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] });
  await mocks.settle();
  assert.deepEqual(mocks.named("pub-aks").inputs.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24", "198.51.100.7/32"] });
});

test("a public endpoint open to everyone leaves authorizedIPRanges unset (AKS's way of saying all)", async () => {
  new AzureCluster("open", { region: "eastus", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["0.0.0.0/0"], allowOpenEndpoint: true });
  await mocks.settle();
  assert.deepEqual(mocks.named("open-aks").inputs.apiServerAccessProfile, { enablePrivateCluster: false });
});

test("Defender for Containers (image scanning) is switched on for the subscription only when asked", async () => {
  new AzureCluster("nodef", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  assert.equal(mocks.ofType("azure-native:security:Pricing").length, 0);
  new AzureCluster("def", { region: "eastus", namespace: "mlops", registry: { defenderForContainers: true } });
  await mocks.settle();
  const pricing = mocks.named("def-defender-containers").inputs;
  assert.deepEqual([pricing.pricingName, pricing.pricingTier, pricing.scopeId], ["Containers", "Standard", `/subscriptions/${TEST_CLIENT.subscriptionId}`]);
});

test("highAvailability: Standard tier, zonal system and GPU pools, zone-redundant storage and registry", async () => {
  new AzureCluster("ha", { region: "eastus", namespace: "mlops", highAvailability: true, systemPool: { minNodes: 3 } });
  await mocks.settle();
  const aks = mocks.named("ha-aks").inputs;
  assert.equal(aks.sku.tier, "Standard");
  assert.deepEqual(aks.agentPoolProfiles[0].availabilityZones, ["1", "2", "3"]);
  assert.deepEqual([aks.agentPoolProfiles[0].minCount, aks.agentPoolProfiles[0].maxCount, aks.agentPoolProfiles[0].vmSize], [3, 3, "Standard_D4s_v5"]);
  assert.deepEqual(mocks.named("ha-gpu-gpu").inputs.availabilityZones, ["1", "2", "3"]);
  assert.equal(mocks.named("ha-models").inputs.sku.name, "Standard_ZRS");
  assert.equal(mocks.named("ha-acr").inputs.zoneRedundancy, "Enabled");
});

test("the model store is private, TLS-only, Entra-only, CMK- and infrastructure-encrypted, versioned, with feedback expiry", async () => {
  new AzureCluster("ms", { region: "eastus", namespace: "mlops", modelStore: { feedbackModels: ["churn", "fraud"], feedbackRetentionDays: 30 } });
  await mocks.settle();
  const acct = mocks.named("ms-models").inputs;
  assert.match(acct.accountName, /^[a-z0-9]{3,24}$/);
  assert.equal(acct.allowBlobPublicAccess, false);
  assert.equal(acct.allowSharedKeyAccess, false);
  assert.equal(acct.enableHttpsTrafficOnly, true);
  assert.equal(acct.minimumTlsVersion, "TLS1_2");
  assert.equal(acct.networkRuleSet.defaultAction, "Deny");
  assert.deepEqual(acct.networkRuleSet.virtualNetworkRules.map((r: { virtualNetworkResourceId: string }) => r.virtualNetworkResourceId.split("/").pop()), ["ms-nodes"]);
  assert.equal(acct.encryption.keySource, "Microsoft.Keyvault");
  assert.equal(acct.encryption.requireInfrastructureEncryption, true);
  assert.equal(acct.encryption.keyVaultProperties.keyName, "mlops-cmk");
  assert.equal(acct.encryption.keyVaultProperties.keyVersion, undefined, "versionless: the account follows key rotations");
  assert.ok(acct.encryption.encryptionIdentity.encryptionUserAssignedIdentity.endsWith("/ms-cmk-identity"));
  const blob = mocks.named("ms-blob-service").inputs;
  assert.equal(blob.isVersioningEnabled, true);
  assert.deepEqual(blob.deleteRetentionPolicy, { enabled: true, days: 7 });
  assert.equal(mocks.named("ms-models-container").inputs.publicAccess, "None");
  const rules = mocks.named("ms-models-lifecycle").inputs.policy.rules;
  const feedback = rules.find((r: { name: string }) => r.name === "expire-feedback");
  assert.deepEqual(feedback.definition.filters.prefixMatch, ["models/registry/models/churn/feedback/", "models/registry/models/fraud/feedback/"]);
  assert.deepEqual(feedback.definition.actions.baseBlob.delete, { daysAfterModificationGreaterThan: 30 });
  assert.deepEqual(feedback.definition.actions.version.delete, { daysAfterCreationGreaterThan: 30 });
  const versions = rules.find((r: { name: string }) => r.name === "expire-noncurrent-versions");
  assert.deepEqual(versions.definition.filters.prefixMatch, ["models/registry/"]);
  assert.deepEqual(versions.definition.actions, { version: { delete: { daysAfterCreationGreaterThan: 30 } } });
  // The key vault guards the key with RBAC and purge protection; the key rotates.
  const vault = mocks.named("ms-kv").inputs.properties;
  assert.deepEqual([vault.enableRbacAuthorization, vault.enablePurgeProtection, vault.tenantId], [true, true, TEST_CLIENT.tenantId]);
  const key = mocks.named("ms-cmk").inputs.properties;
  assert.deepEqual(key.rotationPolicy.lifetimeActions, [{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P90D" } }]);
  assert.ok(mocks.named("ms-cmk-grant").inputs.scope.endsWith("/ms-cmk"));
});

test("without a customer-managed key: Microsoft-managed keys with infrastructure encryption, no vault, no KMS", async () => {
  new AzureCluster("nocmk", { region: "eastus", namespace: "mlops", encryption: { customerManagedKey: false }, registry: { sku: "Standard" }, allowPublicServiceAccess: true });
  await mocks.settle();
  assert.equal(mocks.ofType("azure-native:keyvault:Vault").length, 0);
  assert.equal(mocks.named("nocmk-aks").inputs.securityProfile.azureKeyVaultKms, undefined);
  const enc = mocks.named("nocmk-models").inputs.encryption;
  assert.deepEqual([enc.keySource, enc.requireInfrastructureEncryption], ["Microsoft.Storage", true]);
  const acr = mocks.named("nocmk-acr").inputs;
  assert.equal(acr.encryption, undefined);
  assert.equal(acr.policies, undefined, "retention policies need Premium");
});

test("the registry is private, CMK-encrypted, expires untagged manifests, purges old tags (without the firewall), and only the kubelet identity may pull", async () => {
  const c = new AzureCluster("reg", { region: "eastus", namespace: "mlops", registry: { keepImages: 10 }, allowPublicServiceAccess: true });
  await mocks.settle();
  const acr = mocks.named("reg-acr").inputs;
  assert.match(acr.registryName, /^[a-z0-9]{5,50}$/);
  assert.deepEqual(acr.sku, { name: "Premium" });
  assert.equal(acr.adminUserEnabled, false);
  assert.equal(acr.anonymousPullEnabled, false);
  assert.deepEqual(acr.policies.retentionPolicy, { status: "enabled", days: 7 });
  assert.equal(acr.encryption.status, "enabled");
  assert.equal(acr.encryption.keyVaultProperties.keyIdentifier, "https://kv.vault.azure.net/keys/mlops-cmk");
  assert.equal(acr.encryption.keyVaultProperties.identity, "reg-cmk-identity-client-id");
  const task = mocks.named("reg-acr-purge").inputs;
  const script = parse(Buffer.from(task.step.encodedTaskContent, "base64").toString("utf8"));
  assert.equal(script.steps[0].cmd, "acr purge --filter 'mlops/.*:.*' --ago 0d --keep 10 --untagged");
  assert.equal(task.trigger.timerTriggers[0].status, "Enabled");
  const pull = mocks.named("reg-acr-pull").inputs;
  assert.deepEqual([pull.principalId, pull.roleDefinitionId], [TEST_KUBELET_OBJECT_ID, ACR_PULL]);
  assert.ok(pull.scope.endsWith("/reg-acr"));
  assert.equal(await valueOf(c.registryUrl), `${acr.registryName}.azurecr.io/mlops`);
  assert.equal(await valueOf(pulumi.output(c.handle.registryUrl!)), `${acr.registryName}.azurecr.io/mlops`);
});

test("the runtime identity trusts exactly the two runtime ServiceAccounts and may use only the model container", async () => {
  const c = new AzureCluster("wi", { region: "eastus", namespace: "ml-prod" });
  await mocks.settle();
  const fics = mocks.ofType("azure-native:managedidentity:FederatedIdentityCredential").map((r) => r.inputs);
  assert.deepEqual(fics.map((f) => f.subject).sort(), [`system:serviceaccount:ml-prod:${RUNTIME_SERVICE_ACCOUNTS.retraining}`, `system:serviceaccount:ml-prod:${RUNTIME_SERVICE_ACCOUNTS.serving}`].sort());
  for (const f of fics) {
    assert.equal(f.issuer, TEST_ISSUER);
    assert.deepEqual(f.audiences, ["api://AzureADTokenExchange"]);
    assert.equal(f.resourceName, "wi-runtime-identity");
  }
  const runtimePrincipal = "wi-runtime-identity-principal-id";
  const grants = mocks.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.principalId === runtimePrincipal);
  assert.equal(grants.length, 1, "the runtime identity holds one role assignment");
  const [grant] = grants;
  assert.equal(grant!.inputs.roleDefinitionId, STORAGE_BLOB_DATA_CONTRIBUTOR);
  assert.match(grant!.inputs.scope, /\/storageAccounts\/[^/]+\/blobServices\/default\/containers\/models$/);

  const account = mocks.named("wi-models").inputs.accountName;
  assert.equal(await valueOf(c.bucketUrl), `az://${account}/models/registry`);
  assert.deepEqual(c.handle.modelStore.kind, "bucket");
  if (c.handle.modelStore.kind === "bucket") assert.equal(await valueOf(pulumi.output(c.handle.modelStore.url)), `az://${account}/models/registry`);
  const wi = c.handle.workloadIdentity;
  assert.equal(await valueOf(pulumi.output(wi.annotations["azure.workload.identity/client-id"]!)), "wi-runtime-identity-client-id");
  assert.deepEqual(wi.podLabels, { "azure.workload.identity/use": "true" });
  assert.deepEqual(wi.serviceAccounts, RUNTIME_SERVICE_ACCOUNTS);
  assert.equal(await valueOf(pulumi.output(c.handle.runtimeEnv!.AZURE_STORAGE_ACCOUNT!)), account);
});

test("the kubeconfig is a secret that authenticates through kubelogin without prompting", async () => {
  const c = new AzureCluster("kc", { region: "eastus", namespace: "mlops", kubeloginMode: "workloadidentity" });
  await mocks.settle();
  assert.equal(await pulumi.isSecret(c.kubeconfig), true);
  const kc = parse(await valueOf(c.kubeconfig));
  assert.deepEqual(kc.clusters[0].cluster, { "certificate-authority-data": "Q0E=", server: "https://c-abc.privatelink.eastus.azmk8s.io:443" });
  const exec = kc.users[0].user.exec;
  assert.equal(exec.command, "kubelogin");
  assert.deepEqual(exec.args, ["get-token", "--login", "workloadidentity", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]);
  assert.equal(kc.contexts[0].context.user, kc.users[0].name);
  assert.equal(await valueOf(c.apiEndpoint), "https://kc-aks.privatelink.eastus.azmk8s.io:443");
});

test("a bring-your-own resource group and subnet create no network", async () => {
  const subnetId = "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks";
  new AzureCluster("byo", { region: "westeurope", namespace: "mlops", resourceGroupName: "platform-rg", network: { existing: { nodeSubnetId: subnetId, outboundType: "userDefinedRouting" } } });
  await mocks.settle();
  for (const t of ["resources:ResourceGroup", "network:VirtualNetwork", "network:Subnet", "network:NatGateway", "network:PublicIPAddress"]) assert.equal(mocks.ofType(`azure-native:${t}`).length, 0, t);
  const aks = mocks.named("byo-aks").inputs;
  assert.equal(aks.resourceGroupName, "platform-rg");
  assert.equal(aks.agentPoolProfiles[0].vnetSubnetID, subnetId);
  assert.equal(aks.networkProfile.outboundType, "userDefinedRouting");
  assert.equal(mocks.named("byo-aks-subnet-grant").inputs.scope, subnetId);
});

test("every taggable resource carries the platform's tags", async () => {
  new AzureCluster("tags", { region: "eastus", namespace: "mlops", tags: { "mlops-profile": "dev", "mlops-environment": "azure-dev" } });
  await mocks.settle();
  const untaggable = new Set(["azure-native:authorization:RoleAssignment", "azure-native:managedidentity:FederatedIdentityCredential", "azure-native:monitor:DiagnosticSetting", "azure-native:network:Subnet", "azure-native:storage:BlobServiceProperties", "azure-native:storage:BlobContainer", "azure-native:storage:ManagementPolicy", "pulumi:providers:kubernetes"]);
  const azureResources = mocks.resources.filter((r) => r.type.startsWith("azure-native:") && !untaggable.has(r.type));
  assert.ok(azureResources.length >= 14, `only ${azureResources.length} taggable resources`);
  for (const r of azureResources) {
    assert.equal(r.inputs.tags?.["mlops-profile"], "dev", `${r.name} (${r.type})`);
    assert.equal(r.inputs.tags?.["mlops-environment"], "azure-dev", `${r.name} (${r.type})`);
    for (const k of Object.keys(r.inputs.tags)) assert.doesNotMatch(k, /[<>%&\\?/]/, `Azure tag names cannot contain <>%&\\?/: ${k}`);
  }
});

test("invalid options report every bad path at once", () => {
  assert.throws(
    () =>
      new AzureCluster("bad", {
        namespace: "mlops",
        network: { cidr: "10.0.0.0/16", serviceCidr: "10.0.128.0/17" },
        systemPool: { minNodes: 4, maxNodes: 2 },
        gpuPools: [
          { name: "gpu", vmSize: "Standard_NC4as_T4_v3" },
          { name: "cpu", vmSize: "Standard_D4s_v5" },
          { name: "gpu", vmSize: "Standard_NV36ads_A10_v5", minNodes: 3, maxNodes: 1 },
        ],
        registry: { sku: "Standard" },
      } as never),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const errors = (e as pulumi.InputPropertiesError).errors;
      const paths = errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, ["gpuPools[1].vmSize", "gpuPools[2].maxNodes", "gpuPools[2].name", "network.serviceCidr", "region", "registry.sku", "systemPool.maxNodes"]);
      const reason = (p: string) => errors.find((x) => x.propertyPath === p)!.reason;
      assert.match(reason("gpuPools[1].vmSize"), /"Standard_D4s_v5" is not an NVIDIA GPU VM size of Azure \(Standard_NC\*as_T4_v3, Standard_NC\*ads_A100_v4/);
      assert.equal(reason("gpuPools[2].maxNodes"), "must be >= minNodes (3)");
      assert.equal(reason("gpuPools[2].name"), 'duplicates gpuPools[0].name "gpu"');
      assert.match(reason("network.serviceCidr"), /overlaps network.cidr/);
      assert.match((e as Error).message, /invalid AzureCluster arguments/);
      return true;
    },
  );
});

test("accepts every documented GPU family and rejects pool names AKS would refuse", () => {
  for (const vmSize of ["Standard_NC4as_T4_v3", "Standard_NC64as_T4_v3", "Standard_NC24ads_A100_v4", "Standard_NV36ads_A10_v5", "Standard_ND96asr_v4", "Standard_ND96amsr_A100_v4", "Standard_ND96isr_H100_v5", "Standard_NC40ads_H100_v5"]) {
    assert.doesNotThrow(() => new AzureCluster(`ok-${vmSize.toLowerCase()}`, { region: "eastus", namespace: "mlops", gpuPools: [{ name: "gpu", vmSize }] }), vmSize);
  }
  assert.throws(
    () => new AzureCluster("names", { region: "eastus", namespace: "mlops", gpuPools: [{ name: "GPU-pool" }, { name: "system" }, { name: "averyverylongname" }] }),
    (e: unknown) => {
      assert.deepEqual((e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath), ["gpuPools[0].name", "gpuPools[2].name", "gpuPools[1].name"]);
      return true;
    },
  );
});
