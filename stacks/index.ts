import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform, platformConfig } from "../components/index.ts";

// The stack program: one MlopsPlatform per stack, configured by stacks/Pulumi.<stack>.yaml. A new
// environment is a new YAML file; invalid config fails here, before any resource, naming each key.
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
const result = platformConfig.safeParse(raw);
if (!result.success) {
  const issues = result.error.issues.map((i) => `${pulumi.getProject()}:${i.path.join(".") || "(config)"}: ${i.message}`);
  throw new pulumi.RunError(`invalid configuration for stack ${pulumi.getStack()}:\n  - ${issues.join("\n  - ")}`);
}

const platform = new MlopsPlatform("mlops", {
  ...(raw as typeof result.data),
  // A secret kubeconfig for `cloud: existing`; otherwise the ambient KUBECONFIG and its context.
  kubeconfig: config.getSecret("kubeconfig"),
});

/** Which cloud and profile this stack deployed. */
export const cloud = result.data.cloud;
export const profile = result.data.profile;
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
