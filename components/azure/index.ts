export { AKS_CONTROL_PLANE_LOGS } from "./aks-cluster.ts";
export { AKS_AAD_SERVER_ID, kubeloginKubeconfig } from "./aks-kubeconfig.ts";
export { KUBELOGIN_MODES, type KubeloginMode } from "./options.ts";
export { AzureCluster, type AzureClusterArgs, type AzureClusterOptions, azureGpuScheduling } from "./azure-cluster.ts";
export { azureClusterOptions, azureGpuPoolOptions, checkAzureClusterOptions, SYSTEM_POOL_NAME } from "./options.ts";
export { AKS_SPOT_TAINT } from "./gpu-node-pool.ts";
export { AZURE_GPU_VM_FAMILIES, type AzureGpuVmFamily, isAzureGpuVmSize } from "./gpu-vm-size.ts";
