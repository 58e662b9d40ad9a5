export * from "./platform/index.ts";
export * from "./kubernetes/index.ts";
export * from "./aws/index.ts";
export * from "./gcp/index.ts";
export * from "./azure/index.ts";
