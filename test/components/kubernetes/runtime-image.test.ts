import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { contentDigest, componentPackageDir, IMAGE_INPUTS, imageBuildContext, RuntimeImage, runtimeImageArgsSchema } from "../../../components/kubernetes/runtime-image.ts";

/** This checkout's root, the image's build context here. */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const recorded: Recorded[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state = args.type === "docker-build:index:Image" ? { ...args.inputs, ref: `${args.inputs.tags[0]}@sha256:${"ab".repeat(32)}`, digest: `sha256:${"ab".repeat(32)}` } : args.inputs;
      return { id: `${args.name}-id`, state };
    },
    call(args) {
      return args.inputs;
    },
  },
  "pulumi-mlops",
  "test",
  false,
);
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const image = (name: string) => recorded.find((r) => r.type === "docker-build:index:Image" && r.name === `${name}-image`);

describe("RuntimeImage", () => {
  it("passes a prebuilt image reference through without building", async () => {
    const img = new RuntimeImage("pre", { image: "ghcr.io/acme/mlops-runtime@sha256:" + "0".repeat(64) });
    assert.equal(await value(img.ref), "ghcr.io/acme/mlops-runtime@sha256:" + "0".repeat(64));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(image("pre"), undefined);
  });

  it("builds runtime/Dockerfile for linux/amd64, tagged by content, pushed to the cluster registry", async () => {
    const img = new RuntimeImage("cpu", { build: { registryUrl: pulumi.output("123.dkr.ecr.us-east-1.amazonaws.com/mlops/") } });
    const ref = await value(img.ref);
    await new Promise((r) => setTimeout(r, 20));
    const b = image("cpu");
    assert.ok(b);
    assert.equal(b.inputs.context.location, REPO_ROOT);
    assert.equal(b.inputs.dockerfile.location, join(REPO_ROOT, "runtime/Dockerfile"));
    assert.deepEqual(b.inputs.platforms, ["linux/amd64"]);
    assert.equal(b.inputs.push, true);
    const tag = `123.dkr.ecr.us-east-1.amazonaws.com/mlops/mlops-runtime:${contentDigest(REPO_ROOT).slice(0, 16)}`;
    assert.deepEqual(b.inputs.tags, [tag]);
    assert.equal(ref, `${tag}@sha256:${"ab".repeat(32)}`);
  });

  it("builds the CUDA variant from runtime/Dockerfile.gpu with a -gpu tag", async () => {
    new RuntimeImage("gpu", { build: { registryUrl: "registry.example.com/ml", gpu: true, push: false, repository: "runtime" } });
    await new Promise((r) => setTimeout(r, 50));
    const b = image("gpu");
    assert.equal(b?.inputs.dockerfile.location, join(REPO_ROOT, "runtime/Dockerfile.gpu"));
    assert.equal(b?.inputs.push, false);
    assert.match(b?.inputs.tags[0], /^registry\.example\.com\/ml\/runtime:[0-9a-f]{16}-gpu$/);
  });

  it("changes the content tag exactly when an image input changes", () => {
    const dir = mkdtempSync(join(tmpdir(), "mlops-image-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "package.json"), "{}");
    writeFileSync(join(dir, "src", "a.ts"), "export {}");
    const inputs = ["package.json", "src", "missing"];
    const first = contentDigest(dir, inputs);
    assert.equal(contentDigest(dir, inputs), first);
    writeFileSync(join(dir, "unrelated.txt"), "x");
    assert.equal(contentDigest(dir, inputs), first);
    writeFileSync(join(dir, "src", "a.ts"), "export const x = 1;");
    assert.notEqual(contentDigest(dir, inputs), first);
  });

  it("requires exactly one of image or build and reports bad fields with their paths", () => {
    const paths = (args: unknown) => {
      try {
        new RuntimeImage("bad", args as never);
      } catch (err) {
        assert.ok(pulumi.InputPropertiesError.isInstance(err));
        return (err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
      }
      return [];
    };
    assert.deepEqual(paths({}), ["image"]);
    assert.deepEqual(paths({ image: "a/b:1", build: { registryUrl: "r.io/x" } }), ["build"]);
    assert.deepEqual(paths({ build: { registryUrl: "", repository: "Upper" } }), ["build.registryUrl", "build.repository"]);
  });

  it("applies the documented build defaults", () => {
    const source = readFileSync(new URL("../../../components/kubernetes/runtime-image.ts", import.meta.url), "utf8");
    const iface = source.slice(source.indexOf("export interface RuntimeImageArgs"), source.indexOf("export const runtimeImageArgsSchema"));
    const documented = [...iface.matchAll(/@default ([^*]+?) \*\/\s+(\w+)\?:/g)].filter((m) => !m[1]?.startsWith("-"));
    assert.deepEqual(documented.map((m) => m[2]).sort(), ["gpu", "push", "repository"]);
    const parsed = runtimeImageArgsSchema.parse({ build: { registryUrl: "r.io/x" } }).build as Record<string, unknown>;
    for (const [, doc, field] of documented) assert.deepEqual(parsed[field as string], JSON.parse(doc as string), String(field));
  });
});

/** A small Dockerfile reader: instructions with line continuations joined and comments dropped. */
function instructions(path: string): { op: string; args: string }[] {
  const text = readFileSync(join(REPO_ROOT, path), "utf8").replace(/\\\n(\s*#[^\n]*\n)*/g, " ");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

function stages(path: string) {
  const ins = instructions(path);
  const globalArgs = new Map<string, string>();
  for (const i of ins) {
    if (i.op === "FROM") break;
    if (i.op === "ARG") {
      const [k, v] = i.args.split("=");
      if (k && v) globalArgs.set(k, v);
    }
  }
  const out: { base: string; name: string; body: { op: string; args: string }[] }[] = [];
  for (const i of ins) {
    if (i.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      assert.ok(m, `FROM ${i.args}`);
      const base = (m[1] ?? "").replace(/^\$\{(\w+)\}$/, (_, k: string) => globalArgs.get(k) ?? `\${${k}}`);
      out.push({ base, name: m[2] ?? "", body: [] });
    } else out.at(-1)?.body.push(i);
  }
  return out;
}

describe("runtime Dockerfiles", () => {
  for (const file of ["runtime/Dockerfile", "runtime/Dockerfile.gpu"]) {
    it(`${file}: multi-stage, pinned bases, npm ci --omit=dev, non-root 10001, mlops entrypoint, no HEALTHCHECK`, () => {
      const all = stages(file);
      assert.ok(all.length >= 2, "multi-stage");
      const names = new Set(all.map((s) => s.name));
      for (const s of all) {
        const internal = names.has(s.base);
        if (!internal) assert.match(s.base, /^[\w./-]+:\d+(\.\d+){1,2}[\w.-]*$/, `${s.base} is pinned to a full version`);
        assert.doesNotMatch(s.base, /:latest$/);
      }
      const body = all.flatMap((s) => s.body);
      assert.ok(body.some((i) => i.op === "RUN" && /npm ci --omit=dev/.test(i.args)));
      const final = all.at(-1);
      assert.ok(final);
      const user = final.body.filter((i) => i.op === "USER").at(-1);
      assert.equal(user?.args, "10001:10001");
      assert.deepEqual(JSON.parse(final.body.find((i) => i.op === "ENTRYPOINT")?.args ?? "null"), ["node", "/app/runtime/bin/mlops.js"]);
      assert.equal(final.body.find((i) => i.op === "HEALTHCHECK")?.args, "NONE");
      assert.ok(final.body.some((i) => i.op === "LABEL" && /org\.opencontainers\.image\.title/.test(i.args)));
      assert.ok(final.body.some((i) => i.op === "ENV" && /HOME=\/tmp/.test(i.args)), "HOME on the writable /tmp");
      // Nothing in the final image is copied owned by the runtime user: app files stay read-only to it.
      assert.ok(!final.body.some((i) => i.op === "COPY" && /--chown=(10001|mlops)/.test(i.args)));
      assert.ok(!final.body.some((i) => i.op === "RUN" && /npm (ci|install)/.test(i.args)), "no dependency install in the final stage");
    });
  }

  it("the GPU image is CUDA 11.2 + cuDNN 8 (what tfjs-node-gpu 4.22's libtensorflow 2.9.1 links) with Node 24", () => {
    const all = stages("runtime/Dockerfile.gpu");
    assert.ok(all.some((s) => /^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/.test(s.base)));
    assert.ok(all.some((s) => /^node:24\.\d+\.\d+-/.test(s.base)));
    // tfjs-node is an optional dependency; when installed, its README states the versions.
    const readme = join(REPO_ROOT, "node_modules/@tensorflow/tfjs-node/README.md");
    if (!existsSync(readme)) return;
    const tfjsReadme = readFileSync(readme, "utf8");
    assert.match(tfjsReadme, /CUDA® Toolkit\]\([^)]*\)\s*\|\s*11\.2/);
    assert.match(tfjsReadme, /cuDNN SDK\]\([^)]*\)\s*\|\s*8\.1/);
  });

  it("the build context admits exactly the image inputs, and every input exists in the checkout", () => {
    const ignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    assert.equal(ignore[0], "**");
    const admitted = ignore.slice(1).map((l) => l.replace(/^!/, "").replace(/\/\*\*$/, ""));
    const needed = IMAGE_INPUTS.filter((i) => i !== ".dockerignore" && !i.startsWith("runtime/Dockerfile"));
    assert.deepEqual(admitted.sort(), [...needed].sort());
    for (const input of IMAGE_INPUTS) assert.ok(existsSync(join(REPO_ROOT, input)), input);
  });

  it("the Dockerfiles copy only admitted inputs (a COPY of anything else fails the build)", () => {
    for (const file of ["runtime/Dockerfile", "runtime/Dockerfile.gpu"]) {
      for (const i of instructions(file).filter((x) => x.op === "COPY" && !x.args.startsWith("--from"))) {
        const sources = i.args.split(/\s+/).slice(0, -1);
        for (const src of sources) assert.ok(IMAGE_INPUTS.some((input) => src === input || src.startsWith(`${input}/`) || input.startsWith(`${src.replace(/\/$/, "")}/`) || src === `${input}/`), `${file}: COPY ${src}`);
      }
    }
  });
});

describe("the image build context", () => {
  it("is the repository root in a checkout", () => {
    assert.equal(componentPackageDir(), join(REPO_ROOT, "components"));
    assert.equal(imageBuildContext(), REPO_ROOT);
  });

  it("is the package's image/ folder when installed, and a clear error when that is missing", () => {
    const project = mkdtempSync(join(tmpdir(), "mlops-installed-"));
    const pkg = join(project, "node_modules", "pulumi-mlops");
    mkdirSync(join(pkg, "dist", "kubernetes"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "pulumi-mlops", version: "0.1.0" }));
    assert.equal(componentPackageDir(join(pkg, "dist", "kubernetes", "runtime-image.js")), pkg);
    assert.throws(() => imageBuildContext(pkg), (err: Error) => err.message.includes(join(pkg, "image")) && /image: \{ ref \}/.test(err.message));
    for (const input of IMAGE_INPUTS) cpSync(join(REPO_ROOT, input), join(pkg, "image", input), { recursive: true });
    assert.equal(imageBuildContext(pkg), join(pkg, "image"));
    assert.equal(contentDigest(join(pkg, "image")), contentDigest(REPO_ROOT), "the same inputs give the same tag");
  });
});
