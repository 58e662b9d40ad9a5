import type * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_TAINT, type Taint } from "../kubernetes/cluster-handle.ts";
import { autoDiscoveryTags, tagAutoscalingGroup } from "./asg-tags.ts";
import { gpuFamilyOf, gpusPerInstance } from "./gpu-instance-types.ts";
import { createManagedNodeGroup, type ManagedNodeGroupArgs } from "./managed-node-group.ts";

/** Label naming the node pool a node belongs to (`system` or the GPU pool's name). */
export const NODE_POOL_LABEL = "mlops.dev/node-pool";

/**
 * The node label the Cluster Autoscaler's AWS provider reads to know a node has a GPU before the
 * device plugin has advertised it; without it the autoscaler sees a GPU-less node join and adds
 * another for the same pending pod (cluster-autoscaler/cloudprovider/aws/README.md, "Special note
 * on GPU instances").
 */
export const ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator";

/** Prefix of the Cluster Autoscaler's scale-from-zero hints on an Auto Scaling group. */
export const NODE_TEMPLATE_TAG_PREFIX = "k8s.io/cluster-autoscaler/node-template";

/** One GPU node pool, as configured. */
export interface GpuPoolConfig {
  /** Pool name (unique in the cluster). */
  name: string;
  /** GPU instance type. */
  instanceType: string;
  /** Fewest nodes. */
  minNodes: number;
  /** Most nodes. */
  maxNodes: number;
  /** Spot capacity. */
  spot: boolean;
  /** Root volume size in GiB. */
  diskSizeGb: number;
}

/** Kubernetes labels every node of a GPU pool carries: the GPU node label, the pool and the accelerator (`nvidia-a10g`). */
export function gpuPoolLabels(pool: Pick<GpuPoolConfig, "name" | "instanceType">): Record<string, string> {
  return { ...GPU_NODE_LABEL, [NODE_POOL_LABEL]: pool.name, [ACCELERATOR_LABEL]: gpuFamilyOf(pool.instanceType)?.accelerator ?? "nvidia" };
}

/** Kubernetes taints every node of a GPU pool carries. */
export function gpuPoolTaints(): Taint[] {
  return [{ ...GPU_TAINT }];
}

/**
 * The Cluster Autoscaler's node-template tags for an Auto Scaling group whose nodes carry these
 * labels and taints and `gpus` NVIDIA GPUs: with them it can scale the group up from zero nodes
 * (it has no node to look at then). Taint values are `<value>:<Effect>`.
 */
export function nodeTemplateTags(labels: Record<string, string>, taints: readonly Taint[], gpus: number | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) tags[`${NODE_TEMPLATE_TAG_PREFIX}/label/${k}`] = v;
  for (const t of taints) tags[`${NODE_TEMPLATE_TAG_PREFIX}/taint/${t.key}`] = `${t.value ?? ""}:${t.effect}`;
  if (gpus !== undefined) tags[`${NODE_TEMPLATE_TAG_PREFIX}/resources/nvidia.com/gpu`] = String(gpus);
  return tags;
}

/**
 * A GPU node pool: a managed node group on the NVIDIA AMI, labelled with GPU_NODE_LABEL and
 * {@link ACCELERATOR_LABEL} and tainted with GPU_TAINT, plus the Cluster Autoscaler's auto-discovery and node-template tags on
 * its Auto Scaling group (see {@link tagAutoscalingGroup}).
 */
export function createGpuNodePool(
  name: string,
  pool: GpuPoolConfig,
  common: Omit<ManagedNodeGroupArgs, "instanceType" | "minNodes" | "maxNodes" | "spot" | "diskSizeGb" | "labels" | "taints">,
  opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] },
): aws.eks.NodeGroup {
  const labels = gpuPoolLabels(pool);
  const taints = gpuPoolTaints();
  const nodeGroup = createManagedNodeGroup(
    `${name}-gpu-${pool.name}`,
    { ...common, instanceType: pool.instanceType, minNodes: pool.minNodes, maxNodes: pool.maxNodes, spot: pool.spot, diskSizeGb: pool.diskSizeGb, labels, taints },
    opts,
  );
  const templateTags = Object.entries(nodeTemplateTags(labels, taints, gpusPerInstance(pool.instanceType))).map(([key, value]) => ({
    role: key.slice(NODE_TEMPLATE_TAG_PREFIX.length + 1).replace(/[^A-Za-z0-9]+/g, "-"),
    key,
    value,
  }));
  tagAutoscalingGroup(`${name}-gpu-${pool.name}`, nodeGroup, common.region, [...autoDiscoveryTags(common.clusterName), ...templateTags], opts.parent);
  return nodeGroup;
}
