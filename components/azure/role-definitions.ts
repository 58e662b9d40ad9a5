import * as pulumi from "@pulumi/pulumi";

/** Built-in Azure role definition ids (the same GUIDs in every tenant) the cloud layer assigns. */
export const AZURE_ROLES = Object.freeze({
  /** Pull images from a registry (cluster kubelet identity). */
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  /** Push and pull images (the principal running Pulumi pushes the runtime image). */
  acrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  /** Read, write, list and delete blobs (runtime identity, on one container). */
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  /** Encrypt and decrypt with Key Vault keys (AKS KMS for secrets). */
  keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
  /** Read keys and wrap/unwrap with them (storage and registry customer-managed keys). */
  keyVaultCryptoServiceEncryptionUser: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
  /** Join the node subnet (cluster control-plane identity). */
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  /** Full Kubernetes access through Azure RBAC (the principal deploying the platform). */
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
});

/** The full resource id of a built-in role in a subscription, as a RoleAssignment wants it. */
export function roleDefinitionId(subscriptionId: pulumi.Input<string>, roleGuid: string): pulumi.Output<string> {
  return pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}
