// What `pulumi-mlops synth` pretends Azure computes and answers (see platform/cloud-module.ts CloudSynth).
import type { CloudSynth } from "../platform/cloud-module.ts";

/** The subscription synth pretends to deploy into. */
const SYNTH_AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000003";

export const azureSynth: CloudSynth = {
  prefix: "azure-native:",
  outputs: (type, name, inputs) => azureOutputs(type, name, inputs),
  invokes: {
    "azure-native:authorization:getClientConfig": "fixed client, object, subscription and tenant ids",
    "azure-native:containerservice:listManagedClusterUserCredentials": "a base64 kubeconfig for https://synth.invalid (AKS user credentials)",
    "azure-native:authorization:getClientToken": "a fake Entra ID token for the requested endpoint",
    "azure-native:keyvault:getKey": "the key's URIs, version synth0002 (the current version after a rotation)",
  },
  call(token, inputs) {
    switch (token) {
      case "azure-native:authorization:getClientConfig":
        return { clientId: "00000000-0000-0000-0000-000000000001", objectId: "00000000-0000-0000-0000-000000000002", subscriptionId: SYNTH_AZURE_SUBSCRIPTION, tenantId: "00000000-0000-0000-0000-000000000004" };
      case "azure-native:containerservice:listManagedClusterUserCredentials": {
        const kubeconfig = [
          "apiVersion: v1",
          "kind: Config",
          "clusters: [{ name: synth, cluster: { server: \"https://synth.invalid\" } }]",
          "contexts: [{ name: synth, context: { cluster: synth, user: synth } }]",
          "current-context: synth",
          "users: [{ name: synth, user: { token: synth } }]",
          "",
        ].join("\n");
        return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
      }
      case "azure-native:authorization:getClientToken":
        return { token: `synth-token-for-${String(inputs.endpoint ?? "arm")}` };
      case "azure-native:keyvault:getKey": {
        const uri = `https://${String(inputs.vaultName)}.vault.azure.net/keys/${String(inputs.keyName)}`;
        return { name: inputs.keyName, keyUri: uri, keyUriWithVersion: `${uri}/synth0002`, id: uri, type: "Microsoft.KeyVault/vaults/keys", kty: "RSA" };
      }
    }
    return undefined;
  },
};

function azureOutputs(type: string, name: string, i: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  switch (type) {
    case "azure-native:resources:ResourceGroup":
      out.name = i.resourceGroupName ?? `${name}-synth`;
      break;
    case "azure-native:managedidentity:UserAssignedIdentity":
      Object.assign(out, { name: i.resourceName ?? name, clientId: `${name}-synth-client-id`, principalId: `${name}-synth-principal-id` });
      break;
    case "azure-native:containerservice:ManagedCluster":
      Object.assign(out, {
        name: i.resourceName ?? name,
        fqdn: `${name}.hcp.${i.location ?? "eastus"}.azmk8s.io`,
        oidcIssuerProfile: { ...i.oidcIssuerProfile, issuerURL: `https://${i.location ?? "eastus"}.oic.prod-aks.azure.com/synth/${name}/` },
        identityProfile: { kubeletidentity: { objectId: `${name}-kubelet-object-id`, clientId: `${name}-kubelet-client-id`, resourceId: `${name}-kubelet` } },
      });
      break;
    case "azure-native:containerregistry:Registry":
      Object.assign(out, { name: i.registryName ?? name, loginServer: `${i.registryName ?? name}.azurecr.io` });
      break;
    case "azure-native:storage:StorageAccount":
      out.name = i.accountName ?? name;
      break;
    case "azure-native:storage:BlobContainer":
      out.name = i.containerName ?? name;
      break;
    case "azure-native:keyvault:Vault":
      Object.assign(out, { name: i.vaultName ?? name, properties: { ...i.properties, vaultUri: `https://${i.vaultName ?? name}.vault.azure.net/` } });
      break;
    case "azure-native:keyvault:Key":
      Object.assign(out, { name: i.keyName ?? name, keyUri: `https://synth.vault.azure.net/keys/${i.keyName ?? name}`, keyUriWithVersion: `https://synth.vault.azure.net/keys/${i.keyName ?? name}/0123abcd` });
      break;
    default:
      out.name = i.name ?? name;
  }
  out.id = `/subscriptions/${SYNTH_AZURE_SUBSCRIPTION}/resourceGroups/synth/providers/${type}/${name}`;
  return out;
}
