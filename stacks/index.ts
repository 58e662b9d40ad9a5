import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster, MlopsPlatformOnCluster, platformConfig } from "../components/index.ts";

// The stack program: validates the stack's configuration, then builds the platform. Only
// `cloud: existing` deploys today; the cloud components (aws, gcp, azure) arrive in issue 5.
const config = new pulumi.Config();
const raw: Record<string, unknown> = {};
for (const key of ["cloud", "profile", "region", "namespace"]) {
  const value = config.get(key);
  if (value !== undefined) raw[key] = value;
}
for (const key of ["existing", "monitoring", "gpu", "image", "serving", "retraining"]) {
  const value = config.getObject<unknown>(key);
  if (value !== undefined) raw[key] = value;
}
const result = platformConfig.safeParse(raw);
if (!result.success) {
  const issues = result.error.issues.map((i) => `${pulumi.getProject()}:${i.path.join(".") || "(config)"}: ${i.message}`);
  throw new pulumi.RunError(`invalid configuration for stack ${pulumi.getStack()}:\n  - ${issues.join("\n  - ")}`);
}
const cfg = result.data;

/** The validated stack configuration. */
export const platform = cfg;

let deployed: MlopsPlatformOnCluster | undefined;
if (cfg.cloud === "existing") {
  const existing = cfg.existing ?? existingDefaults();
  if (existing.modelStore.accessMode === "ReadWriteOnce" && (cfg.serving.maxReplicas > 1 || cfg.retraining?.enabled)) {
    pulumi.log.info(
      "the model store is ReadWriteOnce: every runtime pod must share one node (fine on kind, k3d, minikube); on multi-node clusters set pulumi-mlops:existing.modelStore.accessMode to ReadWriteMany with a storageClass that supports it",
    );
  }
  const cluster = new ExistingCluster("cluster", {
    // A secret kubeconfig when set; otherwise the ambient KUBECONFIG and its current (or the named) context.
    kubeconfig: config.getSecret("kubeconfig"),
    ...existing,
    namespace: cfg.namespace,
  });
  deployed = new MlopsPlatformOnCluster("mlops", {
    cluster: cluster.handle,
    namespace: cfg.namespace,
    createNamespace: false,
    monitoring: cfg.monitoring,
    gpu: cfg.gpu,
    image: cfg.image,
    serving: cfg.serving,
    retraining: cfg.retraining,
  }, { dependsOn: [cluster] });
}

function existingDefaults(): NonNullable<typeof cfg.existing> {
  return platformConfig.parse({ cloud: "existing", existing: {}, image: { ref: "unused" } }).existing!;
}

/** Cluster-internal URL of the inference endpoint (null until this cloud's components land, issue 5). */
export const endpoint = deployed?.endpoint ?? null;
/** The runtime namespace. */
export const namespace = deployed?.namespace ?? cfg.namespace;
/** Grafana URL (cluster-internal). */
export const grafanaUrl = deployed?.grafanaUrl ?? null;
/** The runtime image deployed. */
export const imageRef = deployed?.imageRef ?? null;
