/**
 * Pulumi type tokens the rules inspect, as the providers register them (checked against
 * @pulumi/aws 7, @pulumi/gcp 9, @pulumi/azure-native 3 and @pulumi/kubernetes 4). The rules
 * match on these strings so that the pack never loads a cloud SDK.
 */
export const TYPES = Object.freeze({
  s3Bucket: "aws:s3/bucket:Bucket",
  /** Deprecated alias of the bucket resource that @pulumi/aws 7 still ships. */
  s3BucketV2: "aws:s3/bucketV2:BucketV2",
  s3PublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  s3AccountPublicAccessBlock: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
  s3BucketAcl: "aws:s3/bucketAcl:BucketAcl",
  s3BucketAclV2: "aws:s3/bucketAclV2:BucketAclV2",
  s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  s3Encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  s3EncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ecrRepository: "aws:ecr/repository:Repository",
  eksCluster: "aws:eks/cluster:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  gcsBucket: "gcp:storage/bucket:Bucket",
  gcsBucketIamMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
  gcsBucketIamBinding: "gcp:storage/bucketIAMBinding:BucketIAMBinding",
  gcsBucketIamPolicy: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
  gkeCluster: "gcp:container/cluster:Cluster",
  gkeNodePool: "gcp:container/nodePool:NodePool",
  azureStorageAccount: "azure-native:storage:StorageAccount",
  azureBlobContainer: "azure-native:storage:BlobContainer",
  aksCluster: "azure-native:containerservice:ManagedCluster",
  aksAgentPool: "azure-native:containerservice:AgentPool",
  k8sConfigMap: "kubernetes:core/v1:ConfigMap",
});

/** S3 bucket resource types. */
export const S3_BUCKET_TYPES: readonly string[] = [TYPES.s3Bucket, TYPES.s3BucketV2];
/** S3 ACL resource types. */
export const S3_ACL_TYPES: readonly string[] = [TYPES.s3BucketAcl, TYPES.s3BucketAclV2];
/** S3 default-encryption resource types. */
export const S3_ENCRYPTION_TYPES: readonly string[] = [TYPES.s3Encryption, TYPES.s3EncryptionV2];

/** Helm chart component types: the objects a chart renders are their children. */
export const HELM_CHART_TYPES: readonly string[] = ["kubernetes:helm.sh/v2:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart"];

/** The types in a URN's type chain (ancestors first, the resource's own type last). */
export function urnTypeChain(urn: string): string[] {
  const qualified = urn.split("::")[2];
  return qualified === undefined ? [] : qualified.split("$");
}
