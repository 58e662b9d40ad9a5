/**
 * EC2 instance families with NVIDIA GPUs that the EKS NVIDIA AMIs support, with the GPU count of
 * each size (the Cluster Autoscaler's `node-template/resources/nvidia.com/gpu` hint) and the CPU
 * architecture (which NVIDIA AMI type the node group needs). AMD (g4ad), Inferentia/Trainium and
 * fractional-GPU (g6f) families are left out: they do not expose `nvidia.com/gpu` whole GPUs.
 */
export const GPU_INSTANCE_FAMILIES: Readonly<Record<string, { arch: "x86_64" | "arm64"; gpus: Readonly<Record<string, number>> }>> = Object.freeze({
  g4dn: { arch: "x86_64", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, metal: 8 } },
  g5: { arch: "x86_64", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  g5g: { arch: "arm64", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, metal: 2 } },
  g6: { arch: "x86_64", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  g6e: { arch: "x86_64", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  gr6: { arch: "x86_64", gpus: { "4xlarge": 1, "8xlarge": 1 } },
  p4d: { arch: "x86_64", gpus: { "24xlarge": 8 } },
  p4de: { arch: "x86_64", gpus: { "24xlarge": 8 } },
  p5: { arch: "x86_64", gpus: { "4xlarge": 1, "48xlarge": 8 } },
  p5e: { arch: "x86_64", gpus: { "48xlarge": 8 } },
  p5en: { arch: "x86_64", gpus: { "48xlarge": 8 } },
  "p6-b200": { arch: "x86_64", gpus: { "48xlarge": 8 } },
});

/** The family and size of an instance type (`g5.xlarge` → `g5`, `xlarge`); undefined when it is not `<family>.<size>`. */
export function splitInstanceType(instanceType: string): { family: string; size: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(instanceType);
  return m ? { family: m[1] as string, size: m[2] as string } : undefined;
}

/** True when the instance type belongs to a family of {@link GPU_INSTANCE_FAMILIES}. */
export function isGpuInstanceType(instanceType: string): boolean {
  const parts = splitInstanceType(instanceType);
  return parts !== undefined && Object.hasOwn(GPU_INSTANCE_FAMILIES, parts.family);
}

/** NVIDIA GPUs of one instance; undefined for a size the table does not know (the autoscaler then reads it from EC2). */
export function gpusPerInstance(instanceType: string): number | undefined {
  const parts = splitInstanceType(instanceType);
  if (parts === undefined || !Object.hasOwn(GPU_INSTANCE_FAMILIES, parts.family)) return undefined;
  return GPU_INSTANCE_FAMILIES[parts.family]?.gpus[parts.size];
}

/**
 * The EKS managed node group AMI type for an instance type: the AL2023 NVIDIA AMIs (driver and
 * container toolkit preinstalled, no device plugin) for GPU types, AL2023 standard otherwise;
 * ARM variants for Graviton families (`m7g`, `t4g`, `g5g`, ...).
 */
export function amiTypeFor(instanceType: string): "AL2023_x86_64_NVIDIA" | "AL2023_ARM_64_NVIDIA" | "AL2023_x86_64_STANDARD" | "AL2023_ARM_64_STANDARD" {
  const parts = splitInstanceType(instanceType);
  const gpu = parts && Object.hasOwn(GPU_INSTANCE_FAMILIES, parts.family) ? GPU_INSTANCE_FAMILIES[parts.family] : undefined;
  if (gpu) return gpu.arch === "arm64" ? "AL2023_ARM_64_NVIDIA" : "AL2023_x86_64_NVIDIA";
  // Graviton families carry a `g` right after the generation digit (m7g, c6gn, r8gd, t4g).
  return parts && /^[a-z]+[0-9]+g[a-z]*$/.test(parts.family) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}
