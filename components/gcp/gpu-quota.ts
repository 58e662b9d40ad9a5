/**
 * The regional Compute Engine quota metric each GKE accelerator type counts against
 * (`NVIDIA_<model>_GPUS`; Spot VMs use `PREEMPTIBLE_NVIDIA_<model>_GPUS` instead). Every GPU also
 * counts against the project-wide `GPUS_ALL_REGIONS`, which is 0 on new projects.
 */
export const GKE_GPU_QUOTA_METRICS: Readonly<Record<string, string>> = Object.freeze({
  "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
  "nvidia-tesla-v100": "NVIDIA_V100_GPUS",
  "nvidia-tesla-p4": "NVIDIA_P4_GPUS",
  "nvidia-tesla-p100": "NVIDIA_P100_GPUS",
  "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
  "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
  "nvidia-l4": "NVIDIA_L4_GPUS",
  "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
  "nvidia-h100-mega-80gb": "NVIDIA_H100_MEGA_GPUS",
  "nvidia-h200-141gb": "NVIDIA_H200_GPUS",
  "nvidia-b200": "NVIDIA_B200_GPUS",
  "nvidia-rtx-pro-6000": "NVIDIA_RTX_PRO_6000_GPUS",
});

/** The project-wide GPU quota every GPU counts against. */
export const GKE_GLOBAL_GPU_QUOTA = "GPUS_ALL_REGIONS";

/** A GPU pool as far as quotas care. */
export interface GkeQuotaPool {
  /** Pool name. */
  name: string;
  /** GKE accelerator type. */
  accelerator: string;
  /** GPUs per node. */
  acceleratorCount: number;
  /** Most nodes: the pool's total in a regional cluster, per zone in a zonal one. */
  maxNodes: number;
  /** Zones of a zonal cluster's pool (its bounds apply per zone). @default - one zone */
  zones?: readonly string[];
  /** Spot VMs (preemptible quota). */
  spot: boolean;
}

/** The regional quota metric of a pool: `PREEMPTIBLE_` for spot pools. */
export function gpuQuotaMetric(accelerator: string, spot: boolean): string | undefined {
  const metric = GKE_GPU_QUOTA_METRICS[accelerator];
  return metric === undefined ? undefined : `${spot ? "PREEMPTIBLE_" : ""}${metric}`;
}

/** GPUs a pool holds at its upper bound. */
export function poolMaxGpus(p: GkeQuotaPool, regional: boolean): number {
  return p.maxNodes * (regional ? 1 : Math.max(1, p.zones?.length ?? 1)) * p.acceleratorCount;
}

/**
 * The info line a GKE cluster with GPU pools logs at preview: the global `GPUS_ALL_REGIONS` and
 * each regional accelerator quota, with the GPUs the pools need at their upper bounds and the
 * gcloud commands to read the current limits. Undefined without GPU pools.
 */
export function gkeGpuQuotaMessage(pools: readonly GkeQuotaPool[], region: string, regional: boolean, project?: string): string | undefined {
  if (pools.length === 0) return undefined;
  const needs = new Map<string, { gpus: number; pools: string[] }>();
  let total = 0;
  for (const p of pools) {
    const gpus = poolMaxGpus(p, regional);
    total += gpus;
    const metric = gpuQuotaMetric(p.accelerator, p.spot) ?? `the ${p.accelerator} quota`;
    const need = needs.get(metric) ?? { gpus: 0, pools: [] };
    need.gpus += gpus;
    need.pools.push(`${p.name} (${gpus} x ${p.accelerator}${p.spot ? ", spot" : ""})`);
    needs.set(metric, need);
  }
  const flag = project === undefined ? "" : ` --project ${project}`;
  const lines = [
    `${GKE_GLOBAL_GPU_QUOTA} (global) needs ${total}: check it with \`gcloud compute project-info describe${flag} --flatten=quotas --filter=quotas.metric=${GKE_GLOBAL_GPU_QUOTA}\``,
    ...[...needs.entries()].map(
      ([metric, need]) =>
        `${metric} (${region}) needs ${need.gpus} for ${need.pools.join(", ")}: check it with \`gcloud compute regions describe ${region}${flag} --flatten=quotas --filter=quotas.metric=${metric}\``,
    ),
  ];
  return (
    `GKE GPU pools draw on Compute Engine GPU quotas, and ${GKE_GLOBAL_GPU_QUOTA} is 0 on new projects; until they are raised, GPU pods stay Pending ` +
    `(the autoscaler's scale-up fails with QUOTA_EXCEEDED / GPUS_ALL_REGIONS). Request:\n  - ${lines.join("\n  - ")}\n` +
    `(IAM & Admin > Quotas & system limits: https://console.cloud.google.com/iam-admin/quotas)`
  );
}
