import * as k8s from "../kubernetes/sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Helm repository of the `cluster-autoscaler` chart. */
export const CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler";

/**
 * The pinned chart. Chart releases lag the app: 9.54.0–9.59.0 all ship app v1.35.0, so the image
 * tag is set from {@link CLUSTER_AUTOSCALER_IMAGE_TAGS} to match the cluster's Kubernetes minor.
 */
export const CLUSTER_AUTOSCALER_CHART_VERSION = "9.59.0";

/** Cluster Autoscaler image tag per Kubernetes minor (the autoscaler must match the control plane's minor). */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Readonly<Record<string, string>> = Object.freeze({
  "1.33": "v1.33.1",
  "1.34": "v1.34.4",
  "1.35": "v1.35.2",
  "1.36": "v1.36.1",
});

/** Namespace and ServiceAccount of the Cluster Autoscaler; its IRSA role trusts exactly this one. */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = { namespace: "kube-system", name: "cluster-autoscaler" } as const;

/**
 * The Cluster Autoscaler's IAM policy, as its AWS docs list it for auto-discovery with launch
 * templates: read-only calls on everything, and the two scaling calls only on Auto Scaling groups
 * tagged as owned by this cluster (EKS tags managed node groups' groups that way).
 */
export function clusterAutoscalerPolicy(clusterName: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(clusterName).apply((cluster) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Describe",
          Effect: "Allow",
          Action: [
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:GetInstanceTypesFromInstanceRequirements",
            "eks:DescribeNodegroup",
          ],
          Resource: "*",
        },
        {
          Sid: "ScaleOwnedGroups",
          Effect: "Allow",
          Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
          Resource: "*",
          Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned" } },
        },
      ],
    }),
  );
}

/** Arguments for {@link createClusterAutoscaler}. */
export interface ClusterAutoscalerArgs {
  /** The EKS cluster's name (auto-discovery tag). */
  clusterName: pulumi.Input<string>;
  /** AWS region. */
  region: string;
  /** The IRSA role for its ServiceAccount. */
  roleArn: pulumi.Input<string>;
  /** Image tag (`v1.36.1`). */
  imageTag: string;
  /** Chart version. */
  chartVersion: string;
}

/**
 * The Cluster Autoscaler as a Helm release in kube-system: AWS auto-discovery of the cluster's
 * Auto Scaling groups, balanced similar groups, least-waste expander, IRSA for its credentials.
 */
export function createClusterAutoscaler(name: string, args: ClusterAutoscalerArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider; dependsOn: pulumi.Resource[] }): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    `${name}-cluster-autoscaler`,
    {
      chart: "cluster-autoscaler",
      version: args.chartVersion,
      repositoryOpts: { repo: CLUSTER_AUTOSCALER_REPO },
      namespace: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace,
      values: {
        cloudProvider: "aws",
        awsRegion: args.region,
        autoDiscovery: { clusterName: args.clusterName },
        image: { tag: args.imageTag },
        rbac: {
          serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name, annotations: { "eks.amazonaws.com/role-arn": args.roleArn } },
        },
        extraArgs: { "balance-similar-node-groups": true, expander: "least-waste", "skip-nodes-with-system-pods": false },
        containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
        resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
      },
    },
    { parent: opts.parent, provider: opts.provider, dependsOn: opts.dependsOn },
  );
}
