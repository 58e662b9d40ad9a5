import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Google APIs a GcpCluster uses, by the short name its `gcp.projects.Service` is named after. A new
 * project has only a handful on (Service Usage, Cloud Storage, Logging, Monitoring, ...), so
 * creating anything else first fails with SERVICE_DISABLED.
 */
export const GCP_CLUSTER_APIS = Object.freeze({
  /** `getProject` (the project number in the service agents' emails) and project IAM bindings. */
  cloudresourcemanager: "cloudresourcemanager.googleapis.com",
  /** The VPC, subnet, router, NAT and the node VMs. */
  compute: "compute.googleapis.com",
  /** GKE; enabling it creates the GKE service agent the KMS key is granted to. */
  container: "container.googleapis.com",
  /** Service accounts and their IAM bindings. */
  iam: "iam.googleapis.com",
  /** The GKE metadata server mints the runtime's Workload Identity tokens through it. */
  iamcredentials: "iamcredentials.googleapis.com",
  /** The image repository. */
  artifactregistry: "artifactregistry.googleapis.com",
  /** The model store (on by default; enabled explicitly for projects that turned it off). */
  storage: "storage.googleapis.com",
  /** The customer-managed key (only with `encryption.customerManagedKey`). */
  cloudkms: "cloudkms.googleapis.com",
  /** Vulnerability scanning of pushed images (only with `registry.scanning`; billed per image). */
  containerscanning: "containerscanning.googleapis.com",
});

/** Short name of one of {@link GCP_CLUSTER_APIS}. */
export type GcpClusterApi = keyof typeof GCP_CLUSTER_APIS;

/**
 * Enables `apis` on `project`, one `gcp.projects.Service` each (`${name}-<api>`), never disabled
 * on destroy (other workloads of the project may use them) and never disabling services that
 * depend on them. Everything the cluster creates waits for these. Service Usage itself
 * (serviceusage.googleapis.com, on in every new project) must be on for this to work.
 */
export function enableProjectServices(name: string, parent: pulumi.Resource, project: pulumi.Input<string>, apis: readonly GcpClusterApi[]): gcp.projects.Service[] {
  return apis.map(
    (api) => new gcp.projects.Service(`${name}-${api}`, { project, service: GCP_CLUSTER_APIS[api], disableOnDestroy: false, disableDependentServices: false }, { parent }),
  );
}
