/**
 * The parts of @pulumi/gcp the components use, imported module by module. Importing the package
 * root makes every consumer's `tsc` load the declarations of all GCP modules; these deep paths load
 * only the modules below. Call sites keep their shape: `import * as gcp from "./sdk.ts"`, then
 * `gcp.container.Cluster`. A module used for the first time is added here.
 * test/packaging/sdk-imports.test.ts fails if a component imports the root again.
 */
export * as artifactregistry from "@pulumi/gcp/artifactregistry/index.js";
export * as compute from "@pulumi/gcp/compute/index.js";
export * as container from "@pulumi/gcp/container/index.js";
export * as kms from "@pulumi/gcp/kms/index.js";
export * as organizations from "@pulumi/gcp/organizations/index.js";
export * as projects from "@pulumi/gcp/projects/index.js";
export * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
export * as storage from "@pulumi/gcp/storage/index.js";
export { Provider, type ProviderArgs } from "@pulumi/gcp/provider.js";
