import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import { gkeNodeConfig, type GkeNodeConfigArgs } from "./gke-node-config.ts";

/** What {@link createSystemNodePool} needs. */
export interface SystemNodePoolArgs extends Omit<GkeNodeConfigArgs, "secureBoot"> {
  project: pulumi.Input<string>;
  cluster: gcp.container.Cluster;
  /** Autoscaling bounds for the whole pool (in a regional cluster: totals over its zones). */
  minNodes: number;
  maxNodes: number;
  /** The cluster is regional: the pool spans `zoneCount` zones and the bounds are totals. */
  regional: boolean;
  /** Zones the pool spans. */
  zoneCount: number;
}

/**
 * The CPU pool for system and serving pods: autoscaled, auto-repaired and auto-upgraded with the
 * release channel, Secure Boot on. In a regional cluster the bounds are totals and the BALANCED
 * location policy spreads the nodes over the zones (the initial count is per zone, rounded up).
 */
export function createSystemNodePool(name: string, parent: pulumi.Resource, args: SystemNodePoolArgs): gcp.container.NodePool {
  return new gcp.container.NodePool(
    `${name}-system`,
    {
      project: args.project,
      cluster: args.cluster.name,
      location: args.cluster.location,
      initialNodeCount: args.regional ? Math.ceil(args.minNodes / args.zoneCount) : args.minNodes,
      autoscaling: args.regional
        ? { totalMinNodeCount: args.minNodes, totalMaxNodeCount: args.maxNodes, locationPolicy: "BALANCED" }
        : { minNodeCount: args.minNodes, maxNodeCount: args.maxNodes, locationPolicy: "BALANCED" },
      management: { autoRepair: true, autoUpgrade: true },
      upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      nodeConfig: { ...gkeNodeConfig({ ...args, secureBoot: true }), labels: { "mlops.dev/pool": "system" } },
    },
    { parent, ignoreChanges: ["initialNodeCount"] },
  );
}
