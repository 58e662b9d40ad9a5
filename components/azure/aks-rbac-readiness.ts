import { request } from "node:https";
import { notReady, type PollTiming, pollUntilReady } from "../platform/poll.ts";

/**
 * The Kubernetes permissions the platform's first resources need (a namespace, cluster-scoped RBAC,
 * the monitoring chart's CRDs), checked with SelfSubjectAccessReviews.
 */
export const BOOTSTRAP_PERMISSIONS: readonly { group: string; resource: string; verb: string }[] = Object.freeze([
  { group: "", resource: "namespaces", verb: "create" },
  { group: "rbac.authorization.k8s.io", resource: "clusterroles", verb: "create" },
  { group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verb: "create" },
]);

/** POSTs a JSON body to the API server and returns the status and parsed body. */
export type ApiPost = (url: string, body: unknown, auth: { token: string; caData?: string }) => Promise<{ status: number; body: any }>;

/** {@link ApiPost} over node:https, trusting the cluster CA from the kubeconfig. */
export const httpsApiPost: ApiPost = (url, body, auth) =>
  new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: "POST",
        headers: { authorization: `Bearer ${auth.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) },
        ...(auth.caData ? { ca: Buffer.from(auth.caData, "base64").toString("utf8") } : {}),
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} in 30 s`)));
    req.on("error", reject);
    req.end(data);
  });

/** Inputs of {@link waitForClusterAdmin}; it polls every 15 s for up to 15 minutes unless told otherwise. */
export interface ClusterAdminWaitArgs extends PollTiming {
  /** API server URL (`https://<fqdn>:443`). */
  server: string;
  /** Base64 PEM of the cluster CA (kubeconfig `certificate-authority-data`). */
  caData?: string;
  /** Entra ID token for the AKS server application, of the principal granted cluster admin. */
  token: string;
  post?: ApiPost;
}

/**
 * Waits until the Azure RBAC cluster-admin assignment has reached the cluster: every
 * {@link BOOTSTRAP_PERMISSIONS} SelfSubjectAccessReview answers `allowed` (Azure documents minutes of
 * propagation for Azure RBAC for Kubernetes; until then the first create is Forbidden). The admin
 * kubeconfig is no way round it here: local accounts are disabled, and AKS refuses to list admin
 * (static) credentials for such clusters. Throws after `timeoutMs` naming what is still denied.
 */
export async function waitForClusterAdmin(args: ClusterAdminWaitArgs): Promise<void> {
  const post = args.post ?? httpsApiPost;
  const url = `${args.server.replace(/\/+$/, "")}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`;
  await pollUntilReady(
    async () => {
      const denied: string[] = [];
      for (const p of BOOTSTRAP_PERMISSIONS) {
        const review = { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { group: p.group, resource: p.resource, verb: p.verb } } };
        const res = await post(url, review, { token: args.token, caData: args.caData });
        if (res.status !== 201 && res.status !== 200) {
          denied.push(`${p.verb} ${p.resource} (HTTP ${res.status})`);
          break;
        }
        if (res.body?.status?.allowed !== true) denied.push(`${p.verb} ${p.resource}`);
      }
      return denied.length === 0 ? true : notReady(`not yet allowed: ${denied.join(", ")}`);
    },
    args,
    { timeoutMs: 900_000, intervalMs: 15_000 },
    (last) =>
      new Error(
        `the cluster admin role assignment has not reached ${args.server} (${last}). The principal running Pulumi (or azure.clusterAdmins) holds Azure Kubernetes Service RBAC Cluster Admin on the cluster; run pulumi up again once it has propagated`,
      ),
  );
}
