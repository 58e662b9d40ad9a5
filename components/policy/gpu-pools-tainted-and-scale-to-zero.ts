import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { arrayAt, isUnset, propertyAt, type PropertyPath, UNKNOWN } from "./resource-property.ts";
import { TYPES } from "./resource-types.ts";
import { violationMessage } from "./violation-message.ts";

/** The taint GPU pools carry: key, value and effect (Kubernetes spelling). */
export const GPU_POOL_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;

/** EKS AMI types with the NVIDIA driver (AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA, the retired AL2_x86_64_GPU). */
const EKS_GPU_AMI = /NVIDIA|GPU/i;
/** EC2 GPU instance families: p3, p4d, p5, p6-b200, g4dn, g5, g6e, gr6, ... */
const EC2_GPU_INSTANCE = /^(p\d|g\d|gr\d)[a-z0-9-]*\./i;
/** GCE machine families with GPUs attached by the machine type itself (A2, A3, A4, G2, G4). */
const GCE_GPU_MACHINE = /^(a2|a3|a4|g2|g4)-/i;
/** Azure GPU VM sizes: the N family (NC, ND, NV). */
const AZURE_GPU_VM = /^Standard_N/i;

const SCALE_RULE = "GPU pools must scale to zero";
const TAINT_RULE = `GPU pools must carry the taint ${GPU_POOL_TAINT.key}=${GPU_POOL_TAINT.value}:${GPU_POOL_TAINT.effect} so only GPU workloads land there`;

/**
 * `gpu-pools-tainted-and-scale-to-zero`: GPU node pools keep other pods off (taint
 * `nvidia.com/gpu=present:NoSchedule`) and cost nothing when idle (autoscaling down to zero).
 *
 * - EKS NodeGroup with an NVIDIA AMI or GPU instance types: a `taints` entry with key
 *   `nvidia.com/gpu` and effect `NO_SCHEDULE`; `scalingConfig.minSize` 0.
 * - GKE NodePool with `nodeConfig.guestAccelerators` (or an accelerator-optimized machine type): a
 *   `nodeConfig.taints` entry with that key and effect `NO_SCHEDULE`; `autoscaling` with
 *   `minNodeCount` / `totalMinNodeCount` 0.
 * - AKS AgentPool, and User-mode `agentPoolProfiles` of a ManagedCluster, with an N-series
 *   `vmSize`: `nodeTaints` containing `nvidia.com/gpu=<value>:NoSchedule`; `enableAutoScaling`
 *   true; `minCount` 0.
 */
export const gpuPoolsTaintedAndScaleToZero: ResourceValidationPolicy = {
  name: "gpu-pools-tainted-and-scale-to-zero",
  description: "GPU node pools must be tainted nvidia.com/gpu=present:NoSchedule and autoscale down to zero nodes.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: (args, reportViolation) => {
    const flag = (path: PropertyPath, value: unknown, rule: string) => reportViolation(violationMessage(args, path, value, rule));
    switch (args.type) {
      case TYPES.eksNodeGroup:
        return checkEksNodeGroup(args, flag);
      case TYPES.gkeNodePool:
        return checkGkeNodePool(args, flag);
      case TYPES.aksAgentPool:
        return checkAksPool(args.props, [], flag);
      case TYPES.aksCluster: {
        const pools = arrayAt(args.props, ["agentPoolProfiles"]);
        if (pools === UNKNOWN) return;
        pools.forEach((pool, i) => {
          if (propertyAt(pool, ["mode"]) === "User") checkAksPool(pool, ["agentPoolProfiles", i], flag);
        });
        return;
      }
    }
  },
};

type Flag = (path: PropertyPath, value: unknown, rule: string) => void;

/** Whether a taint list (EKS/GKE objects) has the GPU key with a NoSchedule effect in the provider's spelling. */
function hasGpuTaint(taints: unknown[], effect: string): boolean {
  return taints.some((t) => propertyAt(t, ["key"]) === GPU_POOL_TAINT.key && propertyAt(t, ["effect"]) === effect);
}

function checkEksNodeGroup(args: ResourceValidationArgs, flag: Flag): void {
  const ami = propertyAt(args.props, ["amiType"]);
  const instances = arrayAt(args.props, ["instanceTypes"]);
  const gpu = (typeof ami === "string" && EKS_GPU_AMI.test(ami)) || (instances !== UNKNOWN && instances.some((t) => typeof t === "string" && EC2_GPU_INSTANCE.test(t)));
  if (!gpu) return;
  const taints = arrayAt(args.props, ["taints"]);
  if (taints !== UNKNOWN && !hasGpuTaint(taints, "NO_SCHEDULE")) flag(["taints"], propertyAt(args.props, ["taints"]), `${TAINT_RULE} (EKS effect "NO_SCHEDULE")`);
  const min = propertyAt(args.props, ["scalingConfig", "minSize"]);
  if (min !== 0 && min !== UNKNOWN) flag(["scalingConfig", "minSize"], min, SCALE_RULE);
}

function checkGkeNodePool(args: ResourceValidationArgs, flag: Flag): void {
  const accelerators = arrayAt(args.props, ["nodeConfig", "guestAccelerators"]);
  const machine = propertyAt(args.props, ["nodeConfig", "machineType"]);
  const gpu = (accelerators !== UNKNOWN && accelerators.some((a) => propertyAt(a, ["count"]) !== 0)) || (typeof machine === "string" && GCE_GPU_MACHINE.test(machine));
  if (!gpu) return;
  const taints = arrayAt(args.props, ["nodeConfig", "taints"]);
  if (taints !== UNKNOWN && !hasGpuTaint(taints, "NO_SCHEDULE")) flag(["nodeConfig", "taints"], propertyAt(args.props, ["nodeConfig", "taints"]), `${TAINT_RULE} (GKE effect "NO_SCHEDULE")`);
  const autoscaling = propertyAt(args.props, ["autoscaling"]);
  if (autoscaling === UNKNOWN) return;
  if (isUnset(autoscaling)) {
    flag(["autoscaling"], autoscaling, `${SCALE_RULE} (set autoscaling with minNodeCount 0)`);
    return;
  }
  for (const key of ["totalMinNodeCount", "minNodeCount"]) {
    const min = propertyAt(autoscaling, [key]);
    if (!isUnset(min) && min !== 0 && min !== UNKNOWN) flag(["autoscaling", key], min, SCALE_RULE);
  }
}

function checkAksPool(pool: unknown, at: PropertyPath, flag: Flag): void {
  const size = propertyAt(pool, ["vmSize"]);
  if (!(typeof size === "string" && AZURE_GPU_VM.test(size))) return;
  const taints = arrayAt(pool, ["nodeTaints"]);
  const wanted = new RegExp(`^${GPU_POOL_TAINT.key.replace(/\./g, "\\.")}(=[^:]*)?:${GPU_POOL_TAINT.effect}$`);
  if (taints !== UNKNOWN && !taints.some((t) => typeof t === "string" && wanted.test(t))) {
    flag([...at, "nodeTaints"], propertyAt(pool, ["nodeTaints"]), `${TAINT_RULE} (AKS: "${GPU_POOL_TAINT.key}=${GPU_POOL_TAINT.value}:${GPU_POOL_TAINT.effect}")`);
  }
  const autoscale = propertyAt(pool, ["enableAutoScaling"]);
  if (autoscale !== true && autoscale !== UNKNOWN) flag([...at, "enableAutoScaling"], autoscale, `${SCALE_RULE} (enableAutoScaling true)`);
  const min = propertyAt(pool, ["minCount"]);
  if (min !== 0 && min !== UNKNOWN) flag([...at, "minCount"], min, SCALE_RULE);
}
