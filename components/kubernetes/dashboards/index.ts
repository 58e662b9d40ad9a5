export * from "./builder.ts";
export * from "./promql.ts";
export * from "./mlops-dashboards.ts";
