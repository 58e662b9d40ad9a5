import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { globalName } from "./azure-names.ts";
import { AZURE_ROLES, roleDefinitionId } from "./role-definitions.ts";

/** Key prefix of the runtime's registry inside the container (the `az://` URL's path). */
export const REGISTRY_PREFIX = "registry";

/** Inputs of {@link createModelStore}. */
export interface ModelStoreArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  subscriptionId: pulumi.Input<string>;
  containerName: string;
  /** Days feedback blobs of `feedbackModels` are kept. */
  feedbackRetentionDays: number;
  /** Models whose `registry/models/<model>/feedback/` blobs expire (lifecycle prefixes cannot wildcard the model). */
  feedbackModels: string[];
  /** Days a previous version of any registry blob is kept after it was replaced or deleted. */
  noncurrentVersionRetentionDays: number;
  /** Days deleted blobs and containers stay recoverable. */
  softDeleteDays: number;
  /** Subnets (service endpoint) and CIDRs allowed through the account firewall. */
  allowedSubnetIds: pulumi.Input<string>[];
  allowedCidrs: string[];
  /** Let any address reach the account (still Entra ID only); otherwise the firewall denies all but the rules. */
  publicNetworkAccess: boolean;
  /** Object id of the principal running Pulumi, granted Storage Blob Data Contributor on the container (`mlops train --registry az://...` from the operator's machine). */
  operatorPrincipalId: pulumi.Input<string>;
  highAvailability: boolean;
  /** Destroying the stack deletes the account and every model in it; otherwise the account is protected. */
  forceDestroy: boolean;
  /** Customer-managed key (versionless: the account follows rotations) and the identity that unwraps with it. */
  cmk?: { keyName: pulumi.Input<string>; vaultUri: pulumi.Input<string>; identityId: pulumi.Input<string>; grant: pulumi.Resource };
  tags: Record<string, string>;
}

/** What {@link createModelStore} hands back. */
export interface ModelStore {
  account: azure.storage.StorageAccount;
  container: azure.storage.BlobContainer;
  /** `az://<account>/<container>/registry`. */
  url: pulumi.Output<string>;
}

/** Lifecycle rules of the model store: feedback of each listed model expires, and so do old versions of every registry blob. */
export function modelStoreLifecycleRules(args: Pick<ModelStoreArgs, "containerName" | "feedbackModels" | "feedbackRetentionDays" | "noncurrentVersionRetentionDays">) {
  const rules = [];
  if (args.feedbackModels.length > 0) {
    rules.push({
      name: "expire-feedback",
      enabled: true,
      type: "Lifecycle",
      definition: {
        filters: { blobTypes: ["blockBlob"], prefixMatch: args.feedbackModels.map((m) => `${args.containerName}/${REGISTRY_PREFIX}/models/${m}/feedback/`) },
        actions: {
          baseBlob: { delete: { daysAfterModificationGreaterThan: args.feedbackRetentionDays } },
          version: { delete: { daysAfterCreationGreaterThan: args.feedbackRetentionDays } },
        },
      },
    });
  }
  rules.push({
    name: "expire-noncurrent-versions",
    enabled: true,
    type: "Lifecycle",
    definition: {
      filters: { blobTypes: ["blockBlob"], prefixMatch: [`${args.containerName}/${REGISTRY_PREFIX}/`] },
      actions: { version: { delete: { daysAfterCreationGreaterThan: args.noncurrentVersionRetentionDays } } },
    },
  });
  return rules;
}

/**
 * The model store: a StorageV2 account with anonymous access, shared keys and local users off
 * (Entra ID only), HTTPS and TLS 1.2+ only, infrastructure (double) encryption, the customer-managed
 * key when given, a firewall admitting only the node subnet and `allowedCidrs` (plus trusted Azure
 * services), zone-redundant with `highAvailability`; blob versioning and soft delete on; one private
 * container; lifecycle rules for old feedback and replaced versions.
 */
export function createModelStore(name: string, parent: pulumi.Resource, args: ModelStoreArgs): ModelStore {
  const opts = { parent };
  const account = new azure.storage.StorageAccount(
    `${name}-models`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      // Storage account names are global (3-24 lowercase letters and digits).
      accountName: globalName({ subscriptionId: args.subscriptionId, component: name, role: "models", prefix: "mlops", maxLength: 24 }),
      kind: "StorageV2",
      sku: { name: args.highAvailability ? "Standard_ZRS" : "Standard_LRS" },
      accessTier: "Hot",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      isLocalUserEnabled: false,
      isSftpEnabled: false,
      allowCrossTenantReplication: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      publicNetworkAccess: "Enabled",
      networkRuleSet: {
        defaultAction: args.publicNetworkAccess ? "Allow" : "Deny",
        bypass: "AzureServices",
        virtualNetworkRules: args.allowedSubnetIds.map((id) => ({ virtualNetworkResourceId: id, action: "Allow" })),
        ipRules: args.allowedCidrs.map((cidr) => ({ iPAddressOrRange: cidr.replace(/\/32$/, ""), action: "Allow" })),
      },
      ...(args.cmk === undefined
        ? { encryption: { keySource: "Microsoft.Storage", requireInfrastructureEncryption: true, services: { blob: { enabled: true, keyType: "Account" } } } }
        : {
            identity: { type: "UserAssigned", userAssignedIdentities: [args.cmk.identityId] },
            encryption: {
              keySource: "Microsoft.Keyvault",
              keyVaultProperties: { keyName: args.cmk.keyName, keyVaultUri: args.cmk.vaultUri },
              encryptionIdentity: { encryptionUserAssignedIdentity: args.cmk.identityId },
              requireInfrastructureEncryption: true,
              services: { blob: { enabled: true, keyType: "Account" } },
            },
          }),
      tags: args.tags,
    },
    { ...opts, protect: !args.forceDestroy, dependsOn: args.cmk === undefined ? [] : [args.cmk.grant] },
  );
  new azure.storage.BlobServiceProperties(
    `${name}-blob-service`,
    {
      resourceGroupName: args.resourceGroupName,
      accountName: account.name,
      blobServicesName: "default",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: args.softDeleteDays },
      containerDeleteRetentionPolicy: { enabled: true, days: args.softDeleteDays },
    },
    opts,
  );
  const container = new azure.storage.BlobContainer(
    `${name}-models-container`,
    { resourceGroupName: args.resourceGroupName, accountName: account.name, containerName: args.containerName, publicAccess: "None" },
    opts,
  );
  new azure.authorization.RoleAssignment(
    `${name}-models-operator-access`,
    { scope: container.id, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.storageBlobDataContributor), principalId: args.operatorPrincipalId },
    opts,
  );
  new azure.storage.ManagementPolicy(
    `${name}-models-lifecycle`,
    { resourceGroupName: args.resourceGroupName, accountName: account.name, managementPolicyName: "default", policy: { rules: modelStoreLifecycleRules(args) } },
    opts,
  );
  return { account, container, url: pulumi.interpolate`az://${account.name}/${container.name}/${REGISTRY_PREFIX}` };
}
