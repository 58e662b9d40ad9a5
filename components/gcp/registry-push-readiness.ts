import { notReady, type PollTiming, pollUntilReady } from "../platform/poll.ts";

/**
 * IAM changes take effect in Artifact Registry after a delay (Google documents typically about 2
 * minutes, sometimes 7 or more), so a push right after the runner's `roles/artifactregistry.writer`
 * grant can be denied. {@link waitForArtifactRegistryPush} waits on the step of a push that is
 * denied: starting a blob upload (OCI distribution spec, `POST /v2/<name>/blobs/uploads/`), which
 * Artifact Registry answers 202 once the caller may write (it takes the Google access token as a
 * Bearer token). The probe's upload is cancelled at once (`DELETE` of its Location); no image or
 * blob is written.
 */

/** Inputs of {@link waitForArtifactRegistryPush}; it polls every 10 s for up to 10 minutes unless told otherwise. */
export interface ArtifactRegistryPushWaitArgs extends PollTiming {
  /** `<location>-docker.pkg.dev/<project>/<repository>`. */
  registryUrl: string;
  /** Image the push will go to (write permission is per repository, so any name in it would do). */
  image: string;
  /** Google OAuth access token of the identity that pushes. */
  accessToken: string;
  /** Scheme and host the probe talks to. @default `https://<registryUrl's host>` */
  endpoint?: string;
}

/** Thrown when the push permission never arrives, naming the repository, the last answer and what to check. */
export class ArtifactRegistryPushError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactRegistryPushError";
  }
}

/** Waits until `accessToken` may push to the repository of `registryUrl`; throws an {@link ArtifactRegistryPushError} after the timeout. */
export async function waitForArtifactRegistryPush(args: ArtifactRegistryPushWaitArgs): Promise<void> {
  const [host, ...repository] = args.registryUrl.replace(/\/+$/, "").split("/");
  if (!host || repository.length < 2) throw new ArtifactRegistryPushError(`${JSON.stringify(args.registryUrl)} is not <location>-docker.pkg.dev/<project>/<repository>`);
  const base = (args.endpoint ?? `https://${host}`).replace(/\/+$/, "");
  const uploads = `/v2/${repository.join("/")}/${args.image}/blobs/uploads/`;
  const auth = { authorization: `Bearer ${args.accessToken}` };
  await pollUntilReady(
    async () => {
      const res = await fetch(`${base}${uploads}`, { method: "POST", headers: { ...auth, "content-length": "0" }, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 202) return notReady(`POST ${uploads} answered ${res.status}: ${body.slice(0, 200)}`);
      const location = res.headers.get("location");
      if (location) {
        // Best effort: an abandoned upload session expires by itself.
        await fetch(new URL(location, `${base}/`), { method: "DELETE", headers: auth, signal: AbortSignal.timeout(30_000) }).then((r) => r.body?.cancel(), () => undefined);
      }
      return true;
    },
    args,
    { timeoutMs: 600_000, intervalMs: 10_000 },
    (last) =>
      new ArtifactRegistryPushError(
        `the identity running pulumi up cannot push to ${args.registryUrl} yet: ${last}. This stack grants it roles/artifactregistry.writer on the repository ` +
          `(registry.grantRunnerPush); IAM changes can take several minutes to reach Artifact Registry: run pulumi up again, or check the grant with ` +
          `gcloud artifacts repositories get-iam-policy ${repository[1]} --project ${repository[0]} --location ${host.replace(/-docker\.pkg\.dev$/, "")}`,
      ),
  );
}
