// The cloud SDKs are optional peers of pulumi-mlops: a project installs only its own cloud's. So
// the package's entry points, and validating a config for any cloud, must not load one. The child
// process below refuses to resolve any cloud SDK, as a project without them would.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const refuseSdks = `
import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    if (/^@pulumi\\/(aws|gcp|azure-native)(\\/|$)/.test(specifier)) throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: "ERR_MODULE_NOT_FOUND" });
    return next(specifier, context);
  },
});`;

function runWithoutSdks(script: string) {
  const hook = `data:text/javascript,${encodeURIComponent(refuseSdks)}`;
  return spawnSync(process.execPath, ["--conditions=pulumi-mlops-source", "--import", hook, "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
}

test("the package's entry points and the config schema of every cloud load without any cloud SDK", () => {
  const r = runWithoutSdks(`
    await import("./components/index.ts");
    await import("./components/policy/index.ts");
    await import("./components/synth/index.ts");
    const { platformConfig } = await import("./components/platform/platform-config.ts");
    for (const cfg of [
      { cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["198.51.100.7/32"] } },
      { cloud: "gcp", region: "us-central1", gcp: { project: "my-project", authorizedCidrs: ["198.51.100.7/32"] } },
      { cloud: "azure", region: "eastus", azure: { authorizedCidrs: ["198.51.100.7/32"] } },
    ]) {
      const r = platformConfig.safeParse(cfg);
      if (!r.success) throw new Error(cfg.cloud + ": " + JSON.stringify(r.error.issues));
    }
    console.log("loaded");`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /loaded/);
  // The hook works: the cloud's own entry point does need its SDK.
  const aws = runWithoutSdks('await import("./components/aws/public.ts");');
  assert.notEqual(aws.status, 0);
  assert.match(aws.stderr, /Cannot find package '@pulumi\/aws/);
});

test("a platform on a cloud whose SDK is missing fails at construction with the npm install line, naming the cloud", () => {
  const r = runWithoutSdks(`
    const pulumi = await import("@pulumi/pulumi");
    pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name + "-id", state: a.inputs }), call: () => ({}) }, "p", "dev", false);
    const { MlopsPlatform } = await import("./components/index.ts");
    try {
      new MlopsPlatform("m", { cloud: "gcp", region: "us-central1", gcp: { project: "my-project", authorizedCidrs: ["198.51.100.7/32"] } });
      console.log("constructed");
    } catch (e) {
      console.log(pulumi.RunError.isInstance(e) ? "RunError: " + e.message : "other: " + e);
    }`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RunError: cloud: gcp needs the @pulumi\/gcp package, which is not installed in this project: npm install @pulumi\/gcp@"\^9\.37\.0"/);
});
