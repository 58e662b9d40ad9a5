import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_TAINT, type Taint } from "../kubernetes/cluster-handle.ts";

/** Taint AKS puts on every node of a spot pool (it cannot be removed). */
export const AKS_SPOT_TAINT: Readonly<Taint> = Object.freeze({ key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" });

/** One GPU node pool as {@link createGpuNodePool} takes it. */
export interface GpuNodePoolArgs {
  resourceGroupName: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  nodeSubnetId: pulumi.Input<string>;
  /** Pool name (1-12 lowercase letters and digits). */
  name: string;
  vmSize: string;
  minNodes: number;
  maxNodes: number;
  spot: boolean;
  diskSizeGb: number;
  /** Zones to spread over; undefined: regional. */
  zones?: string[];
  tags: Record<string, string>;
}

/** `key=value:Effect`, the AKS node-taint syntax. */
export function taintString(t: Taint): string {
  return `${t.key}${t.value === undefined ? "" : `=${t.value}`}:${t.effect}`;
}

/** Taints the nodes of a pool carry: the GPU taint, plus the spot taint AKS adds to spot pools. */
export function gpuPoolTaints(spot: boolean): Taint[] {
  return spot ? [{ ...GPU_TAINT }, { ...AKS_SPOT_TAINT }] : [{ ...GPU_TAINT }];
}

/**
 * A GPU user pool of an AKS cluster: autoscaled by the AKS cluster autoscaler from `minNodes`
 * (0 allowed for user pools: idle GPUs cost nothing) to `maxNodes`, the NVIDIA driver installed by
 * AKS (`gpuProfile.driver: Install`; AKS does not run a device plugin unless its preview managed
 * GPU mode is on), the GPU taint and GPU_NODE_LABEL on every node, and spot VMs (evicted VMs
 * deleted, paying at most the on-demand price) when `spot`.
 */
export function createGpuNodePool(name: string, parent: pulumi.Resource, args: GpuNodePoolArgs): azure.containerservice.AgentPool {
  return new azure.containerservice.AgentPool(
    `${name}-gpu-${args.name}`,
    {
      resourceGroupName: args.resourceGroupName,
      resourceName: args.clusterName,
      agentPoolName: args.name,
      mode: "User",
      osType: "Linux",
      osSKU: "Ubuntu",
      type: "VirtualMachineScaleSets",
      vmSize: args.vmSize,
      osDiskSizeGB: args.diskSizeGb,
      enableAutoScaling: true,
      count: args.minNodes,
      minCount: args.minNodes,
      maxCount: args.maxNodes,
      enableNodePublicIP: false,
      vnetSubnetID: args.nodeSubnetId,
      availabilityZones: args.zones,
      gpuProfile: { driver: "Install" },
      // AKS adds the spot taint itself; only the GPU taint is ours to set.
      nodeTaints: [taintString(GPU_TAINT)],
      nodeLabels: { ...GPU_NODE_LABEL },
      ...(args.spot ? { scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1 } : { scaleSetPriority: "Regular" }),
      tags: args.tags,
    },
    // The autoscaler owns the node count once the pool exists.
    { parent, ignoreChanges: ["count"] },
  );
}
