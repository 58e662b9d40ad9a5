import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform, type MlopsPlatformArgs } from "../components/index.ts";

// The stack program: one MlopsPlatform per stack, configured by stacks/Pulumi.<stack>.yaml. A new
// environment is a new YAML file; invalid config fails before any resource, naming each key.
const config = new pulumi.Config();
const raw: Record<string, unknown> = {};
for (const key of ["cloud", "profile", "region", "namespace"]) {
  const value = config.get(key);
  if (value !== undefined) raw[key] = value;
}
for (const key of ["aws", "gcp", "azure", "existing", "monitoring", "gpu", "image", "serving", "retraining", "tags"]) {
  const value = config.getObject<unknown>(key);
  if (value !== undefined) raw[key] = value;
}

// MlopsPlatform validates everything at once; its errors are reported here as the config keys.
let platform: MlopsPlatform;
try {
  // A secret kubeconfig for `cloud: existing`; otherwise the ambient KUBECONFIG and its context.
  platform = new MlopsPlatform("mlops", { ...(raw as unknown as MlopsPlatformArgs), kubeconfig: config.getSecret("kubeconfig") });
} catch (err) {
  if (!pulumi.InputPropertiesError.isInstance(err)) throw err;
  const issues = err.errors.map((e) => `${pulumi.getProject()}:${e.propertyPath === "(args)" ? "(config)" : e.propertyPath}: ${e.reason}`);
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
