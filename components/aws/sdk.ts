/**
 * The parts of @pulumi/aws the components use, imported module by module. Importing the package
 * root makes every consumer's `tsc` load the declarations of all ~250 AWS modules (thousands of files);
 * these deep paths load only the modules below. Call sites keep their shape: `import * as aws from
 * "./sdk.ts"`, then `aws.eks.Cluster`. A module used for the first time is added here.
 * test/packaging/sdk-imports.test.ts fails if a component imports the root again.
 */
export * as autoscaling from "@pulumi/aws/autoscaling/index.js";
export * as ec2 from "@pulumi/aws/ec2/index.js";
export * as ecr from "@pulumi/aws/ecr/index.js";
export * as eks from "@pulumi/aws/eks/index.js";
export * as iam from "@pulumi/aws/iam/index.js";
export * as kms from "@pulumi/aws/kms/index.js";
export * as s3 from "@pulumi/aws/s3/index.js";
export * as vpc from "@pulumi/aws/vpc/index.js";
export { Provider, type ProviderArgs } from "@pulumi/aws/provider.js";
export { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity.js";
export type { Region } from "@pulumi/aws/types/enums/index.js";
export type * as types from "@pulumi/aws/types/index.js";
