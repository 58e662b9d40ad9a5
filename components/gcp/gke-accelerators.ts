/**
 * GPU accelerator types GKE attaches, each with the Compute Engine machine families that can
 * carry it: N1 takes T4/V100/P4/P100 as attachable GPUs; A2, G2, A3, A4 and G4 machine types come
 * with their GPU built in (so the accelerator must match the family).
 */
export const GKE_ACCELERATORS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  "nvidia-tesla-t4": ["n1-"],
  "nvidia-tesla-v100": ["n1-"],
  "nvidia-tesla-p4": ["n1-"],
  "nvidia-tesla-p100": ["n1-"],
  "nvidia-tesla-a100": ["a2-highgpu-", "a2-megagpu-"],
  "nvidia-a100-80gb": ["a2-ultragpu-"],
  "nvidia-l4": ["g2-"],
  "nvidia-h100-80gb": ["a3-highgpu-", "a3-edgegpu-"],
  "nvidia-h100-mega-80gb": ["a3-megagpu-"],
  "nvidia-h200-141gb": ["a3-ultragpu-"],
  "nvidia-b200": ["a4-highgpu-"],
  "nvidia-rtx-pro-6000": ["g4-standard-"],
});

/** Machine families that carry a GPU, for error messages. */
const GPU_MACHINE_FAMILIES = ["n1", "a2", "g2", "a3", "a4", "g4"] as const;

/** GPUs per machine where the machine type fixes it (A2/A3/A4 `-<n>g` names, G2 sizes). */
function builtInGpuCount(machineType: string): number | undefined {
  const g = /^(a2|a3|a4)-[a-z]+-(\d+)g$/.exec(machineType);
  if (g) return Number(g[2]);
  const g2 = /^g2-standard-(\d+)$/.exec(machineType);
  if (g2) return ({ 4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8 } as Record<number, number>)[Number(g2[1])];
  return undefined;
}

/** One problem with a GPU pool's machine, accelerator or count, keyed by the field it concerns. */
export interface GpuPoolIssue {
  field: "machineType" | "accelerator" | "acceleratorCount";
  message: string;
}

/**
 * Checks that `machineType` is a GPU machine type of Compute Engine, `accelerator` a GKE GPU
 * type, that the two go together and that the count matches what the machine type carries.
 */
export function gpuPoolIssues(machineType: string, accelerator: string, acceleratorCount: number): GpuPoolIssue[] {
  const issues: GpuPoolIssue[] = [];
  const families = GKE_ACCELERATORS[accelerator];
  const family = machineType.split("-")[0] ?? "";
  const machineIsGpu = /^[a-z][a-z0-9]*-[a-z0-9-]+$/.test(machineType) && (GPU_MACHINE_FAMILIES as readonly string[]).includes(family);
  if (families === undefined) {
    issues.push({ field: "accelerator", message: `"${accelerator}" is not a GKE GPU accelerator type (${Object.keys(GKE_ACCELERATORS).join(", ")})` });
  }
  if (!machineIsGpu) {
    issues.push({ field: "machineType", message: `"${machineType}" is not a GPU machine type of Compute Engine (${GPU_MACHINE_FAMILIES.map((f) => `${f}-*`).join(", ")})` });
  }
  if (families !== undefined && machineIsGpu && !families.some((prefix) => machineType.startsWith(prefix))) {
    issues.push({ field: "machineType", message: `"${machineType}" cannot carry ${accelerator}; use ${families.map((p) => `${p}*`).join(" or ")}` });
  }
  const fixed = builtInGpuCount(machineType);
  if (machineIsGpu && fixed !== undefined && fixed !== acceleratorCount) {
    issues.push({ field: "acceleratorCount", message: `${machineType} carries ${fixed} GPU${fixed === 1 ? "" : "s"}, not ${acceleratorCount}` });
  }
  if (family === "n1" && ![1, 2, 4, 8].includes(acceleratorCount)) {
    issues.push({ field: "acceleratorCount", message: `N1 machines take 1, 2, 4 or 8 GPUs, not ${acceleratorCount}` });
  }
  return issues;
}
