import * as gcp from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Prefix of the runtime's model registry inside the bucket (`--registry gs://<bucket>/registry`). */
export const MODEL_STORE_PREFIX = "registry";

/** What {@link createModelStoreBucket} needs. */
export interface ModelStoreBucketArgs {
  project: pulumi.Input<string>;
  /** Bucket location (the cluster's region keeps traffic in-region and lets the regional key apply). */
  location: string;
  /** Days live-traffic feedback objects are kept. */
  feedbackRetentionDays: number;
  /** Days an overwritten or deleted object's old generation is kept. */
  noncurrentRetentionDays: number;
  /** Delete the bucket even when it holds objects. */
  forceDestroy: boolean;
  /** CMEK for new objects; the Cloud Storage service agent must be granted it first. */
  kmsKeyName?: pulumi.Input<string>;
  /** Resources the bucket waits for (the enabled APIs, the key grant). */
  dependsOn: pulumi.Resource[];
  labels: Record<string, string>;
}

/** The model store bucket. */
export interface ModelStoreBucket {
  bucket: gcp.storage.Bucket;
  /** `gs://<bucket>/registry`: the runtime's `--registry`. */
  url: pulumi.Output<string>;
}

/**
 * A private GCS bucket for the model registry: uniform bucket-level access (IAM only, no ACLs),
 * public access prevention enforced, versioning on, CMEK when a key is given, and lifecycle rules
 * that delete feedback data (`registry/models/<model>/feedback/*.jsonl`) after `feedbackRetentionDays`
 * and noncurrent generations after `noncurrentRetentionDays`. Cloud Storage serves its JSON and
 * XML APIs over HTTPS only, so there is no plaintext endpoint to turn off (unlike S3's
 * `aws:SecureTransport` policy).
 */
export function createModelStoreBucket(name: string, parent: pulumi.Resource, args: ModelStoreBucketArgs): ModelStoreBucket {
  const bucket = new gcp.storage.Bucket(
    `${name}-models`,
    {
      project: args.project,
      location: args.location.toUpperCase(),
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: args.forceDestroy,
      encryption: args.kmsKeyName === undefined ? undefined : { defaultKmsKeyName: args.kmsKeyName },
      lifecycleRules: [
        {
          // Lifecycle prefixes are literal (no `models/*/feedback/`); feedback flushes are the only
          // `.jsonl` objects the runtime writes under `models/`, and the conditions AND together.
          action: { type: "Delete" },
          condition: { age: args.feedbackRetentionDays, matchesPrefixes: [`${MODEL_STORE_PREFIX}/models/`], matchesSuffixes: [".jsonl"], withState: "LIVE" },
        },
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: args.noncurrentRetentionDays, withState: "ARCHIVED" } },
        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 7 } },
      ],
      labels: args.labels,
    },
    { parent, dependsOn: args.dependsOn },
  );
  return { bucket, url: pulumi.interpolate`gs://${bucket.name}/${MODEL_STORE_PREFIX}` };
}
