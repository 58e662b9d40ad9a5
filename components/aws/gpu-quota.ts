import { gpuFamilyOf, vcpusPerInstance } from "./gpu-instance-types.ts";

/** One EC2 vCPU quota (service code `ec2`) that GPU instances count against. */
export interface Ec2Quota {
  /** The quota's name in Service Quotas. */
  name: string;
  /** Its quota code. */
  code: string;
}

/**
 * The EC2 vCPU quotas GPU node groups draw from, by quota class and capacity type
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html). New accounts
 * often start at 0 for these, and a node group then never gets an instance.
 */
export const GPU_QUOTAS: Readonly<Record<"G" | "P", Readonly<Record<"onDemand" | "spot", Ec2Quota>>>> = Object.freeze({
  G: { onDemand: { name: "Running On-Demand G and VT instances", code: "L-DB2E81BA" }, spot: { name: "All G and VT Spot Instance Requests", code: "L-3819A6DF" } },
  P: { onDemand: { name: "Running On-Demand P instances", code: "L-417A185B" }, spot: { name: "All P Spot Instance Requests", code: "L-7212CCBC" } },
});

/** A GPU pool as far as quotas care. */
export interface QuotaPool {
  /** Pool name. */
  name: string;
  /** GPU instance type. */
  instanceType: string;
  /** Most nodes. */
  maxNodes: number;
  /** Spot capacity. */
  spot: boolean;
}

/**
 * The info line a cluster with GPU pools logs at preview: per quota the pools drawing on it, the
 * vCPUs they need at `maxNodes`, and the Service Quotas CLI commands to check and raise it.
 * Undefined without GPU pools.
 */
export function gpuQuotaMessage(pools: readonly QuotaPool[], region: string): string | undefined {
  const needs = new Map<string, { quota: Ec2Quota; vcpus: number; pools: string[] }>();
  for (const p of pools) {
    const family = gpuFamilyOf(p.instanceType);
    if (family === undefined) continue;
    const quota = GPU_QUOTAS[family.quota][p.spot ? "spot" : "onDemand"];
    const vcpus = (vcpusPerInstance(p.instanceType) ?? 0) * p.maxNodes;
    const need = needs.get(quota.code) ?? { quota, vcpus: 0, pools: [] };
    need.vcpus += vcpus;
    need.pools.push(`${p.name} (${p.maxNodes} x ${p.instanceType}${p.spot ? ", spot" : ""})`);
    needs.set(quota.code, need);
  }
  if (needs.size === 0) return undefined;
  const lines = [...needs.values()].map(
    ({ quota, vcpus, pools: names }) =>
      `"${quota.name}" (${quota.code}) needs ${vcpus > 0 ? `${vcpus} vCPUs` : "the vCPUs of the pool's instances"} for ${names.join(", ")}: ` +
      `check it with \`aws service-quotas get-service-quota --service-code ec2 --quota-code ${quota.code} --region ${region}\`, ` +
      `raise it with \`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${quota.code} --desired-value ${vcpus || 8} --region ${region}\``,
  );
  return (
    `GPU node groups draw on EC2 vCPU quotas that are 0 on many new accounts; until they are raised, GPU pods stay Pending ` +
    `(the node group's scaling activities fail with VcpuLimitExceeded / MaxSpotInstanceCountExceeded). In ${region}:\n  - ${lines.join("\n  - ")}\n` +
    `(or the Service Quotas console: https://console.aws.amazon.com/servicequotas/home/services/ec2/quotas)`
  );
}
