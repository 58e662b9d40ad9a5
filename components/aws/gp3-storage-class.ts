import * as k8s from "../kubernetes/sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/** Name of the default StorageClass this component creates. */
export const DEFAULT_STORAGE_CLASS = "gp3";

/** The annotation that makes a StorageClass the one claims without `storageClassName` get. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver (with the
 * customer-managed key when there is one), bound when the first pod is scheduled (so the volume is
 * made in that pod's zone), expandable. A new EKS cluster has no default class, so a claim that
 * names none (Prometheus's) stays Pending without this.
 */
export function createGp3StorageClass(name: string, args: { kmsKeyArn?: pulumi.Input<string> }, opts: { parent: pulumi.Resource; provider: k8s.Provider; dependsOn: pulumi.Resource[] }): k8s.storage.v1.StorageClass {
  return new k8s.storage.v1.StorageClass(
    `${name}-gp3`,
    {
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", ...(args.kmsKeyArn === undefined ? {} : { kmsKeyId: args.kmsKeyArn }) },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: "Delete",
    },
    opts,
  );
}
