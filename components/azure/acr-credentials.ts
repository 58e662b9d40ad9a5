/**
 * Push credentials for a new Azure Container Registry, from the Entra ID (AAD) token of the
 * principal running Pulumi, as `az acr login` gets them (Azure/acr docs/AAD-OAuth.md):
 * `POST https://<login server>/oauth2/exchange` (grant_type=access_token, service, tenant,
 * access_token) returns an ACR refresh token; docker logs in with it as the password and the null
 * GUID as the user name. Chosen over the alternatives because it needs nothing the registry must be
 * created with: the admin user stays disabled, and repository-scoped tokens would need a password
 * that pulumi-azure-native cannot generate (the password value is read-only in the API; generating
 * one is a separate POST, pulumi/pulumi-azure-native#3099), i.e. a long-lived secret in state. The
 * refresh token lives about 3 hours, like the ECR token on AWS, and is fetched anew on every update.
 *
 * Role assignments take minutes to reach ACR's token service, so {@link acrPushCredentials} also
 * waits until an access token for the repository actually grants `push` (the `access` claim of
 * `POST /oauth2/token`), the same check docker's push makes.
 */
import { notReady, type PollTiming, pollUntilReady } from "../platform/poll.ts";

/** The user name docker logs in to ACR with when the password is an ACR refresh token. */
export const ACR_REFRESH_TOKEN_USER = "00000000-0000-0000-0000-000000000000";

/** The HTTP client the exchange uses (the global `fetch` by default; tests pass their own). */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** Inputs of {@link acrPushCredentials}; it polls every 10 s for up to 10 minutes unless told otherwise. */
export interface AcrPushCredentialsArgs extends PollTiming {
  /** `<name>.azurecr.io`. */
  loginServer: string;
  /** Tenant of the Entra ID token. */
  tenantId: string;
  /** An Entra ID access token for Azure Resource Manager of the principal that pushes. */
  aadToken: string;
  /** Repository the push goes to (`mlops/mlops-runtime`), whose `push` permission is waited for. */
  repository: string;
  fetch?: Fetch;
}

/** Why credentials could not be had, with what to do. */
export class AcrCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AcrCredentialsError";
  }
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The `access` claim of an ACR access token (a JWT): the granted actions per resource. */
export function grantedActions(accessToken: string, repository: string): string[] {
  const payload = accessToken.split(".")[1];
  if (payload === undefined) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { access?: { type?: string; name?: string; actions?: string[] }[] };
    return (claims.access ?? []).filter((a) => a.type === "repository" && a.name === repository).flatMap((a) => a.actions ?? []);
  } catch {
    return [];
  }
}

/**
 * Exchanges the AAD token for an ACR refresh token and waits until it may push to `repository`.
 * Retries (exchange failures included: a new registry's data plane and a new role assignment both
 * take a while) until `timeoutMs`, then throws an {@link AcrCredentialsError} naming the registry,
 * the last answer and the role to check.
 */
export async function acrPushCredentials(args: AcrPushCredentialsArgs): Promise<{ username: string; password: string }> {
  const fetchImpl = args.fetch ?? (globalThis.fetch as unknown as Fetch);
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  const post = (path: string, fields: Record<string, string>) =>
    fetchImpl(`https://${args.loginServer}${path}`, { method: "POST", headers, body: form(fields), signal: AbortSignal.timeout(30_000) });
  return pollUntilReady(
    async () => {
      const exchanged = await post("/oauth2/exchange", { grant_type: "access_token", service: args.loginServer, tenant: args.tenantId, access_token: args.aadToken });
      const body = await exchanged.text();
      if (exchanged.status !== 200) return notReady(`POST /oauth2/exchange answered ${exchanged.status}: ${body.slice(0, 200)}`);
      const refresh = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
      if (!refresh) return notReady("POST /oauth2/exchange answered without a refresh_token");
      const token = await post("/oauth2/token", { grant_type: "refresh_token", service: args.loginServer, scope: `repository:${args.repository}:pull,push`, refresh_token: refresh });
      const tokenBody = await token.text();
      if (token.status !== 200) return notReady(`POST /oauth2/token answered ${token.status}: ${tokenBody.slice(0, 200)}`);
      const actions = grantedActions((JSON.parse(tokenBody) as { access_token?: string }).access_token ?? "", args.repository);
      if (actions.includes("push") || actions.includes("*")) return { username: ACR_REFRESH_TOKEN_USER, password: refresh };
      return notReady(`the token grants [${actions.join(", ")}] on ${args.repository}, not push (the AcrPush role assignment has not propagated yet)`);
    },
    args,
    { timeoutMs: 600_000, intervalMs: 10_000 },
    (last) =>
      new AcrCredentialsError(
        `could not get push credentials for ${args.loginServer}/${args.repository}: ${last}. The principal running Pulumi needs AcrPush on the registry ` +
          `(granted by this stack; propagation can take minutes: run pulumi up again), and the registry firewall must admit the address pulumi up runs from (azure.authorizedCidrs)`,
      ),
  );
}
