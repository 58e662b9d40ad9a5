import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";

/** What the platform hands a cloud's cluster besides the cloud's own section. */
export interface CloudClusterContext {
  /** The platform's region (AWS region, GCP region, Azure location). */
  region: string;
  /** The runtime namespace. */
  namespace: string;
  /** Tags/labels on every cloud resource (the platform's own and `mlops-profile`, `mlops-environment`). */
  tags: Record<string, string>;
  /** The model the retraining controller retrains, if any (its feedback needs an expiry rule). */
  retrainedModel?: string;
}

/** The npm package of a cloud's Pulumi provider, an optional peer dependency of pulumi-mlops. */
export interface CloudSdk {
  /** Package name (`@pulumi/aws`). */
  name: string;
  /** The range pulumi-mlops is tested with (its peerDependencies entry). */
  range: string;
}

/**
 * What `pulumi-mlops synth` pretends a cloud computes and answers, so programs that read cloud
 * outputs (a kubeconfig from a cluster endpoint, an image name from a registry URL) run as they
 * would after `pulumi up`. Values are fakes: never deployable, always deterministic.
 */
export interface CloudSynth {
  /** Token prefix of the cloud provider's resources and invokes (`aws:`). */
  prefix: string;
  /** Outputs the cloud computes for a resource of `type` from its inputs (none for types it does not know). */
  outputs(type: string, name: string, inputs: Record<string, any>, config: Readonly<Record<string, string>>): Record<string, unknown>;
  /** The invokes {@link call} answers: token → what the answer is. */
  invokes: Readonly<Record<string, string>>;
  /** Answers one of {@link invokes}; undefined for any other token. */
  call(token: string, inputs: Record<string, any>, config: Readonly<Record<string, string>>): Record<string, unknown> | undefined;
}

/**
 * A cloud the platform deploys onto: one folder under components/ (its options, cluster and
 * provider), registered in platform/clouds.ts. Everything but `create` is free of the cloud's
 * SDK, so validating a platform config, or deploying onto another cloud, never needs it.
 */
export interface CloudModule<Section extends z.ZodType = z.ZodType> {
  /** The cloud's section of the platform config (`aws: {...}`): its cluster's options but `region`. */
  section: Section;
  /** The section's cross-field checks, reported under `path` like its field errors; `section` may be unvalidated. */
  check(section: Record<string, any> | undefined, region: string | undefined, ctx: z.RefinementCtx, path: PropertyKey[]): void;
  /** The provider package `create` loads. */
  sdk: CloudSdk;
  /** How `pulumi-mlops synth` fakes the cloud. */
  synth: CloudSynth;
  /** Creates the cloud's cluster, registry, model store and identity with an explicit provider for `context.region`. */
  create(name: string, parent: pulumi.Resource, section: z.output<Section> | undefined, context: CloudClusterContext): CloudClusterResource;
}

/**
 * Loads a file of a cloud's folder that needs the cloud's SDK (`from` is the caller's
 * import.meta.url, `file` a path relative to it without extension), synchronously, the first time
 * a platform on that cloud is created. A missing SDK package fails with what to install.
 */
export function loadCloudPart<T>(from: string, file: string, cloud: string, sdk: CloudSdk): T {
  const require = createRequire(from);
  try {
    // In this checkout the sources run as .ts; installed, the package runs its compiled .js.
    return require(`${file}${from.endsWith(".ts") ? ".ts" : ".js"}`) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === "MODULE_NOT_FOUND" || e.code === "ERR_MODULE_NOT_FOUND") && new RegExp(`['"]${sdk.name}(/|['"])`).test(e.message)) {
      throw new pulumi.RunError(`cloud: ${cloud} needs the ${sdk.name} package, which is not installed in this project: npm install ${sdk.name}@"${sdk.range}"`);
    }
    throw err;
  }
}

/**
 * The stack's config of one provider package (`aws:profile`, `gcp:project`, ...) as provider
 * args: an explicit provider reads none of it by itself, so it is handed over here.
 */
export function providerConfig(pkg: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(`${pkg}:`)) continue;
    let parsed: unknown = value;
    try {
      if (/^[[{]/.test(value)) parsed = JSON.parse(value);
    } catch {
      parsed = value;
    }
    out[key.slice(pkg.length + 1)] = parsed;
  }
  return out;
}

/**
 * Object-store lifecycle rules match literal prefixes, so feedback expiry (S3, Blob) is set per
 * model: the retrained model's feedback expires besides any the section names.
 */
export function withFeedbackModels<T extends { modelStore?: { feedbackModels?: string[] } }>(section: T | undefined, model: string | undefined): T {
  const listed = section?.modelStore?.feedbackModels ?? [];
  if (model === undefined || listed.includes(model)) return (section ?? {}) as T;
  return { ...section, modelStore: { ...section?.modelStore, feedbackModels: [...listed, model] } } as T;
}
