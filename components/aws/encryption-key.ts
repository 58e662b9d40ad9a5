import * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/** Arguments for {@link createEncryptionKey}. */
export interface EncryptionKeyArgs {
  /** AWS region of the key. */
  region: string;
  /** Tags on the key. */
  tags: Record<string, string>;
}

/**
 * The customer-managed KMS key that encrypts the cluster's Kubernetes Secrets, the model store
 * bucket and the container registry; yearly rotation on. Its key policy is the default (the
 * account administers it through IAM), so each user of the key gets it from an IAM policy.
 */
export function createEncryptionKey(name: string, args: EncryptionKeyArgs, parent: pulumi.Resource): aws.kms.Key {
  return new aws.kms.Key(
    `${name}-key`,
    {
      description: `pulumi-mlops ${name}: EKS secrets, model store bucket, container registry`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      region: args.region,
      tags: args.tags,
    },
    { parent },
  );
}
