import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../../helpers/pulumi-mocks.ts";
import { setupAzureMocks, TEST_CLIENT } from "./azure-mocks.ts";

// Issue 10, Azure: what the first `pulumi up` needs that previews cannot see. Sources per test.
const mocks = setupAzureMocks();
const { AzureCluster } = await import("../../../components/azure/index.ts");
type AzureClusterArgs = import("../../../components/azure/index.ts").AzureClusterArgs;
const { ACR_REFRESH_TOKEN_USER, acrPushCredentials, grantedActions } = await import("../../../components/azure/acr-credentials.ts");
const { waitForClusterAdmin, BOOTSTRAP_PERMISSIONS } = await import("../../../components/azure/aks-rbac-readiness.ts");
const { azureGpuQuotaMessage } = await import("../../../components/azure/gpu-quota.ts");

beforeEach(() => mocks.reset());

const role = (guid: string) => `/subscriptions/${TEST_CLIENT.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const ACR_PUSH = role("8311e382-0749-4cb8-b61a-304f252e45ec");
const STORAGE_BLOB_DATA_CONTRIBUTOR = role("ba92f5b4-2d11-453d-a403-e96b0029c9fe");

/** A fake ACR token service: `grantsPushAfter` token requests answer without push first. */
function fakeAcr(grantsPushAfter: number) {
  const calls: { url: string; body: URLSearchParams }[] = [];
  let tokenCalls = 0;
  const jwt = (access: unknown) => `h.${Buffer.from(JSON.stringify({ access })).toString("base64url")}.s`;
  const fetch = async (url: string, init: { body: string }) => {
    const body = new URLSearchParams(init.body);
    calls.push({ url, body });
    if (url.endsWith("/oauth2/exchange")) return { status: 200, text: async () => JSON.stringify({ refresh_token: "acr-refresh" }) };
    tokenCalls++;
    const actions = tokenCalls > grantsPushAfter ? ["pull", "push"] : ["pull"];
    return { status: 200, text: async () => JSON.stringify({ access_token: jwt([{ type: "repository", name: "mlops/mlops-runtime", actions }]) }) };
  };
  return { calls, fetch };
}

test("item 3: the ACR push credential is an ACR refresh token exchanged from the deployer's Entra ID token, returned only once it grants push", async () => {
  // Azure/acr docs/AAD-OAuth.md: POST /oauth2/exchange (grant_type=access_token, service, tenant,
  // access_token) → refresh_token; docker logs in with user 00000000-... and that token.
  const acr = fakeAcr(2);
  let t = 0;
  const creds = await acrPushCredentials({ loginServer: "mlopsx.azurecr.io", tenantId: "tenant-1", aadToken: "aad", repository: "mlops/mlops-runtime", fetch: acr.fetch, sleep: async (ms) => void (t += ms), now: () => t, intervalMs: 1000 });
  assert.deepEqual(creds, { username: ACR_REFRESH_TOKEN_USER, password: "acr-refresh" });
  const exchange = acr.calls.find((c) => c.url === "https://mlopsx.azurecr.io/oauth2/exchange")!;
  assert.deepEqual(Object.fromEntries(exchange.body), { grant_type: "access_token", service: "mlopsx.azurecr.io", tenant: "tenant-1", access_token: "aad" });
  const tokens = acr.calls.filter((c) => c.url.endsWith("/oauth2/token"));
  assert.equal(tokens.length, 3, "waited through two answers without push");
  assert.equal(tokens[0]!.body.get("scope"), "repository:mlops/mlops-runtime:pull,push");
  assert.equal(t, 2000);
});

test("item 3: without push after the timeout the error names the registry, the role and the firewall", async () => {
  const acr = fakeAcr(Number.POSITIVE_INFINITY);
  let t = 0;
  await assert.rejects(
    acrPushCredentials({ loginServer: "r.azurecr.io", tenantId: "t", aadToken: "a", repository: "mlops/mlops-runtime", fetch: acr.fetch, sleep: async (ms) => void (t += ms), now: () => t, intervalMs: 1000, timeoutMs: 5000 }),
    /r\.azurecr\.io\/mlops\/mlops-runtime: the token grants \[pull\] on mlops\/mlops-runtime, not push.*AcrPush.*authorizedCidrs/,
  );
  assert.deepEqual(grantedActions("not-a-jwt", "x"), []);
});

test("item 3: the ClusterHandle carries registryAuth for the ACR (null-GUID user, secret token) and the deployer holds AcrPush on that registry", async () => {
  const c = new AzureCluster("push", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  assert.ok(c.handle.registryAuth, "registryAuth is set (docker-build cannot log in to a registry created in the same update otherwise)");
  assert.equal(await valueOf(pulumi.output(c.handle.registryAuth.username)), ACR_REFRESH_TOKEN_USER);
  assert.equal(await pulumi.isSecret(pulumi.output(c.handle.registryAuth.password)), true);
  const push = mocks.named("push-acr-push").inputs;
  assert.deepEqual([push.principalId, push.roleDefinitionId], [TEST_CLIENT.objectId, ACR_PUSH]);
  assert.ok(push.scope.endsWith("/push-acr"));
});

test("item 5: the Kubernetes provider waits until every bootstrap permission is allowed, not just until the role assignment exists", async () => {
  // Azure RBAC for Kubernetes: role assignments take minutes to propagate; local accounts are off,
  // so there is no admin kubeconfig to bootstrap with (AKS refuses to list it).
  const seen: { url: string; verb: string; resource: string; token: string }[] = [];
  let round = 0;
  let t = 0;
  await waitForClusterAdmin({
    server: "https://c.hcp.eastus.azmk8s.io:443",
    token: "aks-token",
    intervalMs: 1000,
    sleep: async (ms) => void ((t += ms), round++),
    now: () => t,
    post: async (url, body: any, auth) => {
      seen.push({ url, verb: body.spec.resourceAttributes.verb, resource: body.spec.resourceAttributes.resource, token: auth.token });
      return round < 2 ? { status: 201, body: { status: { allowed: false } } } : { status: 201, body: { status: { allowed: true } } };
    },
  });
  assert.equal(round, 2);
  assert.equal(seen[0]!.url, "https://c.hcp.eastus.azmk8s.io:443/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
  assert.equal(seen[0]!.token, "aks-token");
  const last = seen.slice(-BOOTSTRAP_PERMISSIONS.length).map((s) => `${s.verb} ${s.resource}`);
  assert.deepEqual(last, ["create namespaces", "create clusterroles", "create customresourcedefinitions"]);
  let t2 = 0;
  await assert.rejects(
    waitForClusterAdmin({ server: "https://c:443", token: "x", intervalMs: 1000, timeoutMs: 3000, sleep: async (ms) => void (t2 += ms), now: () => t2, post: async () => ({ status: 403, body: {} }) }),
    /has not reached https:\/\/c:443 \(not yet allowed: create namespaces \(HTTP 403\)\).*Cluster Admin/,
  );
});

test("item 5: the kubeconfig the provider uses asks for a token of the AKS server application (the wait's credential)", async () => {
  new AzureCluster("wait", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  const tokens = mocks.invokes.filter((i) => i.token === "azure-native:authorization:getClientToken").map((i) => i.inputs.endpoint);
  assert.ok(tokens.includes("6dae42f8-4368-4678-94ff-3960e28e3630"), `token endpoints: ${tokens.join(", ")}`);
});

test("items 13 and 17: registry and model store firewalls deny by default and admit the nodes' NAT IP and the operators' public authorizedCidrs; the deployer may read and write the model container", async () => {
  new AzureCluster("fw", { region: "eastus", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["198.51.100.7/32", "10.1.0.0/16"] });
  await mocks.settle();
  const acr = mocks.named("fw-acr").inputs;
  assert.equal(acr.networkRuleSet.defaultAction, "Deny");
  const acrRules = acr.networkRuleSet.ipRules.map((r: { iPAddressOrRange: string }) => r.iPAddressOrRange);
  assert.ok(acrRules.includes("198.51.100.7/32"), acrRules.join());
  assert.ok(!acrRules.includes("10.1.0.0/16"), "private ranges cannot pass a public firewall");
  assert.equal(acrRules.length, 2, `the NAT egress IP (nodes pull) and the operator: ${acrRules.join()}`);
  const store = mocks.named("fw-models").inputs.networkRuleSet;
  assert.equal(store.defaultAction, "Deny");
  assert.deepEqual(store.ipRules.map((r: { iPAddressOrRange: string }) => r.iPAddressOrRange), ["198.51.100.7"]);
  const operator = mocks.named("fw-models-operator-access").inputs;
  assert.deepEqual([operator.principalId, operator.roleDefinitionId], [TEST_CLIENT.objectId, STORAGE_BLOB_DATA_CONTRIBUTOR]);
  assert.match(operator.scope, /\/containers\/models$/);
});

test("item 17: allowPublicServiceAccess is the named opt-in that opens both firewalls; a Standard registry (no firewall) needs it", async () => {
  new AzureCluster("open", { region: "eastus", namespace: "mlops", allowPublicServiceAccess: true });
  await mocks.settle();
  assert.equal(mocks.named("open-acr").inputs.networkRuleSet, undefined);
  assert.equal(mocks.named("open-models").inputs.networkRuleSet.defaultAction, "Allow");
  assert.throws(
    () => new AzureCluster("std", { region: "eastus", namespace: "mlops", encryption: { customerManagedKey: false }, registry: { sku: "Standard" } }),
    (e: unknown) => {
      const errors = (e as pulumi.InputPropertiesError).errors;
      assert.deepEqual(errors.map((x) => x.propertyPath), ["registry.sku"]);
      assert.match(errors[0]!.reason, /no firewall.*allowPublicServiceAccess: true/);
      return true;
    },
  );
});

test("item 18: AKS KMS gets the key's current version read from Key Vault on every update, not the version the key had when it was created", async () => {
  // AKS KMS takes a versioned key id only (learn.microsoft.com/azure/aks/use-kms-etcd-encryption,
  // key rotation = update the cluster's keyId); the key rotates every keyRotationDays.
  new AzureCluster("kms", { region: "eastus", namespace: "mlops" });
  await mocks.settle();
  const kms = mocks.named("kms-aks").inputs.securityProfile.azureKeyVaultKms;
  assert.equal(kms.keyId, "https://kv.vault.azure.net/keys/mlops-cmk/rotated02");
  const read = mocks.invokes.find((i) => i.token === "azure-native:keyvault:getKey");
  assert.equal(read?.inputs.keyName, "mlops-cmk");
  assert.match(read?.inputs.vaultName, /^kv[0-9a-f]+$/);
});

test("item 15: preview names the NC-family (on-demand) or regional spot vCPU quota and the vCPUs to request", () => {
  const msg = azureGpuQuotaMessage(
    [
      { name: "t4", vmSize: "Standard_NC4as_T4_v3", maxNodes: 2, spot: true },
      { name: "a100", vmSize: "Standard_NC24ads_A100_v4", maxNodes: 1, spot: false },
    ],
    "eastus",
  )!;
  assert.match(msg, /"Total Regional Spot vCPUs" needs 8 vCPUs for t4 \(2 x Standard_NC4as_T4_v3, spot\)/);
  assert.match(msg, /"Standard NCADS_A100_v4 Family vCPUs" needs 24 vCPUs for a100/);
  assert.match(msg, /"Total Regional vCPUs" needs 24 vCPUs/);
  assert.match(msg, /az vm list-usage --location eastus/);
  assert.equal(azureGpuQuotaMessage([], "eastus"), undefined);
  assert.match(azureGpuQuotaMessage([{ name: "g", vmSize: "Standard_NC8as_T4_v3", maxNodes: 3, spot: false }], "westeurope")!, /"Standard NCASv3_T4 Family vCPUs" needs 24 vCPUs/);
});

test("the RFC 5737 placeholder stops pulumi up before any Azure resource exists, in any list a firewall or the API server admits", () => {
  const synth = process.env.PULUMI_MLOPS_SYNTH;
  process.env.PULUMI_MLOPS_SYNTH = "0"; // a real `pulumi up` (the mocks run as an update)
  try {
    const cases: [Partial<AzureClusterArgs>, string][] = [
      [{ publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24"] }, "azure.authorizedCidrs"],
      [{ registry: { allowedCidrs: ["52.1.2.3/32", "192.0.2.10/32"] } }, "azure.registry.allowedCidrs"],
      [{ modelStore: { allowedCidrs: ["198.51.100.0/24"] } }, "azure.modelStore.allowedCidrs"],
    ];
    for (const [extra, path] of cases) {
      mocks.reset();
      assert.throws(
        () => new AzureCluster("ph", { region: "eastus", namespace: "mlops", ...extra }),
        (e: unknown) => e instanceof pulumi.RunError && (e as Error).message.startsWith(`${path} holds the documentation range`),
        path,
      );
      assert.deepEqual(mocks.resources.filter((r) => r.type.startsWith("azure-native:")), [], path);
    }
  } finally {
    process.env.PULUMI_MLOPS_SYNTH = synth;
  }
});

test("item 17: with a customer-managed key, preview says once why the Key Vault stays reachable from all networks and what the alternatives are", async () => {
  const logged: { message: string; resource?: pulumi.Resource }[] = [];
  const info = pulumi.log.info;
  (pulumi.log as { info: typeof pulumi.log.info }).info = async (message: string, resource?: pulumi.Resource) => void logged.push({ message, resource });
  try {
    const c = new AzureCluster("kv", { region: "eastus", namespace: "mlops", gpuPools: [] });
    await mocks.settle();
    const notes = logged.filter((l) => /Key Vault accepts connections from all networks/.test(l.message));
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.resource, c);
    assert.match(notes[0]!.message, /API Server VNet Integration/);
    assert.match(notes[0]!.message, /customerManagedKey: false/);
    const vault = mocks.ofType("azure-native:keyvault:Vault")[0]!.inputs.properties;
    assert.equal(vault.enableRbacAuthorization, true, "RBAC, the guard the note names");
    assert.equal(vault.enablePurgeProtection, true);

    logged.length = 0;
    mocks.reset();
    new AzureCluster("nokv", { region: "eastus", namespace: "mlops", gpuPools: [], encryption: { customerManagedKey: false } });
    await mocks.settle();
    assert.equal(logged.some((l) => /Key Vault/.test(l.message)), false);
    assert.deepEqual(mocks.ofType("azure-native:keyvault:Vault"), []);
  } finally {
    (pulumi.log as { info: typeof pulumi.log.info }).info = info;
  }
});

test("item 17: a firewalled registry gets no purge task (ACR Tasks cannot get through), and preview says so, what still expires and how to open it", async () => {
  const logged: string[] = [];
  const info = pulumi.log.info;
  (pulumi.log as { info: typeof pulumi.log.info }).info = async (message: string) => void logged.push(message);
  try {
    new AzureCluster("fw", { region: "eastus", namespace: "mlops", gpuPools: [] });
    await mocks.settle();
    const notes = logged.filter((m) => /ACR Tasks' shared agents/.test(m));
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /keep the newest 30 tags of each repository under mlops\//);
    assert.match(notes[0]!, /networkRuleBypassAllowedForTasks/);
    assert.match(notes[0]!, /Untagged manifests still expire after 7 days/);
    assert.equal(mocks.ofType("azure-native:containerregistry:Registry")[0]!.inputs.networkRuleSet.defaultAction, "Deny");
    assert.deepEqual(mocks.ofType("azure-native:containerregistry:Task"), []);

    logged.length = 0;
    mocks.reset();
    new AzureCluster("open", { region: "eastus", namespace: "mlops", gpuPools: [], allowPublicServiceAccess: true });
    await mocks.settle();
    assert.equal(logged.some((m) => /ACR Tasks/.test(m)), false, "no firewall, nothing to say");
    assert.equal(mocks.ofType("azure-native:containerregistry:Task").length, 1);
  } finally {
    (pulumi.log as { info: typeof pulumi.log.info }).info = info;
  }
});
