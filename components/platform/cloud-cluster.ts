import * as aws from "../aws/sdk.ts";
import * as azure from "../azure/sdk.ts";
import * as gcp from "../gcp/sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { AwsCluster } from "../aws/index.ts";
import { AzureCluster } from "../azure/index.ts";
import { GcpCluster } from "../gcp/index.ts";
import type { CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";
import type { PlatformConfig } from "./platform-config.ts";

/** The parts of the platform config a cloud cluster is built from. */
type CloudConfig = PlatformConfig & { cloud: "aws" | "gcp" | "azure"; region: string };

/**
 * The stack's config of one provider package (`aws:profile`, `gcp:project`, ...) as provider
 * args: an explicit provider reads none of it by itself, so it is handed over here.
 */
function providerConfig(pkg: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(`${pkg}:`)) continue;
    let parsed: unknown = value;
    try {
      if (/^[[{]/.test(value)) parsed = JSON.parse(value);
    } catch {
      parsed = value;
    }
    out[key.slice(pkg.length + 1)] = parsed;
  }
  return out;
}

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

/**
 * Object-store lifecycle rules match literal prefixes, so feedback expiry (S3, Blob) is set per
 * model: the retrained model's feedback expires besides any the section names.
 */
function withFeedbackModels<T extends { modelStore?: { feedbackModels?: string[] } }>(section: T | undefined, cfg: CloudConfig): T {
  const model = cfg.retraining?.enabled ? cfg.retraining.policy.model : undefined;
  const listed = section?.modelStore?.feedbackModels ?? [];
  if (model === undefined || listed.includes(model)) return (section ?? {}) as T;
  return { ...section, modelStore: { ...section?.modelStore, feedbackModels: [...listed, model] } } as T;
}

/**
 * Creates the cluster of `cfg.cloud` with an explicit provider for the platform's region (so the
 * platform's `region` is the one source of truth), carrying the stack's other settings of that
 * provider; credentials come from the environment as usual. The one place that picks a cloud.
 */
export function createCloudCluster(name: string, parent: pulumi.Resource, cfg: CloudConfig, tags: Record<string, string>): CloudClusterResource {
  const common = { region: cfg.region, namespace: cfg.namespace, tags };
  switch (cfg.cloud) {
    case "aws": {
      const settings = providerConfig("aws");
      const provider = new aws.Provider(`${name}-aws`, { ...settings, region: cfg.region as aws.Region }, { parent });
      return new AwsCluster(`${name}-aws`, { ...withFeedbackModels(cfg.aws, cfg), ...common, credentials: awsCredentials(settings) }, { parent, providers: [provider] });
    }
    case "gcp": {
      const settings = providerConfig("gcp");
      const provider = new gcp.Provider(`${name}-gcp`, { ...settings, region: cfg.region, project: cfg.gcp?.project ?? (settings.project as string | undefined) }, { parent });
      return new GcpCluster(`${name}-gcp`, { ...cfg.gcp, ...common }, { parent, providers: [provider] });
    }
    case "azure": {
      const provider = new azure.Provider(`${name}-azure`, { ...providerConfig("azure-native"), location: cfg.region }, { parent });
      return new AzureCluster(`${name}-azure`, { ...withFeedbackModels(cfg.azure, cfg), ...common }, { parent, providers: [provider] });
    }
  }
}
