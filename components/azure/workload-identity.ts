import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { RUNTIME_SERVICE_ACCOUNTS, type RuntimeServiceAccounts } from "../kubernetes/cluster-handle.ts";
import { AZURE_ROLES, roleDefinitionId } from "./role-definitions.ts";

/** Audience Azure AD (Entra ID) expects in federated Kubernetes tokens. */
export const AZURE_FEDERATION_AUDIENCE = "api://AzureADTokenExchange";

/** Inputs of {@link createWorkloadIdentity}. */
export interface WorkloadIdentityArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  subscriptionId: pulumi.Input<string>;
  /** The cluster's OIDC issuer URL. */
  issuerUrl: pulumi.Input<string>;
  /** Runtime namespace. */
  namespace: string;
  /** Resource id of the one blob container the runtime may use. */
  containerId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** What {@link createWorkloadIdentity} hands back. */
export interface WorkloadIdentity {
  identity: azure.managedidentity.UserAssignedIdentity;
  /** `system:serviceaccount:<ns>:<sa>` of each trusted ServiceAccount. */
  subjects: string[];
}

/** The federated-credential subject of a Kubernetes ServiceAccount. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * Azure Workload Identity for the runtime: a user-assigned identity federated with exactly the
 * serving and retraining ServiceAccounts of the runtime namespace (one credential each, issuer =
 * the cluster's OIDC issuer), holding Storage Blob Data Contributor on the one model container
 * and nothing else.
 */
export function createWorkloadIdentity(name: string, parent: pulumi.Resource, args: WorkloadIdentityArgs, serviceAccounts: RuntimeServiceAccounts = RUNTIME_SERVICE_ACCOUNTS): WorkloadIdentity {
  const opts = { parent };
  const identity = new azure.managedidentity.UserAssignedIdentity(`${name}-runtime-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags }, opts);
  const subjects: string[] = [];
  let previous: pulumi.Resource | undefined;
  for (const [role, sa] of [["serving", serviceAccounts.serving], ["retraining", serviceAccounts.retraining]] as const) {
    const subject = serviceAccountSubject(args.namespace, sa);
    subjects.push(subject);
    previous = new azure.managedidentity.FederatedIdentityCredential(
      `${name}-runtime-${role}`,
      {
        resourceGroupName: args.resourceGroupName,
        resourceName: identity.name,
        federatedIdentityCredentialResourceName: `${sa}`,
        issuer: args.issuerUrl,
        subject,
        audiences: [AZURE_FEDERATION_AUDIENCE],
      },
      // Azure rejects concurrent writes of federated credentials on one identity.
      { ...opts, dependsOn: previous === undefined ? [] : [previous] },
    );
  }
  new azure.authorization.RoleAssignment(
    `${name}-runtime-blob-access`,
    {
      scope: args.containerId,
      roleDefinitionId: roleDefinitionId(args.subscriptionId, AZURE_ROLES.storageBlobDataContributor),
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
    },
    opts,
  );
  return { identity, subjects };
}
