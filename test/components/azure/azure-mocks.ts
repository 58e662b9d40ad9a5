import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";

/** Client config the mocked `getClientConfig` answers. */
export const TEST_CLIENT = { clientId: "11111111-1111-1111-1111-111111111111", objectId: "22222222-2222-2222-2222-222222222222", subscriptionId: "33333333-3333-3333-3333-333333333333", tenantId: "44444444-4444-4444-4444-444444444444" };

/** OIDC issuer every mocked AKS cluster reports. */
export const TEST_ISSUER = "https://eastus.oic.prod-aks.azure.com/44444444-4444-4444-4444-444444444444/abc/";

/** Object id of every mocked cluster's kubelet identity. */
export const TEST_KUBELET_OBJECT_ID = "55555555-5555-5555-5555-555555555555";

/** The kubeconfig AKS lists for an Entra ID cluster (device-code kubelogin user). */
export const LISTED_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- name: c-aks",
  "  cluster:",
  "    certificate-authority-data: Q0E=",
  "    server: https://c-abc.privatelink.eastus.azmk8s.io:443",
  "contexts:",
  "- name: c-aks",
  "  context: { cluster: c-aks, user: clusterUser_rg_c-aks }",
  "current-context: c-aks",
  "users:",
  "- name: clusterUser_rg_c-aks",
  "  user:",
  "    exec:",
  "      apiVersion: client.authentication.k8s.io/v1beta1",
  "      command: kubelogin",
  "      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --login, devicecode]",
  "",
].join("\n");

/**
 * Pulumi mocks for the Azure layer: resources get their inputs back plus the outputs Azure would
 * compute (names, ids, identity ids, key URIs, the cluster's OIDC issuer and kubelet identity);
 * `getClientConfig` and the AKS credential list are answered.
 */
export function setupAzureMocks() {
  // Like `mlops synth`: nothing reaches Azure (no token exchange, no readiness polling).
  process.env.PULUMI_MLOPS_SYNTH = "1";
  return setupPulumiMocks({
    cloud: {
      outputs(args: pulumi.runtime.MockResourceArgs, state: Record<string, any>) {
        const i = args.inputs;
        const id = `/subscriptions/${TEST_CLIENT.subscriptionId}/resourceGroups/rg/providers/${args.type}/${args.name}`;
        switch (args.type) {
          case "azure-native:resources:ResourceGroup":
            state.name = `${args.name}-1234`;
            break;
          case "azure-native:managedidentity:UserAssignedIdentity":
            Object.assign(state, { name: args.name, clientId: `${args.name}-client-id`, principalId: `${args.name}-principal-id` });
            break;
          case "azure-native:containerservice:ManagedCluster":
            Object.assign(state, {
              name: args.name,
              fqdn: `${args.name}.hcp.eastus.azmk8s.io`,
              privateFQDN: i.apiServerAccessProfile?.enablePrivateCluster ? `${args.name}.privatelink.eastus.azmk8s.io` : undefined,
              oidcIssuerProfile: { ...i.oidcIssuerProfile, issuerURL: TEST_ISSUER },
              identityProfile: { kubeletidentity: { objectId: TEST_KUBELET_OBJECT_ID, clientId: "kubelet-client", resourceId: "kubelet-id" } },
            });
            break;
          case "azure-native:containerregistry:Registry":
            Object.assign(state, { name: i.registryName, loginServer: `${i.registryName}.azurecr.io` });
            break;
          case "azure-native:storage:StorageAccount":
            state.name = i.accountName;
            break;
          case "azure-native:storage:BlobContainer":
            state.name = i.containerName;
            return `/subscriptions/${TEST_CLIENT.subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/${i.containerName}`;
          case "azure-native:keyvault:Vault":
            Object.assign(state, { name: i.vaultName, properties: { ...i.properties, vaultUri: `https://${i.vaultName}.vault.azure.net/` } });
            break;
          case "azure-native:keyvault:Key":
            Object.assign(state, { name: i.keyName, keyUri: `https://kv.vault.azure.net/keys/${i.keyName}`, keyUriWithVersion: `https://kv.vault.azure.net/keys/${i.keyName}/0123abcd` });
            break;
          default:
            state.name ??= args.name;
        }
        return id;
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "azure-native:authorization:getClientConfig") return { ...TEST_CLIENT };
        if (args.token === "azure-native:authorization:getClientToken") return { token: `token-for-${args.inputs.endpoint ?? "arm"}` };
        if (args.token === "azure-native:keyvault:getKey") return { keyUri: `https://kv.vault.azure.net/keys/${args.inputs.keyName}`, keyUriWithVersion: `https://kv.vault.azure.net/keys/${args.inputs.keyName}/rotated02` };
        if (args.token === "azure-native:containerservice:listManagedClusterUserCredentials") {
          return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(LISTED_KUBECONFIG).toString("base64") }] };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
  });
}
