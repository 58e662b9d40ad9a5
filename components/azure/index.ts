export { AKS_CONTROL_PLANE_LOGS, SYSTEM_POOL_NAME } from "./aks-cluster.ts";
export { AKS_AAD_SERVER_ID, KUBELOGIN_MODES, type KubeloginMode, kubeloginKubeconfig } from "./aks-kubeconfig.ts";
export { AzureCluster, type AzureClusterArgs, type AzureClusterOptions, azureClusterOptions, checkAzureClusterOptions, azureGpuPoolOptions, azureGpuScheduling } from "./azure-cluster.ts";
export { AKS_SPOT_TAINT } from "./gpu-node-pool.ts";
export { AZURE_GPU_VM_FAMILIES, type AzureGpuVmFamily, isAzureGpuVmSize } from "./gpu-vm-size.ts";
