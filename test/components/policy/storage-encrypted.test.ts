import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies, formatViolations, type PolicyInputResource } from "../../../components/policy/index.ts";

const CMK = { "storage-encrypted": { requireCustomerManagedKeys: true } };
const run = (resources: PolicyInputResource[], config = {}) => evaluatePolicies(resources, config).filter((v) => v.policy === "storage-encrypted");
const messages = (resources: PolicyInputResource[], config = {}) => run(resources, config).map((v) => v.message);

const tlsOnly = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::models", "arn:aws:s3:::models/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
});
const sse = (setting: Record<string, unknown>): PolicyInputResource => ({
  type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  name: "models-sse",
  inputs: { bucket: "models-id", rules: [{ applyServerSideEncryptionByDefault: setting, bucketKeyEnabled: true }] },
});
const bucketWith = (...extra: PolicyInputResource[]): PolicyInputResource[] => [
  { type: "aws:s3/bucket:Bucket", name: "models", inputs: {} },
  { type: "aws:s3/bucketPolicy:BucketPolicy", name: "models-tls", inputs: { bucket: "models-id", policy: tlsOnly } },
  ...extra,
];

describe("storage-encrypted on AWS", () => {
  it("passes a bucket with default encryption and a TLS-only bucket policy", () => {
    const r = run(bucketWith(sse({ sseAlgorithm: "AES256" })));
    assert.deepEqual(r, [], formatViolations(r));
  });

  it("fails a bucket without default encryption or a TLS-only policy", () => {
    assert.deepEqual(messages([{ type: "aws:s3/bucket:Bucket", name: "models", inputs: {} }]), [
      'aws:s3/bucket:Bucket "models": no aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration refers to it; S3 buckets must have default encryption',
      'aws:s3/bucket:Bucket "models": no bucket policy denies requests with aws:SecureTransport "false"; S3 buckets must only be reachable over TLS',
    ]);
  });

  it("accepts the deprecated inline encryption and policy of the bucket resource", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:s3/bucket:Bucket", name: "models", inputs: { serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k" } } }, policy: tlsOnly } },
    ];
    assert.deepEqual(run(resources, CMK), []);
  });

  it("requires SSE-KMS with a key when customer-managed keys are required", () => {
    assert.deepEqual(messages(bucketWith(sse({ sseAlgorithm: "AES256" })), CMK), [
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration "models-sse": rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is "AES256"; requireCustomerManagedKeys is on: use a customer-managed key (aws:kms with kmsMasterKeyId)',
    ]);
    assert.deepEqual(messages(bucketWith(sse({ sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k" })), CMK), []);
  });

  it("fails ECR repositories without encryptionConfigurations and EKS clusters without secrets encryption", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:ecr/repository:Repository", name: "runtime", inputs: { imageTagMutability: "IMMUTABLE" } },
      { type: "aws:eks/cluster:Cluster", name: "eks", inputs: { roleArn: "arn", vpcConfig: { subnetIds: ["a"] } } },
    ];
    assert.deepEqual(messages(resources), [
      'aws:ecr/repository:Repository "runtime": encryptionConfigurations is not set; ECR repositories must set encryptionConfigurations (encryptionType "AES256" or "KMS")',
      'aws:eks/cluster:Cluster "eks": encryptionConfig.resources is not set; EKS clusters must encrypt Kubernetes secrets with KMS (encryptionConfig.resources ["secrets"])',
      'aws:eks/cluster:Cluster "eks": encryptionConfig.provider.keyArn is not set; EKS secrets encryption needs a KMS key ARN',
    ]);
  });

  it("passes encrypted ECR repositories and EKS clusters", () => {
    const resources: PolicyInputResource[] = [
      { type: "aws:ecr/repository:Repository", name: "runtime", inputs: { encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:1:key/k" }] } },
      { type: "aws:eks/cluster:Cluster", name: "eks", inputs: { encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:us-east-1:1:key/k" } } } },
    ];
    assert.deepEqual(run(resources, CMK), []);
  });
});

describe("storage-encrypted on GCP", () => {
  it("passes a GKE cluster with etcd encryption and a bucket without a CMK by default", () => {
    const resources: PolicyInputResource[] = [
      { type: "gcp:container/cluster:Cluster", name: "gke", inputs: { databaseEncryption: { state: "ENCRYPTED", keyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k" } } },
      { type: "gcp:storage/bucket:Bucket", name: "models", inputs: { location: "US" } },
    ];
    assert.deepEqual(run(resources), []);
  });

  it("fails a GKE cluster with etcd encryption off, and a bucket without a KMS key when CMK is required", () => {
    const resources: PolicyInputResource[] = [
      { type: "gcp:container/cluster:Cluster", name: "gke", inputs: { databaseEncryption: { state: "DECRYPTED" } } },
      { type: "gcp:storage/bucket:Bucket", name: "models", inputs: { location: "US" } },
    ];
    assert.deepEqual(messages(resources, CMK), [
      'gcp:container/cluster:Cluster "gke": databaseEncryption.state is "DECRYPTED"; GKE clusters must encrypt etcd secrets with Cloud KMS (databaseEncryption.state "ENCRYPTED")',
      'gcp:storage/bucket:Bucket "models": encryption.defaultKmsKeyName is not set; requireCustomerManagedKeys is on: use a customer-managed key (a Cloud KMS key)',
    ]);
  });
});

describe("storage-encrypted on Azure", () => {
  const account = (inputs: Record<string, unknown>): PolicyInputResource => ({ type: "azure-native:storage:StorageAccount", name: "account", inputs });

  it("passes an HTTPS-only TLS 1.2 account with blob encryption", () => {
    assert.deepEqual(run([account({ enableHttpsTrafficOnly: true, minimumTlsVersion: "TLS1_2", encryption: { keySource: "Microsoft.Storage", services: { blob: { enabled: true } } } })]), []);
  });

  it("fails an account allowing HTTP and TLS 1.0 with no encryption settings", () => {
    assert.deepEqual(messages([account({ enableHttpsTrafficOnly: false, minimumTlsVersion: "TLS1_0" })]), [
      'azure-native:storage:StorageAccount "account": enableHttpsTrafficOnly is false; storage accounts must accept HTTPS only',
      'azure-native:storage:StorageAccount "account": minimumTlsVersion is "TLS1_0"; storage accounts must require TLS 1.2 or later (minimumTlsVersion "TLS1_2")',
      'azure-native:storage:StorageAccount "account": encryption.services.blob.enabled is not set; storage accounts must enable blob encryption (or requireInfrastructureEncryption)',
    ]);
  });

  it("requires a Key Vault key source when customer-managed keys are required", () => {
    const base = { enableHttpsTrafficOnly: true, minimumTlsVersion: "TLS1_2" };
    assert.deepEqual(messages([account({ ...base, encryption: { keySource: "Microsoft.Storage", requireInfrastructureEncryption: true } })], CMK), [
      'azure-native:storage:StorageAccount "account": encryption.keySource is "Microsoft.Storage"; requireCustomerManagedKeys is on: use a customer-managed key (keySource "Microsoft.Keyvault" with keyVaultProperties)',
    ]);
    const keyVault = { keySource: "Microsoft.Keyvault", keyVaultProperties: { keyName: "k", keyVaultUri: "https://v.vault.azure.net" }, services: { blob: { enabled: true } } };
    assert.deepEqual(run([account({ ...base, encryption: keyVault })], CMK), []);
  });
});
