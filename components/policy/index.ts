export { type ContainersNonRootWithLimitsConfig, containersNonRootWithLimits } from "./containers-non-root-with-limits.ts";
export { type EvaluatePoliciesOptions, evaluatePolicies, type PolicyInputResource, type PolicyViolation } from "./evaluate-policies.ts";
export { formatViolations } from "./format-violations.ts";
export { GPU_POOL_TAINT, gpuPoolsTaintedAndScaleToZero } from "./gpu-pools-tainted-and-scale-to-zero.ts";
export { mlopsPolicies } from "./mlops-policies.ts";
export { noPublicBuckets, PUBLIC_ACCESS_BLOCK_FLAGS } from "./no-public-buckets.ts";
export { type NoOpenApiEndpointConfig, noOpenApiEndpoint } from "./no-open-api-endpoint.ts";
export { type NoPublicEndpointInProductionConfig, noPublicEndpointInProduction, PRODUCTION_TAG } from "./no-public-endpoint-in-production.ts";
export { type StorageEncryptedConfig, storageEncrypted } from "./storage-encrypted.ts";
