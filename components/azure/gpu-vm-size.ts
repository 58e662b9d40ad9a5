/** An Azure NVIDIA GPU VM family AKS can run GPU node pools on. */
export interface AzureGpuVmFamily {
  /** Family as Azure names it. */
  family: string;
  /** Size names of the family, e.g. `Standard_NC*as_T4_v3`. */
  sizes: string;
  /** Matches the family's size names (case-insensitive, as Azure compares them). */
  pattern: RegExp;
  /** The regional vCPU quota on-demand nodes of the family draw on, as the portal and `az vm list-usage` name it. */
  quota: string;
}

/**
 * NVIDIA GPU families AKS supports for Linux GPU node pools with the AKS-installed driver.
 * AMD families (NVv4, NGads V620, ND MI300X) are left out: the NVIDIA driver and device plugin
 * do not apply to them; NCv3 (V100) and the other retired families are left out too.
 */
export const AZURE_GPU_VM_FAMILIES: readonly AzureGpuVmFamily[] = Object.freeze([
  { family: "NCasT4_v3 (T4)", sizes: "Standard_NC*as_T4_v3", pattern: /^Standard_NC\d+as_T4_v3$/i, quota: "Standard NCASv3_T4 Family vCPUs" },
  { family: "NC A100 v4", sizes: "Standard_NC*ads_A100_v4", pattern: /^Standard_NC\d+ads_A100_v4$/i, quota: "Standard NCADS_A100_v4 Family vCPUs" },
  { family: "NCads H100 v5", sizes: "Standard_NC*ads_H100_v5", pattern: /^Standard_NCC?\d+adi?s_H100_v5$/i, quota: "Standard NCadsH100v5 Family vCPUs" },
  { family: "NVadsA10 v5 (A10)", sizes: "Standard_NV*ads_A10_v5", pattern: /^Standard_NV\d+adm?s_A10_v5$/i, quota: "Standard NVADSA10v5 Family vCPUs" },
  { family: "ND A100 v4", sizes: "Standard_ND*asr_v4, Standard_ND*amsr_A100_v4", pattern: /^Standard_ND\d+(asr_v4|amsr_A100_v4)$/i, quota: "Standard NDASv4_A100 Family vCPUs" },
  { family: "ND H100/H200 v5", sizes: "Standard_ND*isr_H100_v5, Standard_ND*isr_H200_v5", pattern: /^Standard_ND\d+isr_H[12]00_v5$/i, quota: "Standard NDSH100v5 Family vCPUs" },
]);

/** True when `vmSize` is a size of one of {@link AZURE_GPU_VM_FAMILIES}. */
export function isAzureGpuVmSize(vmSize: string): boolean {
  return AZURE_GPU_VM_FAMILIES.some((f) => f.pattern.test(vmSize));
}

/** Why `vmSize` is not accepted as a GPU pool size, naming the families that are. */
export function notAGpuVmSizeMessage(vmSize: string): string {
  return `${JSON.stringify(vmSize)} is not an NVIDIA GPU VM size of Azure (${AZURE_GPU_VM_FAMILIES.map((f) => f.sizes).join(", ")})`;
}

/** The family of `vmSize`; undefined when it is none of {@link AZURE_GPU_VM_FAMILIES}. */
export function azureGpuFamilyOf(vmSize: string): AzureGpuVmFamily | undefined {
  return AZURE_GPU_VM_FAMILIES.find((f) => f.pattern.test(vmSize));
}

/** vCPUs of an Azure size: the number after the series letters (`Standard_NC4as_T4_v3` → 4). */
export function azureVcpusOf(vmSize: string): number | undefined {
  const m = /^Standard_[A-Z]+?(\d+)/i.exec(vmSize);
  return m ? Number(m[1]) : undefined;
}
