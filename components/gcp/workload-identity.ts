import * as gcp from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import type { RuntimeServiceAccounts } from "../kubernetes/cluster-handle.ts";

/** What {@link createWorkloadIdentity} needs. */
export interface WorkloadIdentityArgs {
  project: pulumi.Input<string>;
  /** Service account id (6-30 characters). */
  accountId: string;
  /** Runtime namespace. */
  namespace: string;
  /** The runtime's Kubernetes ServiceAccounts; the only principals allowed to act as the Google service account. */
  serviceAccounts: RuntimeServiceAccounts;
  /** The model store bucket the runtime reads and writes. */
  bucket: pulumi.Input<string>;
  /**
   * The GKE cluster with Workload Identity on. The pool `<project>.svc.id.goog` exists only once a
   * cluster with Workload Identity exists in the project; until then, granting its principals
   * fails with "Identity Pool does not exist", so the bindings wait for the cluster.
   */
  cluster: pulumi.Resource;
  /** Resources the account and bindings wait for (the IAM API). */
  dependsOn: pulumi.Resource[];
}

/** The runtime's Google identity. */
export interface WorkloadIdentity {
  serviceAccount: gcp.serviceaccount.Account;
  /** Exact Workload Identity principals trusted, one per runtime ServiceAccount. */
  members: pulumi.Output<string>[];
}

/** The Workload Identity principal of Kubernetes ServiceAccount `ns/sa` in `project`'s pool. */
export function workloadIdentityMember(project: pulumi.Input<string>, namespace: string, serviceAccount: string): pulumi.Output<string> {
  return pulumi.interpolate`serviceAccount:${project}.svc.id.goog[${namespace}/${serviceAccount}]`;
}

/**
 * GKE Workload Identity for the runtime: one Google service account that exactly the serving and
 * retraining Kubernetes ServiceAccounts of the runtime namespace may impersonate
 * (`roles/iam.workloadIdentityUser` on the account, not on the project), with object read, write,
 * list and delete on the model store bucket only. `roles/storage.objectUser` is the predefined role
 * with exactly those object permissions; `objectAdmin` would add object IAM and retention control.
 * The Workload Identity bindings are created after the cluster (see {@link WorkloadIdentityArgs.cluster}).
 */
export function createWorkloadIdentity(name: string, parent: pulumi.Resource, args: WorkloadIdentityArgs): WorkloadIdentity {
  const serviceAccount = new gcp.serviceaccount.Account(
    `${name}-runtime`,
    { project: args.project, accountId: args.accountId, displayName: "pulumi-mlops runtime", description: `Workload Identity of ${args.namespace}/{${args.serviceAccounts.serving},${args.serviceAccounts.retraining}}` },
    { parent, dependsOn: args.dependsOn },
  );
  const members = [args.serviceAccounts.serving, args.serviceAccounts.retraining].map((ksa) => {
    const member = workloadIdentityMember(args.project, args.namespace, ksa);
    new gcp.serviceaccount.IAMMember(`${name}-wi-${ksa}`, { serviceAccountId: serviceAccount.name, role: "roles/iam.workloadIdentityUser", member }, { parent, dependsOn: [...args.dependsOn, args.cluster] });
    return member;
  });
  new gcp.storage.BucketIAMMember(`${name}-runtime-objects`, { bucket: args.bucket, role: "roles/storage.objectUser", member: serviceAccount.member }, { parent, dependsOn: args.dependsOn });
  return { serviceAccount, members };
}
