import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import * as api from "../../components/index.ts";
import * as awsApi from "../../components/aws/public.ts";
import * as azureApi from "../../components/azure/public.ts";
import * as gcpApi from "../../components/gcp/public.ts";
import { CLOUD_MODULES } from "../../components/platform/clouds.ts";
import { basePlatformConfig } from "../../components/platform/platform-config.ts";

const componentsOf = (module: object) =>
  Object.keys(module)
    .sort()
    .filter((n) => {
      const v = (module as Record<string, unknown>)[n];
      return typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof pulumi.ComponentResource;
    });

test("the package exports components and a few constants, no zod schemas or helpers", () => {
  const names = Object.keys(api).sort();
  const components = componentsOf(api);
  assert.deepEqual(components, ["BatchScoring", "ExistingCluster", "GpuEnablement", "MlopsPlatform", "MlopsPlatformOnCluster", "ModelServing", "Monitoring", "Retraining", "RuntimeImage"]);
  assert.deepEqual(names.filter((n) => !components.includes(n)), ["GPU_NODE_LABEL", "GPU_TAINT", "PROFILES"]);
  for (const n of names) assert.equal(typeof ((api as Record<string, unknown>)[n] as { safeParse?: unknown }).safeParse, "undefined", `${n} is not a schema`);
});

test("each cloud's cluster is its own entry point (pulumi-mlops/aws, /gcp, /azure), exporting the cluster component only", () => {
  assert.deepEqual(Object.keys(awsApi), ["AwsCluster"]);
  assert.deepEqual(Object.keys(gcpApi), ["GcpCluster"]);
  assert.deepEqual(Object.keys(azureApi), ["AzureCluster"]);
  const manifest = JSON.parse(readFileSync(new URL("../../components/package.json", import.meta.url), "utf8")) as {
    exports: Record<string, Record<string, string>>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    dependencies: Record<string, string>;
  };
  for (const [cloud, module] of Object.entries(CLOUD_MODULES)) {
    assert.equal(manifest.exports[`./${cloud}`]?.["pulumi-mlops-source"], `./${cloud}/public.ts`, `exports["./${cloud}"]`);
    // The cloud's SDK is an optional peer at the range the module names in its install hint.
    assert.equal(manifest.peerDependencies[module.sdk.name], module.sdk.range, `peerDependencies["${module.sdk.name}"]`);
    assert.equal(manifest.peerDependenciesMeta[module.sdk.name]?.optional, true, `${module.sdk.name} is an optional peer`);
    assert.equal(manifest.dependencies[module.sdk.name], undefined, `${module.sdk.name} is not a dependency`);
  }
});

test("every cloud of the table has its section in the platform config, and the config names no other cloud", () => {
  const shape = Object.keys(basePlatformConfig.shape);
  for (const cloud of Object.keys(CLOUD_MODULES)) assert.ok(shape.includes(cloud), `platform-config.ts has the documented key "${cloud}"`);
  assert.deepEqual(basePlatformConfig.shape.cloud.options, [...Object.keys(CLOUD_MODULES), "existing"]);
});
