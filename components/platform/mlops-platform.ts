import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster } from "../kubernetes/existing-cluster.ts";
import { MlopsPlatformOnCluster } from "../kubernetes/mlops-platform-on-cluster.ts";
import { inSection, parseArgs } from "../kubernetes/runtime-workload-args.ts";
import type { CloudModule } from "./cloud-module.ts";
import { CLOUD_MODULES } from "./clouds.ts";
import { existingClusterSection, type PlatformConfig, type PlatformConfigInput, platformConfig } from "./platform-config.ts";

/** Arguments for {@link MlopsPlatform}: the platform configuration plus what is not plain data. */
export interface MlopsPlatformArgs extends PlatformConfigInput {
  /** Kubeconfig of an existing cluster (`cloud: existing`; keep it a secret). @default - the ambient KUBECONFIG's current (or `existing.context`) context */
  kubeconfig?: pulumi.Input<string>;
  /** Name of the environment, tagged on every cloud resource as `mlops-environment`. @default - the stack name */
  environment?: string;
}

/**
 * A whole MLOps platform for one environment: the cloud's cluster, container registry, model
 * store and workload identity (or a cluster you already run), then monitoring, GPU enablement,
 * the runtime image, model serving and retraining on it. `profile` picks the defaults: `dev` is
 * small and cheap, `production` is highly available with a private API endpoint. The project
 * installs the SDK of its cloud (`@pulumi/aws`, `@pulumi/gcp` or `@pulumi/azure-native`, optional
 * peers of pulumi-mlops), which is loaded when the platform is created; `existing` needs none.
 *
 * ```ts
 * const platform = new MlopsPlatform("mlops", { cloud: "aws", region: "us-east-1", profile: "dev",
 *   retraining: { policy: { model: "fraud" } } });
 * export const endpoint = platform.endpoint;
 * ```
 */
export class MlopsPlatform extends pulumi.ComponentResource {
  /** Cluster-internal URL of the inference endpoint (TF Serving REST and Open Inference Protocol v2). */
  public readonly endpoint: pulumi.Output<string>;
  /** Kubeconfig of the cluster (secret); undefined for an existing cluster reached through the ambient kubeconfig. */
  public readonly kubeconfig: pulumi.Output<string | undefined>;
  /** Container registry the runtime image is pushed to and pulled from. */
  public readonly registryUrl: pulumi.Output<string | undefined>;
  /** URL of the model store (`s3://`, `gs://`, `az://`); undefined for an existing cluster's PVC store. */
  public readonly bucketUrl: pulumi.Output<string | undefined>;
  /** Grafana URL (cluster-internal); undefined without monitoring. */
  public readonly grafanaUrl: pulumi.Output<string | undefined>;
  /** Name of the cluster. */
  public readonly clusterName: pulumi.Output<string>;
  /** The runtime namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** The runtime image deployed. */
  public readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: MlopsPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:platform:MlopsPlatform", name, {}, opts);
    const { kubeconfig, environment, ...config } = args;
    const cfg = parseArgs("MlopsPlatform", platformConfig, config);
    const r = createMlopsPlatform(name, this, cfg, { kubeconfig, environment: environment ?? pulumi.getStack() });
    this.endpoint = r.endpoint;
    this.kubeconfig = r.kubeconfig;
    this.registryUrl = r.registryUrl;
    this.bucketUrl = r.bucketUrl;
    this.grafanaUrl = r.grafanaUrl;
    this.clusterName = r.clusterName;
    this.namespace = r.namespace;
    this.imageRef = r.imageRef;
    this.registerOutputs({
      endpoint: this.endpoint,
      kubeconfig: this.kubeconfig,
      registryUrl: this.registryUrl,
      bucketUrl: this.bucketUrl,
      grafanaUrl: this.grafanaUrl,
      clusterName: this.clusterName,
      namespace: this.namespace,
      imageRef: this.imageRef,
    });
  }
}

function createMlopsPlatform(
  name: string,
  parent: pulumi.Resource,
  cfg: PlatformConfig,
  extra: { kubeconfig?: pulumi.Input<string>; environment: string },
) {
  const { cluster, handle, createNamespace, outputs } = createCluster(name, parent, cfg, extra);
  const platform = new MlopsPlatformOnCluster(
    name,
    {
      cluster: handle,
      namespace: cfg.namespace,
      createNamespace,
      monitoring: cfg.monitoring,
      gpu: cfg.gpu,
      image: cfg.image,
      serving: cfg.serving,
      retraining: cfg.retraining,
    },
    { parent, dependsOn: [cluster] },
  );
  return { ...outputs, endpoint: platform.endpoint, grafanaUrl: platform.grafanaUrl, namespace: platform.namespace, imageRef: platform.imageRef };
}

function createCluster(name: string, parent: pulumi.Resource, cfg: PlatformConfig, extra: { kubeconfig?: pulumi.Input<string>; environment: string }) {
  if (cfg.cloud === "existing") {
    const existing = cfg.existing ?? existingClusterSection.parse({});
    if (existing.modelStore.accessMode === "ReadWriteOnce" && (cfg.serving.maxReplicas > 1 || cfg.retraining?.enabled)) {
      pulumi.log.info(
        "the model store is ReadWriteOnce: every runtime pod must share one node (fine on kind, k3d, minikube); on multi-node clusters set existing.modelStore.accessMode to ReadWriteMany with a storageClass that supports it",
        parent,
      );
    }
    const cluster = inSection("MlopsPlatform", "existing", () => new ExistingCluster(`${name}-cluster`, { kubeconfig: extra.kubeconfig, ...existing, namespace: cfg.namespace }, { parent }), ["kubeconfig", "namespace"]);
    const unset = pulumi.output<string | undefined>(undefined);
    return {
      cluster,
      handle: cluster.handle,
      // ExistingCluster already made the namespace (its PVC lives there).
      createNamespace: false,
      outputs: {
        kubeconfig: extra.kubeconfig === undefined ? unset : pulumi.secret(pulumi.output(extra.kubeconfig)).apply((k): string | undefined => k),
        registryUrl: pulumi.output(existing.registryUrl).apply((u): string | undefined => u),
        bucketUrl: unset,
        clusterName: pulumi.output(existing.clusterName),
      },
    };
  }
  if (cfg.region === undefined) throw new pulumi.ResourceError(`region is required when cloud is ${cfg.cloud}`, parent);
  const tags = { ...cfg.tags, "mlops-profile": cfg.profile, "mlops-environment": extra.environment };
  // The cloud section (`aws`, ...) is the cluster's arguments, besides the platform's region, namespace and tags.
  const context = { region: cfg.region, namespace: cfg.namespace, tags, retrainedModel: cfg.retraining?.enabled ? cfg.retraining.policy.model : undefined };
  const cloud = CLOUD_MODULES[cfg.cloud] as CloudModule;
  const cluster = inSection("MlopsPlatform", cfg.cloud, () => cloud.create(name, parent, cfg[cfg.cloud], context), ["region", "namespace", "tags"]);
  return {
    cluster,
    handle: cluster.handle,
    createNamespace: true,
    outputs: {
      kubeconfig: pulumi.secret(cluster.kubeconfig).apply((k): string | undefined => k),
      registryUrl: cluster.registryUrl.apply((u): string | undefined => u),
      bucketUrl: cluster.bucketUrl.apply((u): string | undefined => u),
      clusterName: cluster.clusterName,
    },
  };
}
