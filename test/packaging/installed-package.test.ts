// The component library as a user gets it: `npm pack` of the contract and pulumi-mlops packages,
// installed from the tarballs into fresh Pulumi projects made like `pulumi new typescript`
// (CommonJS + nodenext) and like an ESM project (an example copied out of the repository), then
// previewed through the Pulumi engine protocol. Nothing here may resolve into this checkout.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sdkRootImports } from "../helpers/sdk-root-imports.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const engine = path.join(root, "..", "shared", "tools", "pulumi-engine.mjs");
const invokes = path.join(root, "test", "fixtures", "engine-invokes.json");
const work = mkdtempSync(path.join(tmpdir(), "mlops-installed-"));
const rootDev = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;
// The checkout's conditions (NODE_OPTIONS=--conditions=pulumi-mlops-source) must not leak into
// the consumer: a user's Node resolves the package's compiled dist/.
const cleanEnv = { ...process.env, NODE_OPTIONS: "", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

function run(cmd: string, args: string[], cwd: string, timeout = 600_000) {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} in ${cwd} exited ${r.status}${r.signal ? ` (${r.signal})` : ""}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
/** Runs the engine's preview; its summary line (`N resources, E error(s), exit X`) goes to stderr. */
function preview(project: string, args: string[]): string {
  const r = spawnSync(process.execPath, [engine, project, "dev", ...args], { cwd: project, env: cleanEnv, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `preview of ${project} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stderr;
}
const npm = (args: string[], cwd: string) => run(process.platform === "win32" ? "npm.cmd" : "npm", args, cwd);

let tarballs: { contract: string; components: string };
let consumer: string;

before(() => {
  const pkgs = path.join(work, "pkgs");
  mkdirSync(pkgs);
  // prepack builds dist/ and (for pulumi-mlops) copies the image build context into image/.
  const out = npm(["pack", "--workspace", "contract", "--workspace", "components", "--pack-destination", pkgs, "--json"], root);
  const packed = JSON.parse(out.slice(out.indexOf("["))) as { name: string; filename: string }[];
  const file = (name: string) => path.join(pkgs, packed.find((p) => p.name === name)!.filename);
  tarballs = { contract: file("@pulumi-mlops/contract"), components: file("pulumi-mlops") };

  // A project like `pulumi new typescript` makes today: CommonJS, module/moduleResolution nodenext.
  consumer = path.join(work, "consumer-cjs");
  mkdirSync(consumer);
  writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({
      name: "consumer-cjs",
      main: "index.ts",
      devDependencies: { "@types/node": rootDev["@types/node"], typescript: rootDev.typescript, "ts-node": rootDev["ts-node"] },
      dependencies: { "@pulumi/pulumi": rootDev["@pulumi/pulumi"], "@pulumi-mlops/contract": `file:${tarballs.contract}`, "pulumi-mlops": `file:${tarballs.components}` },
    }),
  );
  writeFileSync(
    path.join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, outDir: "bin", target: "es2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: true, experimentalDecorators: true, pretty: true, noFallthroughCasesInSwitch: true, noImplicitReturns: true, forceConsistentCasingInFileNames: true },
      files: ["index.ts"],
    }),
  );
  writeFileSync(path.join(consumer, "Pulumi.yaml"), "name: consumer\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
  writeFileSync(path.join(consumer, "Pulumi.dev.yaml"), "config: {}\n");
  writeFileSync(
    path.join(consumer, "index.ts"),
    [
      'import * as pulumi from "@pulumi/pulumi";',
      'import { MlopsPlatform } from "pulumi-mlops";',
      "",
      "// An existing cluster; the runtime image is built from the installed package's image/ context.",
      'const platform = new MlopsPlatform("mlops", {',
      '  cloud: "existing",',
      '  profile: "dev",',
      '  existing: { clusterName: "kind", registryUrl: "localhost:5001" },',
      '  retraining: { policy: { model: "churn", gate: { minImprovement: 0.01 } } },',
      "});",
      "export const endpoint: pulumi.Output<string> = platform.endpoint;",
      "",
    ].join("\n"),
  );
  npm(["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], consumer);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** Every installed copy of a package under node_modules (nested ones included). */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nm: string) => {
    if (!existsSync(nm)) return;
    if (existsSync(path.join(nm, name, "package.json"))) found.push(path.join(nm, name));
    for (const e of readdirSync(nm, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const scoped = e.name.startsWith("@") ? readdirSync(path.join(nm, e.name)).map((s) => path.join(nm, e.name, s)) : [path.join(nm, e.name)];
      for (const p of scoped) walk(path.join(p, "node_modules"));
    }
  };
  walk(path.join(dir, "node_modules"));
  return found;
}

describe("pulumi-mlops installed from its packed tarball", () => {
  it("brings the components and nothing of the runtime: no TensorFlow.js, fastify or storage SDKs; one @pulumi/pulumi", () => {
    for (const runtimeOnly of ["@tensorflow/tfjs-core", "@tensorflow/tfjs-node", "fastify", "@aws-sdk/client-s3", "@google-cloud/storage", "@pulumi-mlops/runtime", "vega-datasets"]) {
      assert.deepEqual(copiesOf(consumer, runtimeOnly), [], `${runtimeOnly} is not installed`);
    }
    assert.equal(copiesOf(consumer, "@pulumi/pulumi").length, 1, "one @pulumi/pulumi");
    // The cloud SDKs are optional peers: an existing-cluster project gets none of them.
    for (const sdk of ["@pulumi/aws", "@pulumi/gcp", "@pulumi/azure-native"]) assert.deepEqual(copiesOf(consumer, sdk), [], `${sdk} is not installed`);
    const pkg = path.join(consumer, "node_modules", "pulumi-mlops");
    for (const f of ["dist/index.js", "dist/index.d.ts", "bin/pulumi-mlops.js", "image/runtime/Dockerfile", "image/runtime/Dockerfile.gpu", "image/package-lock.json", "image/.dockerignore", "image/runtime/src/cli/main.ts", "image/contract/src/index.ts"]) {
      assert.ok(existsSync(path.join(pkg, f)), `the package ships ${f}`);
    }
    assert.ok(!existsSync(path.join(pkg, "index.ts")), "no TypeScript sources outside image/ (Node will not strip types under node_modules)");
  });

  it("imports no cloud or Kubernetes SDK package root from its built .d.ts and .js files (a consumer's tsc would load every module of it)", () => {
    const pkg = path.join(consumer, "node_modules", "pulumi-mlops");
    const found = sdkRootImports(path.join(pkg, "dist"), [".d.ts", ".js"], pkg);
    assert.deepEqual(found, [], `these built files import an SDK package root (see test/packaging/sdk-imports.test.ts):\n  ${found.join("\n  ")}`);
  });

  it("type-checks a CommonJS + nodenext program that uses it (tsc --noEmit)", () => {
    run(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", consumer], consumer);
  });

  it("type-checks under the older template's moduleResolution node once skipLibCheck and esModuleInterop are on (README's Install)", () => {
    const legacy = path.join(work, "consumer-node10");
    mkdirSync(legacy);
    cpSync(path.join(consumer, "index.ts"), path.join(legacy, "index.ts"));
    symlinkSync(path.join(consumer, "node_modules"), path.join(legacy, "node_modules"));
    const options = { strict: true, target: "es2020", module: "commonjs", moduleResolution: "node", noEmit: true };
    const tsc = (compilerOptions: object) => {
      writeFileSync(path.join(legacy, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }));
      return spawnSync(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", legacy], { cwd: legacy, env: cleanEnv, encoding: "utf8" });
    };
    // As documented: without the two flags zod's own declarations fail (TS1259); with them it compiles.
    assert.notEqual(tsc(options).status, 0);
    const fixed = tsc({ ...options, skipLibCheck: true, esModuleInterop: true });
    assert.equal(fixed.status, 0, fixed.stdout);
  });

  it("shows each Args field's docs and @default in the editor (language service quick info over the installed .d.ts)", async () => {
    const ts = (await import(path.join(consumer, "node_modules", "typescript", "lib", "typescript.js"))).default as typeof import("typescript");
    const file = path.join(consumer, "probe.ts");
    const text = 'import { MlopsPlatform } from "pulumi-mlops";\nnew MlopsPlatform("m", { cloud: "aws", profile: "dev", region: "r", serving: { minReplicas: 1 }, monitoring: { retention: "7d" }, aws: { authorizedCidrs: [] }, retraining: { policy: { model: "m", cooldownSeconds: 1 } } });\n';
    writeFileSync(file, text);
    const options = ts.parseJsonConfigFileContent(JSON.parse(readFileSync(path.join(consumer, "tsconfig.json"), "utf8")), ts.sys, consumer).options;
    const service = ts.createLanguageService({
      getScriptFileNames: () => [file],
      getScriptVersion: () => "1",
      getScriptSnapshot: (f) => (existsSync(f) ? ts.ScriptSnapshot.fromString(readFileSync(f, "utf8")) : undefined),
      getCurrentDirectory: () => consumer,
      getCompilationSettings: () => options,
      getDefaultLibFileName: ts.getDefaultLibFilePath,
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    });
    const hover = (field: string) => {
      const info = service.getQuickInfoAtPosition(file, text.indexOf(`${field}:`));
      return [ts.displayPartsToString(info?.documentation ?? []), ...(info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text ?? [])}`)].join(" ");
    };
    assert.match(hover("cloud"), /Target cloud/);
    assert.match(hover("profile"), /@default "dev"/);
    assert.match(hover("minReplicas"), /@default/, "serving fields (documented on ModelServingArgs)");
    assert.match(hover("retention"), /@default "15d"/);
    assert.match(hover("authorizedCidrs"), /Kubernetes API/, "a cloud section's fields");
    assert.match(hover("cooldownSeconds"), /@default 600/, "retraining.policy is the controller policy's input type");
  });

  it("runs pulumi-mlops synth from the installed bin, building the image from node_modules/pulumi-mlops/image", () => {
    const out = path.join(work, "synth-cjs");
    run(process.execPath, [path.join(consumer, "node_modules", "pulumi-mlops", "bin", "pulumi-mlops.js"), "synth", "dev", "--project", consumer, "--out", out], consumer);
    const resources = JSON.parse(readFileSync(path.join(out, "resources.json"), "utf8")) as { type: string; inputs: any }[];
    const image = resources.find((r) => r.type === "docker-build:index:Image");
    assert.ok(image, "the runtime image is built");
    const context = path.join(consumer, "node_modules", "pulumi-mlops", "image");
    assert.equal(image.inputs.context.location, context);
    assert.equal(image.inputs.dockerfile.location, path.join(context, "runtime", "Dockerfile"));
  });

  it("previews the CommonJS existing-cluster program through the Pulumi engine with 0 errors", { skip: !existsSync(engine) && "the engine tool is not beside this checkout" }, () => {
    assert.match(preview(consumer, ["--out", path.join(work, "preview-cjs.json")]), /pulumi-engine: preview of consumer\/dev: \d+ resources, 0 error\(s\), exit 0/);
  });

  it("previews an ESM AWS example (fraud-detection-aws) copied out of the repository, with its own dependencies (@pulumi/aws) and devDependencies, and the same platform from a CommonJS project", { skip: !existsSync(engine) && "the engine tool is not beside this checkout" }, () => {
    const example = path.join(work, "fraud-detection-aws");
    cpSync(path.join(root, "examples", "fraud-detection-aws"), example, { recursive: true });
    const file = path.join(example, "package.json");
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.equal(manifest.dependencies["pulumi-mlops"], "^0.1.0");
    assert.ok(manifest.dependencies["@pulumi/aws"], "the example brings the AWS SDK, an optional peer of pulumi-mlops");
    for (const dev of ["typescript", "ts-node", "@types/node"]) assert.ok(manifest.devDependencies[dev], `the example brings ${dev}`);
    // Until the packages are on the registry the user points the dependencies at the tarballs.
    manifest.dependencies["pulumi-mlops"] = `file:${tarballs.components}`;
    manifest.dependencies["@pulumi-mlops/contract"] = `file:${tarballs.contract}`;
    writeFileSync(file, JSON.stringify(manifest));
    npm(["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], example);
    assert.equal(copiesOf(example, "@pulumi/aws").length, 1, "one @pulumi/aws");
    for (const sdk of ["@pulumi/gcp", "@pulumi/azure-native"]) assert.deepEqual(copiesOf(example, sdk), [], `${sdk} is not installed`);
    run(process.execPath, [path.join(example, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", example], example);
    assert.match(preview(example, ["--invoke-fixtures", invokes, "--out", path.join(work, "preview-esm.json")]), /pulumi-engine: preview of fraud-detection\/dev: \d+ resources, 0 error\(s\), exit 0/);
    // The cluster on its own, from its entry point, type-checks under nodenext and the older moduleResolution node.
    writeFileSync(path.join(example, "probe.ts"), 'import { AwsCluster, type AwsClusterArgs } from "pulumi-mlops/aws";\nconst args: AwsClusterArgs = { region: "us-east-1", namespace: "mlops" };\nexport const make = () => new AwsCluster("c", args);\n');
    for (const compilerOptions of [
      { strict: true, module: "nodenext", moduleResolution: "nodenext", noEmit: true },
      { strict: true, module: "commonjs", moduleResolution: "node", noEmit: true, skipLibCheck: true, esModuleInterop: true },
    ]) {
      writeFileSync(path.join(example, "tsconfig.probe.json"), JSON.stringify({ compilerOptions, files: ["probe.ts"] }));
      run(process.execPath, [path.join(example, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(example, "tsconfig.probe.json")], example);
    }

    // The same AWS platform from a CommonJS + nodenext project (require() of the package, then of
    // its AWS part). It shares the example's install, whose pulumi-mlops finds @pulumi/aws beside it.
    const cjsAws = path.join(work, "consumer-cjs-aws");
    mkdirSync(cjsAws);
    for (const f of ["package.json", "tsconfig.json", "Pulumi.yaml", "Pulumi.dev.yaml"]) cpSync(path.join(consumer, f), path.join(cjsAws, f));
    symlinkSync(path.join(example, "node_modules"), path.join(cjsAws, "node_modules"));
    writeFileSync(
      path.join(cjsAws, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\nimport { MlopsPlatform } from "pulumi-mlops";\nconst platform = new MlopsPlatform("mlops", { cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["198.51.100.7/32"] } });\nexport const endpoint: pulumi.Output<string> = platform.endpoint;\n',
    );
    run(process.execPath, [path.join(cjsAws, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", cjsAws], cjsAws);
    assert.match(preview(cjsAws, ["--invoke-fixtures", invokes]), /pulumi-engine: preview of consumer\/dev: \d+ resources, 0 error\(s\), exit 0/);
  });
});
