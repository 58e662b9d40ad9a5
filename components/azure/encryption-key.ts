import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { globalName } from "./azure-names.ts";
import { AZURE_ROLES, roleDefinitionId } from "./role-definitions.ts";

/** Inputs of {@link createEncryptionKey}. */
export interface EncryptionKeyArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  tenantId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** A new key version is made this many days after the current one was created. */
  rotationDays: number;
  /** Days a deleted vault (and its name) stays recoverable. */
  softDeleteDays: number;
  tags: Record<string, string>;
}

/** What {@link createEncryptionKey} hands back. */
export interface EncryptionKey {
  vault: azure.keyvault.Vault;
  key: azure.keyvault.Key;
  /** Versionless key URI: storage and registry follow rotations by themselves. */
  keyUri: pulumi.Output<string>;
  /** Key URI with its version, which AKS KMS requires. */
  keyUriWithVersion: pulumi.Output<string>;
  /** User-assigned identity the model store and registry unwrap their data keys with. */
  identity: azure.managedidentity.UserAssignedIdentity;
  /** Grants of the key to {@link identity}; resources using the key wait for it. */
  grant: azure.authorization.RoleAssignment;
}

/**
 * The customer-managed key of the environment: an RBAC-only Key Vault with purge protection (Azure
 * requires it for storage and registry CMKs), an RSA-3072 key rotated every `rotationDays`, and a
 * user-assigned identity allowed to wrap/unwrap with that one key (Key Vault Crypto Service
 * Encryption User, scoped to the key).
 */
export function createEncryptionKey(name: string, parent: pulumi.Resource, args: EncryptionKeyArgs): EncryptionKey {
  const opts = { parent };
  const vault = new azure.keyvault.Vault(
    `${name}-kv`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      // Vault names are global DNS labels (3-24 characters, starting with a letter).
      vaultName: globalName({ subscriptionId: args.subscriptionId, component: name, role: "kv", prefix: "kv", maxLength: 24 }),
      properties: {
        tenantId: args.tenantId,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: args.softDeleteDays,
        enablePurgeProtection: true,
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        // AKS KMS in "Public" key-vault mode, storage and registry reach the vault over its public
        // endpoint; RBAC on the key is what guards it.
        publicNetworkAccess: "Enabled",
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
      },
      tags: args.tags,
    },
    opts,
  );
  const key = new azure.keyvault.Key(
    `${name}-cmk`,
    {
      resourceGroupName: args.resourceGroupName,
      vaultName: vault.name,
      keyName: "mlops-cmk",
      properties: {
        kty: "RSA",
        keySize: 3072,
        keyOps: ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
        rotationPolicy: {
          attributes: { expiryTime: `P${Math.max(2 * args.rotationDays, 28)}D` },
          lifetimeActions: [{ action: { type: "rotate" }, trigger: { timeAfterCreate: `P${args.rotationDays}D` } }],
        },
      },
      tags: args.tags,
    },
    opts,
  );
  const identity = new azure.managedidentity.UserAssignedIdentity(`${name}-cmk-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags }, opts);
  const grant = new azure.authorization.RoleAssignment(
    `${name}-cmk-grant`,
    {
      scope: key.id,
      roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.keyVaultCryptoServiceEncryptionUser),
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
    },
    opts,
  );
  return { vault, key, keyUri: key.keyUri, keyUriWithVersion: key.keyUriWithVersion, identity, grant };
}
