import * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type CloudClusterContext, providerConfig, withFeedbackModels } from "../platform/cloud-module.ts";
import { AwsCluster } from "./aws-cluster.ts";
import type { awsPlatformSection } from "./cloud.ts";

/**
 * The identity the explicit aws provider acts as, for the kubeconfig's `aws eks get-token`: its
 * profile, and the last role of `assumeRoles` (the provider chains them; the CLI assumes one).
 */
function awsCredentials(settings: Record<string, unknown>): { profile?: string; roleArn?: string } {
  const roles = Array.isArray(settings.assumeRoles) ? settings.assumeRoles : settings.assumeRole !== undefined ? [settings.assumeRole] : [];
  const last = roles.at(-1) as { roleArn?: unknown } | undefined;
  return {
    ...(typeof settings.profile === "string" ? { profile: settings.profile } : {}),
    ...(typeof last?.roleArn === "string" ? { roleArn: last.roleArn } : {}),
  };
}

/** A platform's AwsCluster, with an explicit provider for the platform's region carrying the stack's other `aws:` settings. */
export function createAwsPlatformCluster(name: string, parent: pulumi.Resource, section: z.output<typeof awsPlatformSection> | undefined, context: CloudClusterContext): AwsCluster {
  const settings = providerConfig("aws");
  const provider = new aws.Provider(`${name}-aws`, { ...settings, region: context.region as aws.Region }, { parent });
  const { retrainedModel, ...common } = context;
  return new AwsCluster(`${name}-aws`, { ...withFeedbackModels(section, retrainedModel), ...common, credentials: awsCredentials(settings) }, { parent, providers: [provider] });
}
