/**
 * The parts of @pulumi/azure-native the components use, imported module by module. Importing the
 * package root makes every consumer's `tsc` load the declarations of all Azure modules (thousands of
 * files); these deep paths load only the modules below. Call sites keep their shape:
 * `import * as azure from "./sdk.ts"`, then `azure.containerservice.ManagedCluster`. A module used
 * for the first time is added here.
 * test/packaging/sdk-imports.test.ts fails if a component imports the root again.
 */
export * as authorization from "@pulumi/azure-native/authorization/index.js";
export * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
export * as containerservice from "@pulumi/azure-native/containerservice/index.js";
export * as keyvault from "@pulumi/azure-native/keyvault/index.js";
export * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
export * as monitor from "@pulumi/azure-native/monitor/index.js";
export * as network from "@pulumi/azure-native/network/index.js";
export * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
export * as resources from "@pulumi/azure-native/resources/index.js";
export * as security from "@pulumi/azure-native/security/index.js";
export * as storage from "@pulumi/azure-native/storage/index.js";
export { Provider, type ProviderArgs } from "@pulumi/azure-native/provider.js";
