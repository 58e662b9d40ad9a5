import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Arguments for the EKS managed add-ons. */
export interface EksAddonArgs {
  /** AWS region. */
  region: string;
  /** The cluster. */
  clusterName: pulumi.Input<string>;
  /** Tags on every add-on. */
  tags: Record<string, string>;
}

function addon(name: string, addonName: string, args: EksAddonArgs, opts: pulumi.CustomResourceOptions): aws.eks.Addon {
  return new aws.eks.Addon(
    `${name}-${addonName}`,
    // No addonVersion: EKS installs the default version for the cluster's Kubernetes version.
    { region: args.region, clusterName: args.clusterName, addonName, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", tags: args.tags },
    opts,
  );
}

/**
 * The networking add-ons nodes need before they can become Ready: `vpc-cni` (its IAM rights come
 * from the node role) and `kube-proxy`. Create them before any node group.
 */
export function createNetworkingAddons(name: string, args: EksAddonArgs, parent: pulumi.Resource): aws.eks.Addon[] {
  return [addon(name, "vpc-cni", args, { parent }), addon(name, "kube-proxy", args, { parent })];
}

/** The `coredns` add-on; its pods need nodes, so it waits for the system node group. */
export function createCoreDnsAddon(name: string, args: EksAddonArgs, parent: pulumi.Resource, nodes: pulumi.Resource): aws.eks.Addon {
  return addon(name, "coredns", args, { parent, dependsOn: [nodes] });
}
