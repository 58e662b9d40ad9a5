/**
 * The parts of @pulumi/kubernetes the components use, imported API group by API group. Importing
 * the package root makes every consumer's `tsc` load the declarations of every group (about 670
 * files); these deep paths load only the groups below. Call sites keep their shape:
 * `import * as k8s from "../kubernetes/sdk.ts"`, then `k8s.core.v1.Namespace`. A group used for the
 * first time is added here.
 * test/packaging/sdk-imports.test.ts fails if a component imports the root again.
 */
export * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
export * as apps from "@pulumi/kubernetes/apps/index.js";
export * as autoscaling from "@pulumi/kubernetes/autoscaling/index.js";
export * as batch from "@pulumi/kubernetes/batch/index.js";
export * as core from "@pulumi/kubernetes/core/index.js";
export * as helm from "./sdk-helm.ts";
export * as networking from "@pulumi/kubernetes/networking/index.js";
export * as policy from "@pulumi/kubernetes/policy/index.js";
export * as rbac from "@pulumi/kubernetes/rbac/index.js";
export * as storage from "@pulumi/kubernetes/storage/index.js";
export { Provider, type ProviderArgs } from "@pulumi/kubernetes/provider.js";
export type * as types from "@pulumi/kubernetes/types/index.js";
