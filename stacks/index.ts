import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform, type MlopsPlatformArgs } from "../components/index.ts";

// The stack program: one MlopsPlatform per stack, configured by stacks/Pulumi.<stack>.yaml. A new
// environment is a new YAML file; invalid config fails before any resource, naming each key.
const project = pulumi.getProject();
const config = new pulumi.Config();

/** The secret kubeconfig of `cloud: existing`: read as a secret, never as platform config. */
const KUBECONFIG_KEY = "kubeconfig";

// Every `<project>:` key goes to the strict schema, so a misspelt key (`servng`) is an error, not a
// setting silently ignored. The CLI hands object values over as JSON and every other value as a string.
const raw: Record<string, unknown> = {};
for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
  if (!key.startsWith(`${project}:`)) continue;
  const name = key.slice(project.length + 1);
  if (name === KUBECONFIG_KEY) continue;
  raw[name] = /^\s*[[{]/.test(value) ? parseJson(value) : value;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// MlopsPlatform validates everything at once; its errors are reported here as the config keys.
let platform: MlopsPlatform;
try {
  // A secret kubeconfig for `cloud: existing`; otherwise the ambient KUBECONFIG and its context.
  platform = new MlopsPlatform("mlops", { ...(raw as unknown as MlopsPlatformArgs), kubeconfig: config.getSecret(KUBECONFIG_KEY) });
} catch (err) {
  if (!pulumi.InputPropertiesError.isInstance(err)) throw err;
  const issues = err.errors.map((e) => `${project}:${e.propertyPath === "(args)" ? "(config)" : e.propertyPath}: ${e.reason}`);
  throw new pulumi.RunError(`invalid configuration for stack ${pulumi.getStack()}:\n  - ${issues.join("\n  - ")}`);
}

/** Which cloud and profile this stack deployed. */
export const cloud = config.require("cloud");
export const profile = config.get("profile") ?? "dev";
/** Cluster-internal URL of the inference endpoint. */
export const endpoint = platform.endpoint;
/** The runtime namespace. */
export const namespace = platform.namespace;
/** Name of the cluster. */
export const clusterName = platform.clusterName;
/** Kubeconfig (secret); null for an existing cluster reached through the ambient kubeconfig. */
export const kubeconfig = platform.kubeconfig;
/** Container registry of the runtime image. */
export const registryUrl = platform.registryUrl;
/** Model store URL (s3://, gs://, az://); null for an existing cluster's PVC. */
export const bucketUrl = platform.bucketUrl;
/** Grafana URL (cluster-internal). */
export const grafanaUrl = platform.grafanaUrl;
/** The runtime image deployed. */
export const imageRef = platform.imageRef;
