// GCP as a platform cloud (see platform/cloud-module.ts). @pulumi/gcp loads only in `create`.
import type { CloudModule } from "../platform/cloud-module.ts";
import { loadCloudPart } from "../platform/cloud-module.ts";
import { gcpSynth } from "./synth.ts";
import { checkGcpClusterOptions, gcpClusterOptions } from "./options.ts";

/** The `gcp` section of a platform: GcpCluster's options; the platform's `region` is the cluster's. */
export const gcpPlatformSection = gcpClusterOptions.omit({ region: true });

export const gcpCloud: CloudModule<typeof gcpPlatformSection> = {
  section: gcpPlatformSection,
  sdk: { name: "@pulumi/gcp", range: "^9.37.0" },
  synth: gcpSynth,
  check: (section, region, ctx, path) => {
    if (section !== undefined) checkGcpClusterOptions({ ...section, region }, ctx, path);
  },
  create(name, parent, section, context) {
    const part = loadCloudPart<typeof import("./platform-cluster.ts")>(import.meta.url, "./platform-cluster", "gcp", gcpCloud.sdk);
    return part.createGcpPlatformCluster(name, parent, section, context);
  },
};
