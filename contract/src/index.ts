// @pulumi-mlops/contract: what the component library and the runtime must agree on, and nothing
// that needs either of them (zod only).
export * from "./controller-policy.ts";
export { modelName } from "./model-name.ts";
export { QUALITY_METRICS, type QualityMetric } from "./quality-metrics.ts";
export { RUNTIME_ENV, RUNTIME_PORTS } from "./runtime-env.ts";
