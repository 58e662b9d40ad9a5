import * as pulumi from "@pulumi/pulumi";

/** What {@link gkeKubeconfig} needs. */
export interface GkeKubeconfigArgs {
  /** Context, cluster and user name inside the kubeconfig. */
  contextName: pulumi.Input<string>;
  /** The control plane's address (the cluster's `endpoint`, without a scheme). */
  endpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster CA (`masterAuth.clusterCaCertificate`). */
  caCertificate: pulumi.Input<string>;
}

/**
 * A kubeconfig (JSON, which every kubeconfig reader accepts as YAML) that authenticates with
 * `gke-gcloud-auth-plugin`, the exec plugin kubectl and client-go need for GKE since 1.26: no
 * static token ends up in the state, only the CA and the endpoint. Marked secret all the same.
 */
export function gkeKubeconfig(args: GkeKubeconfigArgs): pulumi.Output<string> {
  const doc = pulumi.all([args.contextName, args.endpoint, args.caCertificate]).apply(([ctx, endpoint, ca]) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: ctx, cluster: { server: `https://${endpoint}`, "certificate-authority-data": ca } }],
      contexts: [{ name: ctx, context: { cluster: ctx, user: ctx } }],
      "current-context": ctx,
      users: [
        {
          name: ctx,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "gke-gcloud-auth-plugin",
              installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin (https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl)",
              provideClusterInfo: true,
              interactiveMode: "Never",
            },
          },
        },
      ],
    }),
  );
  return pulumi.secret(doc);
}
