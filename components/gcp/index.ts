export * from "./gcp-cluster.ts";
export * from "./gke-accelerators.ts";
