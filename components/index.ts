export * from "./platform/index.ts";
export * from "./kubernetes/index.ts";
