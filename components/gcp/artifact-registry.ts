import * as gcp from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** What {@link createArtifactRegistry} needs. */
export interface ArtifactRegistryArgs {
  project: pulumi.Input<string>;
  region: string;
  /** Repository id (lowercase letters, digits, hyphens). */
  repositoryId: string;
  /** Versions kept per image; older ones are deleted by the cleanup policy. */
  keepImages: number;
  /** Tags cannot be moved to another digest once pushed. */
  immutableTags: boolean;
  /** Scan pushed images for vulnerabilities (Artifact Analysis). */
  scanning: boolean;
  /** CMEK for the repository's content; the Artifact Registry service agent must be granted it first. */
  kmsKeyName?: pulumi.Input<string>;
  /** Resources the repository waits for (the enabled APIs, the key grant). */
  dependsOn: pulumi.Resource[];
  labels: Record<string, string>;
}

/** A private Docker repository in Artifact Registry. */
export interface ArtifactRegistry {
  repository: gcp.artifactregistry.Repository;
  /** `<region>-docker.pkg.dev/<project>/<repository>`, where images are pushed and pulled. */
  url: pulumi.Output<string>;
}

/**
 * A Docker-format Artifact Registry repository: private (IAM only), immutable tags, CMEK when a
 * key is given, a cleanup policy that keeps the newest `keepImages` versions of each image and
 * deletes the rest, and vulnerability scanning (which needs the Container Scanning API, enabled
 * by GcpCluster (enableProjectServices) when scanning is on).
 */
export function createArtifactRegistry(name: string, parent: pulumi.Resource, args: ArtifactRegistryArgs): ArtifactRegistry {
  const repository = new gcp.artifactregistry.Repository(
    `${name}-images`,
    {
      project: args.project,
      location: args.region,
      repositoryId: args.repositoryId,
      format: "DOCKER",
      mode: "STANDARD_REPOSITORY",
      description: "pulumi-mlops runtime images",
      dockerConfig: { immutableTags: args.immutableTags },
      kmsKeyName: args.kmsKeyName,
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        // A version matching both a KEEP and a DELETE policy is kept, so this deletes all but the newest.
        { id: "keep-newest", action: "KEEP", mostRecentVersions: { keepCount: args.keepImages } },
        { id: "delete-older", action: "DELETE", condition: { tagState: "ANY" } },
      ],
      vulnerabilityScanningConfig: { enablementConfig: args.scanning ? "INHERITED" : "DISABLED" },
      labels: args.labels,
    },
    { parent, dependsOn: args.dependsOn },
  );
  const url = pulumi.interpolate`${repository.location}-docker.pkg.dev/${repository.project}/${repository.repositoryId}`;
  return { repository, url };
}

/**
 * The IAM principal of the identity a Google credential belongs to, from its OpenID email: a
 * service account (`*.gserviceaccount.com`) or a user.
 */
export function principalOfEmail(email: string): string {
  return email.endsWith(".gserviceaccount.com") ? `serviceAccount:${email}` : `user:${email}`;
}

/**
 * Lets the identity running `pulumi up` push to the repository (`roles/artifactregistry.writer`
 * on this repository only): the runtime image is pushed in the same run that creates the
 * repository, with that identity's access token, and a project role that can create repositories
 * need not include uploads (custom roles, `artifactregistry.repoAdmin` on another repository).
 * The identity is read from the provider's credentials (`getClientOpenIdUserInfo`, which needs the
 * userinfo.email scope the provider requests by default).
 */
export function grantRunnerPush(name: string, parent: pulumi.Resource, repository: gcp.artifactregistry.Repository, dependsOn: pulumi.Resource[]): gcp.artifactregistry.RepositoryIamMember {
  const runner = gcp.organizations.getClientOpenIdUserInfoOutput({ parent });
  return new gcp.artifactregistry.RepositoryIamMember(
    `${name}-runner-push`,
    { project: repository.project, location: repository.location, repository: repository.repositoryId, role: "roles/artifactregistry.writer", member: runner.email.apply(principalOfEmail) },
    { parent, dependsOn },
  );
}
