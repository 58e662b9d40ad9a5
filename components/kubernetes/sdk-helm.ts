/**
 * `k8s.helm` for sdk.ts. helm/v3/index.js also exports the deprecated v3 Chart, whose declarations
 * import @pulumi/kubernetes/yaml and through it every API group (as the package root does); the
 * components use only v3's Release, so v3 is that one module.
 */
export * as v3 from "@pulumi/kubernetes/helm/v3/release.js";
export * as v4 from "@pulumi/kubernetes/helm/v4/index.js";
