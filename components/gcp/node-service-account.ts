import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/** What {@link createNodeServiceAccount} needs. */
export interface NodeServiceAccountArgs {
  project: pulumi.Input<string>;
  /** Service account id (6-30 characters). */
  accountId: string;
  /** Resources the account and its binding wait for (the IAM and Resource Manager APIs). */
  dependsOn: pulumi.Resource[];
}

/**
 * A dedicated least-privilege Google service account for the cluster's nodes, instead of the
 * Compute Engine default account (project Editor in many projects): only
 * `roles/container.defaultNodeServiceAccount` on the project (logs, metrics, autoscaling metadata).
 * Image pulls are granted per repository with {@link grantRegistryRead}.
 */
export function createNodeServiceAccount(name: string, parent: pulumi.Resource, args: NodeServiceAccountArgs): gcp.serviceaccount.Account {
  const account = new gcp.serviceaccount.Account(`${name}-nodes`, { project: args.project, accountId: args.accountId, displayName: "pulumi-mlops GKE nodes" }, { parent, dependsOn: args.dependsOn });
  new gcp.projects.IAMMember(`${name}-nodes-default`, { project: args.project, role: "roles/container.defaultNodeServiceAccount", member: account.member }, { parent, dependsOn: args.dependsOn });
  return account;
}

/** Lets `member` pull from one Artifact Registry repository (reader on that repository only). */
export function grantRegistryRead(name: string, parent: pulumi.Resource, repository: gcp.artifactregistry.Repository, member: pulumi.Input<string>): gcp.artifactregistry.RepositoryIamMember {
  return new gcp.artifactregistry.RepositoryIamMember(
    `${name}-nodes-pull`,
    { project: repository.project, location: repository.location, repository: repository.repositoryId, role: "roles/artifactregistry.reader", member },
    { parent },
  );
}
