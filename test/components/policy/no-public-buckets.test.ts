import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies, formatViolations, type PolicyInputResource } from "../../../components/policy/index.ts";

const run = (resources: PolicyInputResource[]) => evaluatePolicies(resources).filter((v) => v.policy === "no-public-buckets");
const messages = (resources: PolicyInputResource[]) => run(resources).map((v) => v.message);

const fullBlock = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
const s3 = (extra: Record<string, unknown> = {}): PolicyInputResource[] => [
  { type: "mlops:aws:ObjectStore", name: "store", inputs: {} },
  { type: "aws:s3/bucket:Bucket", name: "models", parent: "store", inputs: { forceDestroy: false, ...extra } },
  { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "models-pab", parent: "store", inputs: { bucket: "models-id", ...fullBlock } },
];

describe("no-public-buckets on AWS", () => {
  it("passes a bucket whose public access block (bucket = the synth id) sets all four flags", () => {
    assert.deepEqual(run(s3()), [], formatViolations(run(s3())));
  });

  it("matches the access block by the bucket's physical name after pulumi up", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:s3/bucket:Bucket", name: "models", inputs: { bucket: "models-3f2a1b" } },
      { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "pab", inputs: { bucket: "models-3f2a1b", ...fullBlock } },
    ];
    assert.deepEqual(run(resources), []);
  });

  it("falls back to the one bucket under the same parent when synth recorded no bucket reference", () => {
    const [store, bucket, block] = s3();
    assert.deepEqual(run([store!, bucket!, { ...block!, inputs: { ...fullBlock } }]), []);
  });

  it("accepts the legacy BucketV2 type and an account-wide public access block", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:s3/bucketV2:BucketV2", name: "legacy", inputs: {} },
      { type: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", name: "account", inputs: fullBlock },
    ];
    assert.deepEqual(run(resources), []);
  });

  it("fails a bucket no public access block refers to", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:s3/bucket:Bucket", name: "models", inputs: {} },
      { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "other-pab", inputs: { bucket: "other-id", ...fullBlock } },
    ];
    assert.deepEqual(messages(resources), [
      'aws:s3/bucket:Bucket "models": no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock refers to it; add one with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true',
    ]);
    assert.equal(run(resources)[0]!.resource, "models");
  });

  it("fails an access block with a flag off", () => {
    const [store, bucket, block] = s3();
    assert.deepEqual(messages([store!, bucket!, { ...block!, inputs: { ...block!.inputs, restrictPublicBuckets: false } }]), [
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock "models-pab": restrictPublicBuckets is false; all four public access block flags must be true',
    ]);
  });

  it("fails public canned ACLs on the bucket and on a BucketAcl, and AllUsers grants", () => {
    const resources: PolicyInputResource[] = [
      ...s3({ acl: "public-read" }),
      { type: "aws:s3/bucketAcl:BucketAcl", name: "acl", inputs: { bucket: "models-id", acl: "public-read-write" } },
      {
        type: "aws:s3/bucketAclV2:BucketAclV2",
        name: "grants",
        inputs: { bucket: "models-id", accessControlPolicy: { owner: { id: "me" }, grants: [{ permission: "READ", grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" } }] } },
      },
    ];
    assert.deepEqual(messages(resources), [
      'aws:s3/bucket:Bucket "models": acl is "public-read"; S3 ACLs must not grant access to everyone',
      'aws:s3/bucketAcl:BucketAcl "acl": acl is "public-read-write"; S3 ACLs must not grant access to everyone',
      'aws:s3/bucketAclV2:BucketAclV2 "grants": accessControlPolicy.grants[0].grantee.uri is "http://acs.amazonaws.com/groups/global/AllUsers"; S3 ACLs must not grant access to everyone',
    ]);
  });

  it("fails a bucket policy allowing Principal * without a condition, and passes one with a condition", () => {
    const open = { Version: "2012-10-17", Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::models/*" }] };
    const narrowed = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } } }] };
    assert.deepEqual(messages([...s3(), { type: "aws:s3/bucketPolicy:BucketPolicy", name: "policy", inputs: { bucket: "models-id", policy: JSON.stringify(open) } }]), [
      'aws:s3/bucketPolicy:BucketPolicy "policy": policy.Statement[0] is "PublicRead"; bucket policies must not Allow Principal "*" without a Condition',
    ]);
    assert.deepEqual(messages([...s3(), { type: "aws:s3/bucketPolicy:BucketPolicy", name: "policy", inputs: { bucket: "models-id", policy: narrowed } }]), []);
  });
});

describe("no-public-buckets on GCP", () => {
  const bucket = (inputs: Record<string, unknown>): PolicyInputResource => ({ type: "gcp:storage/bucket:Bucket", name: "models", inputs: { location: "US", ...inputs } });

  it("passes a bucket with public access prevention enforced and uniform bucket-level access", () => {
    assert.deepEqual(run([bucket({ publicAccessPrevention: "enforced", uniformBucketLevelAccess: true })]), []);
  });

  it("fails a bucket that leaves public access prevention inherited and ACLs on", () => {
    assert.deepEqual(messages([bucket({ publicAccessPrevention: "inherited" })]), [
      'gcp:storage/bucket:Bucket "models": publicAccessPrevention is "inherited"; GCS buckets must set publicAccessPrevention "enforced"',
      'gcp:storage/bucket:Bucket "models": uniformBucketLevelAccess is not set; GCS buckets must use uniform bucket-level access (no object ACLs)',
    ]);
  });

  it("fails IAM members, bindings and policies granting allUsers or allAuthenticatedUsers", () => {
    const resources: PolicyInputResource[] = [
      { type: "gcp:storage/bucketIAMMember:BucketIAMMember", name: "reader", inputs: { bucket: "models", role: "roles/storage.objectViewer", member: "allUsers" } },
      { type: "gcp:storage/bucketIAMMember:BucketIAMMember", name: "runtime", inputs: { bucket: "models", role: "roles/storage.objectViewer", member: "serviceAccount:mlops@p.iam.gserviceaccount.com" } },
      { type: "gcp:storage/bucketIAMBinding:BucketIAMBinding", name: "binding", inputs: { bucket: "models", role: "roles/storage.objectViewer", members: ["group:ml@example.com", "allAuthenticatedUsers"] } },
      { type: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", name: "policy", inputs: { bucket: "models", policyData: JSON.stringify({ bindings: [{ role: "roles/storage.objectViewer", members: ["allUsers"] }] }) } },
    ];
    assert.deepEqual(messages(resources), [
      'gcp:storage/bucketIAMMember:BucketIAMMember "reader": member is "allUsers"; bucket IAM must not grant access to the public',
      'gcp:storage/bucketIAMBinding:BucketIAMBinding "binding": members[1] is "allAuthenticatedUsers"; bucket IAM must not grant access to the public',
      'gcp:storage/bucketIAMPolicy:BucketIAMPolicy "policy": policyData.bindings[0].members is "allUsers"; bucket IAM must not grant access to the public',
    ]);
  });
});

describe("no-public-buckets on Azure", () => {
  it("passes an account with blob public access off and a private container", () => {
    const resources: PolicyInputResource[] = [
      { type: "azure-native:storage:StorageAccount", name: "account", inputs: { allowBlobPublicAccess: false } },
      { type: "azure-native:storage:BlobContainer", name: "models", inputs: { publicAccess: "None" } },
      { type: "azure-native:storage:BlobContainer", name: "logs", inputs: {} },
    ];
    assert.deepEqual(run(resources), []);
  });

  it("fails an account that leaves blob public access unset and a container open to blobs", () => {
    const resources: PolicyInputResource[] = [
      { type: "azure-native:storage:StorageAccount", name: "account", inputs: {} },
      { type: "azure-native:storage:BlobContainer", name: "models", inputs: { publicAccess: "Blob" } },
    ];
    assert.deepEqual(messages(resources), [
      'azure-native:storage:StorageAccount "account": allowBlobPublicAccess is not set; storage accounts must set allowBlobPublicAccess false',
      'azure-native:storage:BlobContainer "models": publicAccess is "Blob"; blob containers must have publicAccess "None"',
    ]);
  });
});
