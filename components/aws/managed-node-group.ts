import * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import type { Taint } from "../kubernetes/cluster-handle.ts";
import { amiTypeFor } from "./gpu-instance-types.ts";

/** EKS's spelling of a Kubernetes taint effect. */
export const EKS_TAINT_EFFECT: Readonly<Record<Taint["effect"], string>> = Object.freeze({
  NoSchedule: "NO_SCHEDULE",
  PreferNoSchedule: "PREFER_NO_SCHEDULE",
  NoExecute: "NO_EXECUTE",
});

/** Arguments for {@link createManagedNodeGroup}. */
export interface ManagedNodeGroupArgs {
  /** AWS region. */
  region: string;
  /** The cluster. */
  clusterName: pulumi.Input<string>;
  /** Kubernetes version of the nodes (the cluster's). */
  kubernetesVersion: pulumi.Input<string>;
  /** Role of the nodes. */
  nodeRoleArn: pulumi.Input<string>;
  /** Private subnets the nodes go in. */
  subnetIds: pulumi.Input<string>[];
  /** EC2 instance type. */
  instanceType: string;
  /** Fewest nodes (also the initial count). */
  minNodes: number;
  /** Most nodes. */
  maxNodes: number;
  /** Spot capacity instead of on-demand. */
  spot: boolean;
  /** Root volume size in GiB. */
  diskSizeGb: number;
  /** Kubernetes labels on every node. */
  labels: Record<string, string>;
  /** Kubernetes taints on every node. */
  taints: readonly Taint[];
  /** Tags on the node group, its launch template, instances and volumes. */
  tags: Record<string, string>;
}

/**
 * An EKS managed node group on the AL2023 AMI that fits its instance type (NVIDIA variant for GPU
 * types), through a launch template that requires IMDSv2 with a hop limit of 1 (pods cannot reach
 * the node role's credentials; they use IRSA) and an encrypted gp3 root volume. The desired size
 * starts at `minNodes` and then belongs to the Cluster Autoscaler.
 */
export function createManagedNodeGroup(name: string, args: ManagedNodeGroupArgs, opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] }): aws.eks.NodeGroup {
  const template = new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      region: args.region,
      description: `pulumi-mlops node group ${name}`,
      updateDefaultVersion: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      // The AWS-managed EBS key: a customer-managed one would need a key-policy grant for the
      // Auto Scaling service-linked role, or instances fail to launch.
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: args.diskSizeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
      tagSpecifications: [
        { resourceType: "instance", tags: { ...args.tags, Name: name } },
        { resourceType: "volume", tags: { ...args.tags, Name: name } },
      ],
      tags: args.tags,
    },
    { parent: opts.parent },
  );
  return new aws.eks.NodeGroup(
    name,
    {
      region: args.region,
      clusterName: args.clusterName,
      version: args.kubernetesVersion,
      nodeRoleArn: args.nodeRoleArn,
      subnetIds: args.subnetIds,
      amiType: amiTypeFor(args.instanceType),
      instanceTypes: [args.instanceType],
      capacityType: args.spot ? "SPOT" : "ON_DEMAND",
      scalingConfig: { minSize: args.minNodes, maxSize: args.maxNodes, desiredSize: args.minNodes },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: template.id, version: template.latestVersion.apply((v) => String(v ?? 1)) },
      labels: args.labels,
      taints: args.taints.map((t) => ({ key: t.key, value: t.value, effect: EKS_TAINT_EFFECT[t.effect] })),
      tags: args.tags,
    },
    { parent: opts.parent, dependsOn: opts.dependsOn, ignoreChanges: ["scalingConfig.desiredSize"] },
  );
}
