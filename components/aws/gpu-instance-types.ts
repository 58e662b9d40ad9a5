/** An NVIDIA GPU instance family: CPU architecture, the GPU, GPUs per size and its EC2 quota class. */
export interface GpuInstanceFamily {
  /** CPU architecture (which NVIDIA AMI type the node group needs). */
  arch: "x86_64" | "arm64";
  /** The GPU, as the `k8s.amazonaws.com/accelerator` node label names it (`nvidia-a10g`). */
  accelerator: string;
  /** NVIDIA GPUs per instance size (the Cluster Autoscaler's `node-template/resources/nvidia.com/gpu` hint). */
  gpus: Readonly<Record<string, number>>;
  /** vCPUs of the `metal` size (every other size has 4 per `xlarge`). */
  metalVcpus?: number;
  /** The EC2 vCPU quota class the family counts against: G and VT, or P. */
  quota: "G" | "P";
}

/**
 * EC2 instance families with NVIDIA GPUs that the EKS NVIDIA AMIs support. AMD (g4ad),
 * Inferentia/Trainium and fractional-GPU (g6f) families are left out: they do not expose
 * `nvidia.com/gpu` whole GPUs.
 */
export const GPU_INSTANCE_FAMILIES: Readonly<Record<string, GpuInstanceFamily>> = Object.freeze({
  g4dn: { arch: "x86_64", accelerator: "nvidia-tesla-t4", quota: "G", metalVcpus: 96, gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, metal: 8 } },
  g5: { arch: "x86_64", accelerator: "nvidia-a10g", quota: "G", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  g5g: { arch: "arm64", accelerator: "nvidia-t4g", quota: "G", metalVcpus: 64, gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, metal: 2 } },
  g6: { arch: "x86_64", accelerator: "nvidia-l4", quota: "G", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  g6e: { arch: "x86_64", accelerator: "nvidia-l40s", quota: "G", gpus: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8 } },
  gr6: { arch: "x86_64", accelerator: "nvidia-l4", quota: "G", gpus: { "4xlarge": 1, "8xlarge": 1 } },
  p4d: { arch: "x86_64", accelerator: "nvidia-a100", quota: "P", gpus: { "24xlarge": 8 } },
  p4de: { arch: "x86_64", accelerator: "nvidia-a100-80gb", quota: "P", gpus: { "24xlarge": 8 } },
  p5: { arch: "x86_64", accelerator: "nvidia-h100", quota: "P", gpus: { "4xlarge": 1, "48xlarge": 8 } },
  p5e: { arch: "x86_64", accelerator: "nvidia-h200", quota: "P", gpus: { "48xlarge": 8 } },
  p5en: { arch: "x86_64", accelerator: "nvidia-h200", quota: "P", gpus: { "48xlarge": 8 } },
  "p6-b200": { arch: "x86_64", accelerator: "nvidia-b200", quota: "P", gpus: { "48xlarge": 8 } },
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

/** The GPU family of an instance type; undefined for a CPU type. */
export function gpuFamilyOf(instanceType: string): GpuInstanceFamily | undefined {
  const parts = splitInstanceType(instanceType);
  return parts !== undefined && Object.hasOwn(GPU_INSTANCE_FAMILIES, parts.family) ? GPU_INSTANCE_FAMILIES[parts.family] : undefined;
}

/** NVIDIA GPUs of one instance; undefined for a size the table does not know (the autoscaler then reads it from EC2). */
export function gpusPerInstance(instanceType: string): number | undefined {
  return gpuFamilyOf(instanceType)?.gpus[splitInstanceType(instanceType)?.size ?? ""];
}

/**
 * vCPUs of one GPU instance (what the EC2 vCPU quotas count): 4 per `xlarge` (`xlarge` 4,
 * `12xlarge` 48), the family's `metalVcpus` for `metal`; undefined for anything else.
 */
export function vcpusPerInstance(instanceType: string): number | undefined {
  const family = gpuFamilyOf(instanceType);
  const size = splitInstanceType(instanceType)?.size;
  if (family === undefined || size === undefined) return undefined;
  if (size === "metal") return family.metalVcpus;
  const m = /^([0-9]*)xlarge$/.exec(size);
  return m ? 4 * Number(m[1] || 1) : undefined;
}

/**
 * The EKS managed node group AMI type for an instance type: the AL2023 NVIDIA AMIs (driver and
 * container toolkit preinstalled, no device plugin) for GPU types, AL2023 standard otherwise;
 * ARM variants for Graviton families (`m7g`, `t4g`, `g5g`, ...).
 */
export function amiTypeFor(instanceType: string): "AL2023_x86_64_NVIDIA" | "AL2023_ARM_64_NVIDIA" | "AL2023_x86_64_STANDARD" | "AL2023_ARM_64_STANDARD" {
  const parts = splitInstanceType(instanceType);
  const gpu = gpuFamilyOf(instanceType);
  if (gpu) return gpu.arch === "arm64" ? "AL2023_ARM_64_NVIDIA" : "AL2023_x86_64_NVIDIA";
  // Graviton families carry a `g` right after the generation digit (m7g, c6gn, r8gd, t4g).
  return parts && /^[a-z]+[0-9]+g[a-z]*$/.test(parts.family) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}
