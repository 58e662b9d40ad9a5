import type { Policies } from "@pulumi/policy";
import { containersNonRootWithLimits } from "./containers-non-root-with-limits.ts";
import { gpuPoolsTaintedAndScaleToZero } from "./gpu-pools-tainted-and-scale-to-zero.ts";
import { noPublicBuckets } from "./no-public-buckets.ts";
import { noOpenApiEndpoint } from "./no-open-api-endpoint.ts";
import { noPublicEndpointInProduction } from "./no-public-endpoint-in-production.ts";
import { storageEncrypted } from "./storage-encrypted.ts";

/** Every rule of the pulumi-mlops security policy pack, all `mandatory`. */
export const mlopsPolicies: Policies = [noPublicBuckets, storageEncrypted, noPublicEndpointInProduction, noOpenApiEndpoint, gpuPoolsTaintedAndScaleToZero, containersNonRootWithLimits];
