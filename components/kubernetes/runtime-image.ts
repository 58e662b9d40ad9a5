import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { inputString, parseArgs } from "./runtime-workload-args.ts";

/** The runtime image's repository under a cluster's `registryUrl`, unless RuntimeImage is told otherwise. */
export const RUNTIME_IMAGE_REPOSITORY = "mlops-runtime";

/**
 * Files whose content decides the runtime image (the tag is a digest of them), relative to the
 * build context: the workspace manifests and lockfile npm ci needs, the runtime and contract
 * sources, and the Dockerfiles. A checkout's root is such a context; `npm pack` copies the same
 * files into the component package's image/ folder (scripts/write-image-context.ts).
 */
export const IMAGE_INPUTS: readonly string[] = [
  "package.json",
  "package-lock.json",
  ".dockerignore",
  "contract/package.json",
  "contract/src",
  "runtime/package.json",
  "runtime/Dockerfile",
  "runtime/Dockerfile.gpu",
  "runtime/bin",
  "runtime/src",
  "runtime/protos",
  "components/package.json",
  "policy/package.json",
];

/** The component package's own folder (components/ in a checkout, node_modules/pulumi-mlops installed). */
export function componentPackageDir(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-mlops") return dir;
    if (dirname(dir) === dir) throw new Error(`no pulumi-mlops package.json at or above ${from}`);
  }
}

const isContext = (dir: string) => existsSync(join(dir, "runtime", "Dockerfile")) && existsSync(join(dir, "package-lock.json")) && existsSync(join(dir, "runtime", "src"));

/**
 * The Docker build context of the runtime image: the repository root in a checkout, the
 * package's image/ folder when installed from the registry or a tarball. Fails naming both
 * places when neither holds the Dockerfile (a package built without its prepack step).
 */
export function imageBuildContext(packageDir: string = componentPackageDir()): string {
  const checkout = resolve(packageDir, "..");
  if (isContext(checkout) && existsSync(join(checkout, "components", "package.json"))) return checkout;
  const shipped = join(packageDir, "image");
  if (isContext(shipped)) return shipped;
  throw new Error(
    `the runtime image's build context is missing: neither ${checkout} (a pulumi-mlops checkout) nor ${shipped} (the installed package's copy, written by its prepack step) holds runtime/Dockerfile and package-lock.json. Reinstall pulumi-mlops from a packed tarball or the registry, or deploy a prebuilt image with \`image: { ref }\``,
  );
}

/** Arguments for {@link RuntimeImage}: either `image` or `build`. */
export interface RuntimeImageArgs {
  /** A prebuilt image reference (ideally by digest, `repo@sha256:...`). @default - none: `build` is required */
  image?: string;
  /** Build runtime/Dockerfile (or Dockerfile.gpu) and push it. @default - none: `image` is required */
  build?: {
    /** Registry repository prefix to push to, e.g. `123.dkr.ecr.us-east-1.amazonaws.com/mlops` (the ClusterHandle's `registryUrl`). */
    registryUrl: pulumi.Input<string>;
    /** Build the CUDA variant (runtime/Dockerfile.gpu, tfjs-node-gpu). @default false */
    gpu?: boolean;
    /** Push to the registry (the cluster pulls from there). @default true */
    push?: boolean;
    /** Image name under the registry. @default "mlops-runtime" */
    repository?: string;
    /** Registry credentials, when the builder is not already logged in. @default - the builder's existing login */
    registryAuth?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
  };
}

/** A container image reference (`registry/repo:tag`, `repo@sha256:...`). */
export const imageReference = z.string().regex(/^[a-z0-9]+([._\/:@-][a-zA-Z0-9_.-]+)+$/, "must be an image reference like registry/repo:tag or repo@sha256:...");

/** zod schema of {@link RuntimeImageArgs}: validation and the documented defaults. */
export const runtimeImageArgsSchema = z
  .object({
    image: imageReference.optional(),
    build: z
      .object({
        registryUrl: inputString,
        gpu: z.boolean().default(false),
        push: z.boolean().default(true),
        repository: z.string().regex(/^[a-z0-9]+([._\/-][a-z0-9]+)*$/, "must be a lowercase repository name").default(RUNTIME_IMAGE_REPOSITORY),
        registryAuth: z.object({ username: inputString, password: inputString }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.image === undefined) === (a.build === undefined)) {
      ctx.addIssue({ code: "custom", path: a.image === undefined ? ["image"] : ["build"], message: "give exactly one of `image` (prebuilt) or `build`" });
    }
  });

/** sha256 over the image inputs (paths and bytes, sorted), so the tag changes exactly when they do. */
export function contentDigest(root: string, inputs: readonly string[] = IMAGE_INPUTS): string {
  const hash = createHash("sha256");
  const files: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else if (st.isFile()) files.push(p);
  };
  for (const i of inputs) walk(join(root, i));
  for (const f of files.sort()) {
    hash.update(relative(root, f).split("\\").join("/"));
    hash.update("\0");
    hash.update(readFileSync(f));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * The runtime's container image: a prebuilt reference, or runtime/Dockerfile (Dockerfile.gpu for
 * the CUDA variant) built for linux/amd64 with BuildKit and pushed to the cluster's registry,
 * tagged by the content digest of the runtime sources.
 */
export class RuntimeImage extends pulumi.ComponentResource {
  /** The image reference to deploy (digest-qualified when built and pushed). */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: RuntimeImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:RuntimeImage", name, {}, opts);
    const cfg = parseArgs("RuntimeImage", runtimeImageArgsSchema, args);
    this.ref = createRuntimeImage(name, this, cfg);
    this.registerOutputs({ ref: this.ref });
  }
}

function createRuntimeImage(name: string, parent: pulumi.Resource, cfg: z.output<typeof runtimeImageArgsSchema>): pulumi.Output<string> {
  if (cfg.build === undefined) return pulumi.output(cfg.image as string);
  const b = cfg.build;
  let context: string;
  try {
    context = imageBuildContext();
  } catch (err) {
    throw new pulumi.ResourceError((err as Error).message, parent);
  }
  const tag = `${contentDigest(context).slice(0, 16)}${b.gpu ? "-gpu" : ""}`;
  const imageName = pulumi.interpolate`${pulumi.output(b.registryUrl).apply((u) => u.replace(/\/+$/, ""))}/${b.repository}`;
  const image = new dockerbuild.Image(`${name}-image`, {
    context: { location: context },
    dockerfile: { location: join(context, b.gpu ? "runtime/Dockerfile.gpu" : "runtime/Dockerfile") },
    platforms: ["linux/amd64"],
    push: b.push,
    tags: [pulumi.interpolate`${imageName}:${tag}`],
    labels: { "org.opencontainers.image.revision": tag },
    ...(b.registryAuth
      ? { registries: [{ address: pulumi.output(b.registryUrl).apply((u) => u.split("/")[0] ?? u), username: b.registryAuth.username, password: pulumi.secret(b.registryAuth.password) }] }
      : {}),
  }, { parent });
  return image.ref;
}
