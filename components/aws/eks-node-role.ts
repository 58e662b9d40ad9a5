import * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn } from "./aws-partition.ts";
import { serviceTrustPolicy } from "./eks-control-plane.ts";

/** AWS-managed policies every node carries: join the cluster, run the VPC CNI, pull from ECR (read-only). */
export const NODE_MANAGED_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"] as const;

/** The node role and the attachments a node group must wait for. */
export interface EksNodeRole {
  /** The IAM role of every node. */
  role: aws.iam.Role;
  /** Its policy attachments (node groups depend on them, or nodes fail to join). */
  attachments: aws.iam.RolePolicyAttachment[];
}

/** The IAM role of the cluster's EC2 nodes with {@link NODE_MANAGED_POLICIES}. */
export function createEksNodeRole(name: string, args: { region: string; tags: Record<string, string> }, parent: pulumi.Resource): EksNodeRole {
  const role = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), tags: args.tags }, { parent });
  const attachments = NODE_MANAGED_POLICIES.map(
    (policy) => new aws.iam.RolePolicyAttachment(`${name}-node-role-${policy}`, { role: role.name, policyArn: managedPolicyArn(args.region, policy) }, { parent }),
  );
  return { role, attachments };
}
