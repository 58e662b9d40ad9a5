import * as pulumi from "@pulumi/pulumi";

/** Arguments for {@link eksKubeconfig}. */
export interface EksKubeconfigArgs {
  /** The EKS cluster's name. */
  clusterName: pulumi.Input<string>;
  /** API server URL. */
  endpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster CA. */
  certificateAuthorityData: pulumi.Input<string>;
  /** AWS region of the cluster. */
  region: string;
}

/**
 * A kubeconfig (JSON, which is YAML) for an EKS cluster whose user gets a token from
 * `aws eks get-token` (the AWS CLI must be on PATH where it is used); a secret Output.
 */
export function eksKubeconfig(args: EksKubeconfigArgs): pulumi.Output<string> {
  const config = pulumi.all([args.clusterName, args.endpoint, args.certificateAuthorityData]).apply(([name, server, ca]) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server, "certificate-authority-data": ca } }],
      users: [
        {
          name,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "aws",
              args: ["eks", "get-token", "--cluster-name", name, "--region", args.region, "--output", "json"],
              interactiveMode: "Never",
            },
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    }),
  );
  return pulumi.secret(config);
}
