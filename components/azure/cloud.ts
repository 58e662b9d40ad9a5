// Azure as a platform cloud (see platform/cloud-module.ts). @pulumi/azure-native loads only in `create`.
import type { CloudModule } from "../platform/cloud-module.ts";
import { loadCloudPart } from "../platform/cloud-module.ts";
import { azureSynth } from "./synth.ts";
import { azureClusterOptions, checkAzureClusterOptions } from "./options.ts";

/** The `azure` section of a platform: AzureCluster's options; the platform's `region` is the cluster's location. */
export const azurePlatformSection = azureClusterOptions.omit({ region: true });

export const azureCloud: CloudModule<typeof azurePlatformSection> = {
  section: azurePlatformSection,
  sdk: { name: "@pulumi/azure-native", range: "^3.28.0" },
  synth: azureSynth,
  check: (section, region, ctx, path) => {
    if (section !== undefined) checkAzureClusterOptions({ ...section, region }, ctx, path as (string | number)[]);
  },
  create(name, parent, section, context) {
    const part = loadCloudPart<typeof import("./platform-cluster.ts")>(import.meta.url, "./platform-cluster", "azure", azureCloud.sdk);
    return part.createAzurePlatformCluster(name, parent, section, context);
  },
};
