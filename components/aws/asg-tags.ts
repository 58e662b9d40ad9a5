import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** One tag for a node group's Auto Scaling group; `role` names the Pulumi resource. */
export interface AsgTag {
  /** Suffix of the resource name (stable, unique per node group). */
  role: string;
  /** Tag key. */
  key: pulumi.Input<string>;
  /** Tag value. */
  value: pulumi.Input<string>;
}

/** The Auto Scaling group behind an EKS managed node group ("" under mocks that do not model it). */
export function autoscalingGroupOf(nodeGroup: aws.eks.NodeGroup): pulumi.Output<string> {
  return nodeGroup.resources.apply((r) => r?.[0]?.autoscalingGroups?.[0]?.name ?? "");
}

/**
 * Tags on a managed node group's Auto Scaling group, one `aws.autoscaling.Tag` each: EKS does
 * not copy node group tags to the group, and the Cluster Autoscaler reads only the group's.
 * Not propagated to instances.
 */
export function tagAutoscalingGroup(name: string, nodeGroup: aws.eks.NodeGroup, region: string, tags: AsgTag[], parent: pulumi.Resource): aws.autoscaling.Tag[] {
  const asgName = autoscalingGroupOf(nodeGroup);
  return tags.map(
    (t) => new aws.autoscaling.Tag(`${name}-${t.role}`, { region, autoscalingGroupName: asgName, tag: { key: t.key, value: t.value, propagateAtLaunch: false } }, { parent }),
  );
}

/**
 * The auto-discovery tags the Cluster Autoscaler looks for (`--node-group-auto-discovery=asg:tag=
 * k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>`); `owned` is also what its
 * IAM policy's scaling condition matches.
 */
export function autoDiscoveryTags(clusterName: pulumi.Input<string>): AsgTag[] {
  return [
    { role: "ca-enabled", key: "k8s.io/cluster-autoscaler/enabled", value: "true" },
    { role: "ca-owned", key: pulumi.interpolate`k8s.io/cluster-autoscaler/${clusterName}`, value: "owned" },
  ];
}
