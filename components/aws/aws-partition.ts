/**
 * The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`), for ARNs of AWS-managed policies
 * built without a `getPartition` invoke.
 */
export function awsPartition(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** ARN of an AWS-managed IAM policy in the region's partition. */
export function managedPolicyArn(region: string, policyName: string): string {
  return `arn:${awsPartition(region)}:iam::aws:policy/${policyName}`;
}
