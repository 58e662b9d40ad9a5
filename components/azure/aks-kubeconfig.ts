import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { waitForClusterAdmin } from "./aks-rbac-readiness.ts";
import type { KubeloginMode } from "./options.ts";

/** Server id (audience) of the AKS AAD server application, the same in every tenant. */
export const AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/**
 * Rewrites the kubeconfig AKS lists for an Entra ID cluster into one whose user runs
 * `kubelogin get-token --login <mode> --server-id <AKS server id>` as an exec credential plugin,
 * keeping the cluster's server and CA. The listed one would log in with the interactive device
 * code flow, which a `pulumi up` cannot answer. kubelogin must be on PATH where the Kubernetes
 * provider runs.
 */
export function kubeloginKubeconfig(listed: string, mode: KubeloginMode): string {
  const doc = parse(listed) as { clusters?: { name: string; cluster: Record<string, unknown> }[] } | null;
  const cluster = doc?.clusters?.[0];
  if (cluster === undefined) throw new Error("the kubeconfig AKS listed has no cluster");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster.name, cluster: cluster.cluster }],
    contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: "kubelogin" } }],
    "current-context": cluster.name,
    users: [
      {
        name: "kubelogin",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kubelogin",
            args: ["get-token", "--login", mode, "--server-id", AKS_AAD_SERVER_ID],
            env: null,
            interactiveMode: "Never",
            provideClusterInfo: false,
          },
        },
      },
    ],
  });
}

/**
 * The cluster's kubeconfig (a secret): the user credentials AKS lists (the cluster server and CA;
 * local accounts are disabled, so there are no static credentials in it) with kubelogin as the
 * credential plugin, see {@link kubeloginKubeconfig}; with `waitForAdmin`, only once the cluster admin
 * role assignment works.
 */
export function aksKubeconfig(
  parent: pulumi.Resource,
  args: {
    resourceGroupName: pulumi.Input<string>;
    clusterName: pulumi.Input<string>;
    mode: KubeloginMode;
    /**
     * Hold the kubeconfig back until these cluster-admin grants exist and, in a live update, have
     * reached the cluster ({@link waitForClusterAdmin} with `token`, an Entra ID token for the AKS
     * server application), so the Kubernetes provider's first request is not Forbidden.
     */
    waitForAdmin?: { grants: pulumi.Resource[]; token: pulumi.Input<string>; live: boolean };
  },
): pulumi.Output<string> {
  const creds = azure.containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName: args.resourceGroupName, resourceName: args.clusterName }, { parent });
  const listed = creds.kubeconfigs.apply((kcs): string => {
    const value = kcs?.[0]?.value;
    if (value === undefined) throw new pulumi.ResourceError("AKS listed no user kubeconfig for the cluster", parent);
    return Buffer.from(value, "base64").toString("utf8");
  });
  const wait = args.waitForAdmin;
  const ready =
    wait === undefined
      ? listed
      : pulumi.all([listed, pulumi.output(wait.token), ...wait.grants.map((g) => (g as pulumi.CustomResource).id)]).apply(async ([kc, token]): Promise<string> => {
          const kcText = kc as string;
          if (wait.live) {
            const cluster = (parse(kcText) as { clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[] } | null)?.clusters?.[0]?.cluster;
            if (cluster?.server === undefined) throw new pulumi.ResourceError("the kubeconfig AKS listed has no cluster server", parent);
            try {
              await waitForClusterAdmin({ server: cluster.server, caData: cluster["certificate-authority-data"], token: token as string });
            } catch (err) {
              throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), parent);
            }
          }
          return kcText;
        });
  return pulumi.secret(ready.apply((kc) => kubeloginKubeconfig(kc, args.mode)));
}
