import * as pulumi from "@pulumi/pulumi";

/**
 * Whose AWS credentials `aws eks get-token` signs the kubeconfig's token with: the same ones the
 * stack's aws provider uses, so Kubernetes sees the identity EKS made cluster admin.
 */
export interface EksCredentials {
  /** Named profile (`aws:profile`): passed as `--profile`, which the CLI ranks above credentials in the environment, as the provider does. @default - the CLI's default chain */
  profile?: string;
  /** Role to assume (the last of `aws:assumeRoles`): passed as `--role-arn`. @default - none */
  roleArn?: string;
}

/** Arguments for {@link eksKubeconfig}. */
export interface EksKubeconfigArgs extends EksCredentials {
  /** The EKS cluster's name. */
  clusterName: pulumi.Input<string>;
  /** API server URL. */
  endpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster CA. */
  certificateAuthorityData: pulumi.Input<string>;
  /** AWS region of the cluster. */
  region: string;
}

/** The arguments of the kubeconfig's `aws` exec: `eks get-token` for the cluster, as the given profile and role. */
export function getTokenArgs(clusterName: string, region: string, creds: EksCredentials): string[] {
  return [
    "eks",
    "get-token",
    "--cluster-name",
    clusterName,
    "--region",
    region,
    ...(creds.roleArn ? ["--role-arn", creds.roleArn] : []),
    ...(creds.profile ? ["--profile", creds.profile] : []),
    "--output",
    "json",
  ];
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
              args: getTokenArgs(name, args.region, args),
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
