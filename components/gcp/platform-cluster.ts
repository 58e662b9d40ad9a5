import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type CloudClusterContext, providerConfig } from "../platform/cloud-module.ts";
import type { gcpPlatformSection } from "./cloud.ts";
import { GcpCluster } from "./gcp-cluster.ts";

/** A platform's GcpCluster, with an explicit provider for the platform's region carrying the stack's other `gcp:` settings. */
export function createGcpPlatformCluster(name: string, parent: pulumi.Resource, section: z.output<typeof gcpPlatformSection> | undefined, context: CloudClusterContext): GcpCluster {
  const settings = providerConfig("gcp");
  const provider = new gcp.Provider(`${name}-gcp`, { ...settings, region: context.region, project: section?.project ?? (settings.project as string | undefined) }, { parent });
  const { retrainedModel: _, ...common } = context;
  return new GcpCluster(`${name}-gcp`, { ...section, ...common }, { parent, providers: [provider] });
}
