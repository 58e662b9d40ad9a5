import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Key prefix of the runtime's model registry in the bucket (`--registry s3://<bucket>/registry`). */
export const REGISTRY_PREFIX = "registry";

/** Arguments for {@link createModelStoreBucket}. */
export interface ModelStoreBucketArgs {
  /** AWS region. */
  region: string;
  /** Days a model's feedback rows (and their noncurrent versions) are kept. */
  feedbackRetentionDays: number;
  /** Models whose `registry/models/<model>/feedback/` objects expire (S3 lifecycle filters are literal prefixes, no wildcards). */
  feedbackModels: string[];
  /** Delete the bucket with its objects on destroy. */
  forceDestroy: boolean;
  /** KMS key for SSE-KMS. @default - SSE-S3 (AES-256) */
  kmsKeyArn?: pulumi.Input<string>;
  /** Tags on the bucket. */
  tags: Record<string, string>;
}

/** The model store. */
export interface ModelStoreBucket {
  /** The bucket. */
  bucket: aws.s3.Bucket;
  /** `s3://<bucket>/registry`, the runtime's `--registry`. */
  url: pulumi.Output<string>;
}

/** A bucket policy that denies every request not made over TLS. */
export function tlsOnlyPolicy(bucketArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/** The lifecycle rules: expire each listed model's feedback rows and their old versions; abort stale multipart uploads everywhere. */
export function modelStoreLifecycleRules(args: Pick<ModelStoreBucketArgs, "feedbackRetentionDays" | "feedbackModels">): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    { id: "abort-incomplete-uploads", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
    ...args.feedbackModels.map((model) => ({
      id: `expire-feedback-${model}`,
      status: "Enabled",
      filter: { prefix: `${REGISTRY_PREFIX}/models/${model}/feedback/` },
      expiration: { days: args.feedbackRetentionDays },
      noncurrentVersionExpiration: { noncurrentDays: args.feedbackRetentionDays },
    })),
  ];
}

/**
 * The S3 bucket the runtime's model registry lives in: public access blocked (all four
 * settings), owner-enforced object ownership (no ACLs), default encryption with the
 * customer-managed key and an S3 Bucket Key, versioning on, TLS-only bucket policy, and lifecycle
 * rules for old feedback data.
 */
export function createModelStoreBucket(name: string, args: ModelStoreBucketArgs, parent: pulumi.Resource): ModelStoreBucket {
  const opts = { parent };
  const common = { region: args.region };
  const bucket = new aws.s3.Bucket(`${name}-model-store`, { ...common, forceDestroy: args.forceDestroy, tags: args.tags }, opts);
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-model-store`,
    { ...common, bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-model-store`, { ...common, bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-model-store`,
    {
      ...common,
      bucket: bucket.id,
      rules: [
        args.kmsKeyArn === undefined
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true },
      ],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(`${name}-model-store`, { ...common, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  // S3 rejects a bucket policy while the public access block is being applied; order them.
  new aws.s3.BucketPolicy(`${name}-model-store`, { ...common, bucket: bucket.id, policy: tlsOnlyPolicy(bucket.arn) }, { parent, dependsOn: [publicAccess] });
  // Noncurrent-version rules need versioning enabled first.
  new aws.s3.BucketLifecycleConfiguration(`${name}-model-store`, { ...common, bucket: bucket.id, rules: modelStoreLifecycleRules(args) }, { parent, dependsOn: [versioning] });
  return { bucket, url: pulumi.interpolate`s3://${bucket.bucket}/${REGISTRY_PREFIX}` };
}
