import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { RUNTIME_IMAGE_REPOSITORY } from "../kubernetes/runtime-image.ts";

/** Arguments for {@link createEcrRegistry}. */
export interface EcrRegistryArgs {
  /** AWS region. */
  region: string;
  /** Repository namespace: the runtime repository is `<prefix>/mlops-runtime`. */
  repositoryPrefix: string;
  /** Images kept; older ones expire. */
  keepImages: number;
  /** Delete the repository even when it still holds images. */
  forceDelete: boolean;
  /** KMS key that encrypts the images. @default - AES-256 with an ECR-managed key */
  kmsKeyArn?: pulumi.Input<string>;
  /** Tags on the repository. */
  tags: Record<string, string>;
}

/** The runtime's container registry. */
export interface EcrRegistry {
  /** The runtime image's repository. */
  repository: aws.ecr.Repository;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>`: images go to `${registryUrl}/<name>`. */
  registryUrl: pulumi.Output<string>;
}

/** The lifecycle policy that keeps the newest `keep` images of a repository, whatever their tags. */
export function keepNewestImagesPolicy(keep: number): string {
  return JSON.stringify({
    rules: [{ rulePriority: 1, description: `keep the newest ${keep} images`, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep }, action: { type: "expire" } }],
  });
}

/**
 * A private ECR repository for the runtime image: scanned on push, immutable tags, encrypted with
 * the customer-managed key when there is one, and a lifecycle rule that expires all but the newest
 * `keepImages` images. Nodes pull with their AmazonEC2ContainerRegistryReadOnly policy.
 */
export function createEcrRegistry(name: string, args: EcrRegistryArgs, parent: pulumi.Resource): EcrRegistry {
  const repository = new aws.ecr.Repository(
    `${name}-runtime-repo`,
    {
      region: args.region,
      name: `${args.repositoryPrefix}/${RUNTIME_IMAGE_REPOSITORY}`,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [args.kmsKeyArn === undefined ? { encryptionType: "AES256" } : { encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
      forceDelete: args.forceDelete,
      tags: args.tags,
    },
    { parent },
  );
  new aws.ecr.LifecyclePolicy(`${name}-runtime-repo`, { region: args.region, repository: repository.name, policy: keepNewestImagesPolicy(args.keepImages) }, { parent });
  const suffix = `/${RUNTIME_IMAGE_REPOSITORY}`;
  const registryUrl = repository.repositoryUrl.apply((url) => (url?.endsWith(suffix) ? url.slice(0, -suffix.length) : url));
  return { repository, registryUrl: pulumi.output(registryUrl) };
}
