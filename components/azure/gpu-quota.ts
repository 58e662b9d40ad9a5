import { azureGpuFamilyOf, azureVcpusOf } from "./gpu-vm-size.ts";

/** The regional quota every spot (low-priority) VM of any family draws on. */
export const AZURE_SPOT_QUOTA = "Total Regional Spot vCPUs";

/** The regional quota every on-demand VM draws on, besides its family's. */
export const AZURE_REGIONAL_QUOTA = "Total Regional vCPUs";

/** A GPU pool as far as quotas care. */
export interface AzureQuotaPool {
  name: string;
  vmSize: string;
  maxNodes: number;
  spot: boolean;
}

/**
 * The info line a cluster with GPU pools logs at preview: per Compute quota the pools drawing on it
 * and the vCPUs they need at `maxNodes`, and how to check and raise it. New subscriptions start the
 * NC/ND/NV family quotas and spot quota at 0 (or a few vCPUs), so a GPU pool scales from zero to
 * nothing: the autoscaler's scale-up fails with a QuotaExceeded / OperationNotAllowed error and GPU
 * pods stay Pending. Spot VMs count against the regional spot quota only, on-demand ones against
 * their family's and the regional total. Undefined without GPU pools.
 */
export function azureGpuQuotaMessage(pools: readonly AzureQuotaPool[], region: string): string | undefined {
  const needs = new Map<string, { vcpus: number; pools: string[] }>();
  const add = (quota: string, vcpus: number, pool: string) => {
    const need = needs.get(quota) ?? { vcpus: 0, pools: [] };
    need.vcpus += vcpus;
    if (!need.pools.includes(pool)) need.pools.push(pool);
    needs.set(quota, need);
  };
  for (const p of pools) {
    const family = azureGpuFamilyOf(p.vmSize);
    if (family === undefined) continue;
    const vcpus = (azureVcpusOf(p.vmSize) ?? 0) * p.maxNodes;
    const label = `${p.name} (${p.maxNodes} x ${p.vmSize}${p.spot ? ", spot" : ""})`;
    if (p.spot) add(AZURE_SPOT_QUOTA, vcpus, label);
    else {
      add(family.quota, vcpus, label);
      add(AZURE_REGIONAL_QUOTA, vcpus, label);
    }
  }
  if (needs.size === 0) return undefined;
  const lines = [...needs].map(([quota, n]) => `"${quota}" needs ${n.vcpus} vCPUs for ${n.pools.join(", ")}`);
  return (
    `GPU node pools draw on Azure Compute vCPU quotas that are 0 (or a few vCPUs) on new subscriptions; until they are raised, GPU pods stay Pending ` +
    `(the autoscaler's scale-up fails with QuotaExceeded). In ${region}:\n  - ${lines.join("\n  - ")}\n` +
    `Check them with \`az vm list-usage --location ${region} -o table\`; request an increase in the portal (Quotas → Compute, region ${region}) or with \`az quota update\`.`
  );
}
