import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_TAINT, type Taint } from "../kubernetes/cluster-handle.ts";
import { gkeNodeConfig, type GkeNodeConfigArgs } from "./gke-node-config.ts";

/** What {@link createGpuNodePool} needs. */
export interface GpuNodePoolArgs extends Omit<GkeNodeConfigArgs, "secureBoot"> {
  project: pulumi.Input<string>;
  cluster: gcp.container.Cluster;
  /** Pool name within the cluster (also the `mlops.dev/pool` label). */
  poolName: string;
  accelerator: string;
  acceleratorCount: number;
  /** Driver GKE installs: LATEST or DEFAULT for the node's GKE version. */
  gpuDriverVersion: "LATEST" | "DEFAULT";
  /** Autoscaling bounds for the whole pool (in a regional cluster: totals over its zones). */
  minNodes: number;
  maxNodes: number;
  spot: boolean;
  /** Zones the pool's nodes run in. @default - the cluster's node zones */
  zones?: string[];
  /** The cluster is regional: bounds become totals over the pool's zones. */
  regional: boolean;
}

/** Taints every GPU pool carries (the handle's GPU taints are exactly these). */
export const GPU_POOL_TAINTS: readonly Taint[] = Object.freeze([GPU_TAINT]);

const GKE_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;

/** A Kubernetes taint in the GKE API's spelling (`NO_SCHEDULE`). */
export function gkeTaint(t: Taint): { key: string; value: string; effect: string } {
  return { key: t.key, value: t.value ?? "", effect: GKE_TAINT_EFFECT[t.effect] };
}

/**
 * One GPU node pool: COS with the NVIDIA driver GKE installs (`gpuDriverInstallationConfig`) and
 * GKE's own device plugin, autoscaled from zero (GKE's autoscaler knows the node template, so a
 * pending GPU pod scales an empty pool up without tags), spot VMs when asked, the
 * {@link GPU_NODE_LABEL} label and the {@link GPU_TAINT} taint set explicitly (GKE adds the same
 * taint itself; declaring it keeps the pool and the ClusterHandle in agreement). Secure Boot stays
 * off: the NVIDIA kernel module GKE installs on GPU nodes must load.
 */
export function createGpuNodePool(name: string, parent: pulumi.Resource, args: GpuNodePoolArgs): gcp.container.NodePool {
  const bounds = args.regional
    ? { totalMinNodeCount: args.minNodes, totalMaxNodeCount: args.maxNodes, locationPolicy: "ANY" }
    : { minNodeCount: args.minNodes, maxNodeCount: args.maxNodes, locationPolicy: "ANY" };
  return new gcp.container.NodePool(
    `${name}-gpu-${args.poolName}`,
    {
      project: args.project,
      cluster: args.cluster.name,
      location: args.cluster.location,
      nodeLocations: args.zones,
      initialNodeCount: 0,
      autoscaling: bounds,
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        ...gkeNodeConfig({ ...args, secureBoot: false }),
        spot: args.spot,
        guestAccelerators: [{ type: args.accelerator, count: args.acceleratorCount, gpuDriverInstallationConfig: { gpuDriverVersion: args.gpuDriverVersion } }],
        labels: { ...GPU_NODE_LABEL, "mlops.dev/pool": args.poolName },
        taints: GPU_POOL_TAINTS.map(gkeTaint),
      },
    },
    { parent, ignoreChanges: ["initialNodeCount"] },
  );
}
