import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { globalName } from "./azure-names.ts";
import { AZURE_ROLES, roleDefinitionId } from "./role-definitions.ts";

/** Inputs of {@link createContainerRegistry}. */
export interface ContainerRegistryArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  subscriptionId: pulumi.Input<string>;
  sku: "Standard" | "Premium";
  /** Repository prefix images live under (`<login server>/<prefix>/...`). */
  repositoryPrefix: string;
  /** Tagged images kept per repository under the prefix; older ones are purged daily. */
  keepImages: number;
  /** Days untagged manifests are kept (Premium only). */
  untaggedRetentionDays: number;
  highAvailability: boolean;
  /** Customer-managed key (versionless URI) and the identity that may unwrap with it; Premium only. */
  cmk?: { keyUri: pulumi.Input<string>; identityId: pulumi.Input<string>; identityClientId: pulumi.Input<string>; grant: pulumi.Resource };
  /** Object id of the cluster's kubelet identity, granted AcrPull on this registry only. */
  kubeletObjectId: pulumi.Input<string>;
  /** Object id of the principal running Pulumi, granted AcrPush on this registry (the runtime image push). */
  pushPrincipalId: pulumi.Input<string>;
  /** Let any address reach the registry (still authenticated); otherwise only `allowedCidrs` (Premium firewall). */
  publicNetworkAccess: boolean;
  /** Public addresses the firewall admits: the nodes' egress IP, the operators' ranges. */
  allowedCidrs: pulumi.Input<string>[];
  tags: Record<string, string>;
}

/** What {@link createContainerRegistry} hands back. */
export interface ContainerRegistry {
  registry: azure.containerregistry.Registry;
  /** `<name>.azurecr.io/<prefix>`. */
  url: pulumi.Output<string>;
  /** AcrPush of the principal running Pulumi; the image push waits for it. */
  pushGrant: azure.authorization.RoleAssignment;
}

/** The ACR Task script that keeps the newest `keep` tags of every repository under `prefix` and removes untagged manifests. */
export function purgeTaskYaml(prefix: string, keep: number): string {
  const filter = `${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/.*:.*`;
  return [
    "version: v1.1.0",
    "steps:",
    `  - cmd: acr purge --filter '${filter}' --ago 0d --keep ${keep} --untagged`,
    "    disableWorkingDirectoryOverride: true",
    "    timeout: 3600",
    "",
  ].join("\n");
}

/**
 * Said at preview when the registry firewall is on: ACR Tasks run on shared agents outside the
 * firewall, and since 1 June 2025 a network-restricted registry admits them only when it sets
 * `networkRuleBypassAllowedForTasks` (learn.microsoft.com/azure/container-registry/manage-network-bypass-policy-for-tasks),
 * which pulumi-azure-native 3.28's Registry cannot set; a dedicated agent pool in the VNet is the
 * other way, at the price of always-on agents.
 */
export function purgeTaskFirewallNote(prefix: string, keep: number, untaggedDays: number): string {
  return (
    `The registry firewall also refuses ACR Tasks' shared agents, so no daily purge task is created (it would keep the newest ${keep} tags of each repository under ${prefix}/): ` +
    `the registry setting networkRuleBypassAllowedForTasks that would let it in cannot be set through pulumi-azure-native 3.28. ` +
    `Untagged manifests still expire after ${untaggedDays} days (retention policy); older tags stay until removed from an admitted address ` +
    `(az acr repository show-tags / az acr repository delete), or set azure.allowPublicServiceAccess: true to open the registry (Entra ID authentication still applies).`
  );
}

/**
 * A private Azure Container Registry: no admin user, no anonymous pull, images encrypted with the
 * customer-managed key (Premium), untagged manifests expire (Premium retention policy), a daily ACR
 * Task purges all but the newest `keepImages` tags per repository (only without the firewall: see
 * {@link purgeTaskFirewallNote}), zone-redundant with
 * `highAvailability`, a firewall admitting only `allowedCidrs` (Premium) unless `publicNetworkAccess`,
 * AcrPull for the cluster's kubelet identity and AcrPush for the principal running Pulumi, on this registry only.
 * Vulnerability scanning of ACR images is Microsoft Defender for Containers, a subscription-level
 * plan (see `registry.defenderForContainers`); ACR has no registry-wide immutable-tag setting
 * (tags are locked per repository or image through the data plane), so none is set here.
 */
export function createContainerRegistry(name: string, parent: pulumi.Resource, args: ContainerRegistryArgs): ContainerRegistry {
  const opts = { parent };
  const premium = args.sku === "Premium";
  const registry = new azure.containerregistry.Registry(
    `${name}-acr`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      // Registry names are global (5-50 letters and digits).
      registryName: globalName({ subscriptionId: args.subscriptionId, component: name, role: "acr", prefix: "mlops", maxLength: 29 }),
      sku: { name: args.sku },
      adminUserEnabled: false,
      anonymousPullEnabled: false,
      // The firewall (Premium): the node egress IP pulls, the operators' ranges push; Standard
      // registries have no firewall, so only an explicit publicNetworkAccess opt-in allows them.
      publicNetworkAccess: "Enabled",
      networkRuleBypassOptions: "AzureServices",
      ...(premium && !args.publicNetworkAccess
        ? { networkRuleSet: { defaultAction: "Deny", ipRules: args.allowedCidrs.map((c) => ({ action: "Allow", iPAddressOrRange: c })) } }
        : {}),
      zoneRedundancy: premium && args.highAvailability ? "Enabled" : "Disabled",
      policies: premium ? { retentionPolicy: { status: "enabled", days: args.untaggedRetentionDays } } : undefined,
      ...(args.cmk === undefined
        ? {}
        : {
            identity: { type: "UserAssigned", userAssignedIdentities: pulumi.output(args.cmk.identityId).apply((id) => ({ [id]: {} })) },
            encryption: { status: "enabled", keyVaultProperties: { keyIdentifier: args.cmk.keyUri, identity: args.cmk.identityClientId } },
          }),
      tags: args.tags,
    },
    { ...opts, dependsOn: args.cmk === undefined ? [] : [args.cmk.grant] },
  );
  const firewalled = premium && !args.publicNetworkAccess;
  if (firewalled) void pulumi.log.info(purgeTaskFirewallNote(args.repositoryPrefix, args.keepImages, args.untaggedRetentionDays), parent);
  // A task the firewall refuses would only fail every night.
  if (!firewalled) new azure.containerregistry.Task(
    `${name}-acr-purge`,
    {
      resourceGroupName: args.resourceGroupName,
      registryName: registry.name,
      location: args.location,
      platform: { os: "Linux", architecture: "amd64" },
      agentConfiguration: { cpu: 2 },
      status: "Enabled",
      timeout: 3600,
      step: { type: "EncodedTask", encodedTaskContent: Buffer.from(purgeTaskYaml(args.repositoryPrefix, args.keepImages)).toString("base64") },
      trigger: { timerTriggers: [{ name: "daily", schedule: "0 3 * * *", status: "Enabled" }] },
      tags: args.tags,
    },
    opts,
  );
  new azure.authorization.RoleAssignment(
    `${name}-acr-pull`,
    { scope: registry.id, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.acrPull), principalId: args.kubeletObjectId, principalType: "ServicePrincipal" },
    opts,
  );
  const pushGrant = new azure.authorization.RoleAssignment(
    `${name}-acr-push`,
    { scope: registry.id, roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.acrPush), principalId: args.pushPrincipalId },
    opts,
  );
  return { registry, url: pulumi.interpolate`${registry.loginServer}/${args.repositoryPrefix}`, pushGrant };
}
