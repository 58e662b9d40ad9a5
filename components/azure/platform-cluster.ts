import * as azure from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type CloudClusterContext, providerConfig, withFeedbackModels } from "../platform/cloud-module.ts";
import { AzureCluster } from "./azure-cluster.ts";
import type { azurePlatformSection } from "./cloud.ts";

/** A platform's AzureCluster, with an explicit provider for the platform's location carrying the stack's other `azure-native:` settings. */
export function createAzurePlatformCluster(name: string, parent: pulumi.Resource, section: z.output<typeof azurePlatformSection> | undefined, context: CloudClusterContext): AzureCluster {
  const provider = new azure.Provider(`${name}-azure`, { ...providerConfig("azure-native"), location: context.region }, { parent });
  const { retrainedModel, ...common } = context;
  return new AzureCluster(`${name}-azure`, { ...withFeedbackModels(section, retrainedModel), ...common }, { parent, providers: [provider] });
}
