import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "./cluster-handle.ts";

/** What a cloud's cluster component produces: the handle for the Kubernetes layer and the outputs a stack exports. */
export interface CloudClusterOutputs {
  /** The handle the Kubernetes layer consumes (a plain object, not an Output). */
  handle: ClusterHandle;
  /** Name of the managed Kubernetes cluster. */
  clusterName: pulumi.Output<string>;
  /** Kubeconfig authenticating through the cloud's CLI credential plugin (secret). */
  kubeconfig: pulumi.Output<string>;
  /** URL of the API server (private unless the cluster has a public endpoint). */
  apiEndpoint: pulumi.Output<string>;
  /** Where the runtime image is pushed and pulled (the handle's `registryUrl`). */
  registryUrl: pulumi.Output<string>;
  /** The model store URL, the runtime's `--registry` (equals the handle's `modelStore.url`). */
  bucketUrl: pulumi.Output<string>;
}

/**
 * Base of the cloud cluster components (AwsCluster, GcpCluster, AzureCluster): runs the cloud's
 * `create` with the component as parent and exposes and registers its {@link CloudClusterOutputs}.
 * Adding a cloud means a `create` function and a subclass naming its type token.
 */
export abstract class CloudClusterResource extends pulumi.ComponentResource implements CloudClusterOutputs {
  public readonly handle: ClusterHandle;
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly apiEndpoint: pulumi.Output<string>;
  public readonly registryUrl: pulumi.Output<string>;
  public readonly bucketUrl: pulumi.Output<string>;

  protected constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions | undefined, create: (parent: pulumi.Resource) => CloudClusterOutputs) {
    super(type, name, {}, opts);
    const out = create(this);
    this.handle = out.handle;
    this.clusterName = out.clusterName;
    this.kubeconfig = out.kubeconfig;
    this.apiEndpoint = out.apiEndpoint;
    this.registryUrl = out.registryUrl;
    this.bucketUrl = out.bucketUrl;
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint, registryUrl: this.registryUrl, bucketUrl: this.bucketUrl });
  }
}
