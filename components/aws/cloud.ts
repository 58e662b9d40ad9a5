// AWS as a platform cloud (see platform/cloud-module.ts). @pulumi/aws loads only in `create`.
import type { CloudModule } from "../platform/cloud-module.ts";
import { loadCloudPart } from "../platform/cloud-module.ts";
import { awsSynth } from "./synth.ts";
import { awsClusterOptions, checkAwsClusterOptions } from "./options.ts";

/** The `aws` section of a platform: AwsCluster's options; the platform's `region` is the cluster's. */
export const awsPlatformSection = awsClusterOptions.omit({ region: true });

export const awsCloud: CloudModule<typeof awsPlatformSection> = {
  section: awsPlatformSection,
  sdk: { name: "@pulumi/aws", range: "^7.48.0" },
  synth: awsSynth,
  // Even a platform without an `aws` section has checks to pass (the default VPC's CIDR and zones).
  check: (section, _region, ctx, path) => checkAwsClusterOptions(section ?? {}, ctx, path as (string | number)[]),
  create(name, parent, section, context) {
    const part = loadCloudPart<typeof import("./platform-cluster.ts")>(import.meta.url, "./platform-cluster", "aws", awsCloud.sdk);
    return part.createAwsPlatformCluster(name, parent, section, context);
  },
};
