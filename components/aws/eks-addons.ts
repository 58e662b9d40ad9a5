import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Arguments for the EKS managed add-ons. */
export interface EksAddonArgs {
  /** AWS region. */
  region: string;
  /** The cluster. */
  clusterName: pulumi.Input<string>;
  /** Tags on every add-on. */
  tags: Record<string, string>;
}

/**
 * The `vpc-cni` configuration: its network policy agent on, so NetworkPolicies are enforced (the
 * add-on ships it off; v1.14.0-eksbuild.3 or later, which every version EKS defaults to for the
 * supported Kubernetes minors is).
 */
export const VPC_CNI_CONFIGURATION: Readonly<Record<string, string>> = Object.freeze({ enableNetworkPolicy: "true" });

/** ServiceAccount the `aws-ebs-csi-driver` add-on's controller runs as; its IRSA role trusts exactly this one. */
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "ebs-csi-controller-sa" } as const;

/** The AWS-managed policy the EBS CSI controller needs (path `service-role/`). */
export const EBS_CSI_MANAGED_POLICY = "service-role/AmazonEBSCSIDriverPolicy";

function addon(
  name: string,
  addonName: string,
  args: EksAddonArgs,
  extra: Pick<aws.eks.AddonArgs, "configurationValues" | "serviceAccountRoleArn">,
  opts: pulumi.CustomResourceOptions,
): aws.eks.Addon {
  return new aws.eks.Addon(
    `${name}-${addonName}`,
    // No addonVersion: EKS installs its default version for the cluster's Kubernetes version.
    // The cluster bootstraps no self-managed add-ons, so OVERWRITE on create has nothing to fight.
    { region: args.region, clusterName: args.clusterName, addonName, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", ...extra, tags: args.tags },
    opts,
  );
}

/**
 * The networking add-ons nodes need before they can become Ready: `vpc-cni` with NetworkPolicy
 * enforcement on (its IAM rights come from the node role: aws-node is host-network, so IMDS hop
 * limit 1 does not stop it) and `kube-proxy`. Create them before any node group.
 */
export function createNetworkingAddons(name: string, args: EksAddonArgs, parent: pulumi.Resource): aws.eks.Addon[] {
  return [addon(name, "vpc-cni", args, { configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION) }, { parent }), addon(name, "kube-proxy", args, {}, { parent })];
}

/** The `coredns` add-on; its pods need nodes, so it waits for the system node group. */
export function createCoreDnsAddon(name: string, args: EksAddonArgs, parent: pulumi.Resource, nodes: pulumi.Resource): aws.eks.Addon {
  return addon(name, "coredns", args, {}, { parent, dependsOn: [nodes] });
}

/**
 * The `aws-ebs-csi-driver` add-on (EKS has no default StorageClass provisioner for EBS since 1.30's
 * gp2 change, so PersistentVolumeClaims stay Pending without it), with its controller on an IRSA
 * role: the nodes' IMDS hop limit of 1 keeps pods off the node role. Its pods need nodes, and its
 * role its permissions, before EKS reports it active.
 */
export function createEbsCsiAddon(name: string, args: EksAddonArgs & { roleArn: pulumi.Input<string> }, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): aws.eks.Addon {
  return addon(name, "aws-ebs-csi-driver", args, { serviceAccountRoleArn: args.roleArn }, { parent, dependsOn });
}

/** The `metrics-server` community add-on (EKS has none by default): the resource metrics API the HorizontalPodAutoscaler reads. Its pods need nodes. */
export function createMetricsServerAddon(name: string, args: EksAddonArgs, parent: pulumi.Resource, nodes: pulumi.Resource): aws.eks.Addon {
  return addon(name, "metrics-server", args, {}, { parent, dependsOn: [nodes] });
}

/**
 * What the EBS CSI controller needs of a customer-managed key that encrypts its volumes, as the EKS
 * docs give it: grants for AWS resources only, and the data-key calls.
 */
export function ebsCsiKmsPolicy(kmsKeyArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "VolumeKeyGrants", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: kmsKeyArn, Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
      { Sid: "VolumeKeyUse", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource: kmsKeyArn },
    ],
  });
}
