import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as api from "../../components/index.ts";

test("the package exports components and a few constants, no zod schemas or helpers", () => {
  const names = Object.keys(api).sort();
  const components = names.filter((n) => {
    const v = (api as Record<string, unknown>)[n];
    return typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof pulumi.ComponentResource;
  });
  assert.deepEqual(components, ["AwsCluster", "AzureCluster", "BatchScoring", "ExistingCluster", "GcpCluster", "GpuEnablement", "MlopsPlatform", "MlopsPlatformOnCluster", "ModelServing", "Monitoring", "Retraining", "RuntimeImage"]);
  assert.deepEqual(names.filter((n) => !components.includes(n)), ["GPU_NODE_LABEL", "GPU_TAINT", "PROFILES"]);
  for (const n of names) assert.equal(typeof ((api as Record<string, unknown>)[n] as { safeParse?: unknown }).safeParse, "undefined", `${n} is not a schema`);
});
