export * from "./gcp-cluster.ts";
export * from "./options.ts";
export * from "./gke-accelerators.ts";
export { GKE_GPU_QUOTA_METRICS, GKE_GLOBAL_GPU_QUOTA, gkeGpuQuotaMessage } from "./gpu-quota.ts";
export { GCP_CLUSTER_APIS } from "./project-services.ts";
