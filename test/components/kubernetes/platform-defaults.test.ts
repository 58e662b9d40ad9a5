import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { z } from "zod";
import { setupPulumiMocks, testClusterHandle } from "../../helpers/pulumi-mocks.ts";

// STYLE rule 3: the `@default` documented on every Args field is what the schema applies.
setupPulumiMocks();
const { modelServingArgs } = await import("../../../components/kubernetes/model-serving.ts");
const { retrainingArgs } = await import("../../../components/kubernetes/retraining.ts");
const { existingClusterArgs } = await import("../../../components/kubernetes/existing-cluster.ts");

/** `@default` literals of an interface's fields, by property path (single-line doc comments, nested `name?: {` blocks). */
function documentedDefaults(file: string, iface: string): Map<string, unknown> {
  const src = readFileSync(new URL(`../../../components/kubernetes/${file}`, import.meta.url), "utf8");
  const start = src.indexOf(`export interface ${iface} `);
  assert.ok(start >= 0, `${iface} not found in ${file}`);
  const lines = src.slice(start).split("\n").slice(1);
  const out = new Map<string, unknown>();
  const stack: string[] = [];
  let pending: string | undefined;
  for (const line of lines) {
    if (/^\}/.test(line)) break;
    const doc = /^\s*\/\*\*.*@default (.+?) \*\/\s*$/.exec(line);
    if (doc) {
      pending = doc[1];
      continue;
    }
    const field = /^\s*(\w+)\??: (.*)$/.exec(line);
    if (field) {
      const path = [...stack, field[1]].join(".");
      if (pending !== undefined && !pending.startsWith("- ")) {
        const literal = pending.replace(/ - .*$/, "");
        out.set(path, Function(`return (${literal});`)());
      }
      pending = undefined;
      if (/\{\s*$/.test(field[2]!)) stack.push(field[1]!);
      continue;
    }
    if (/^\s*\};?\s*$/.test(line)) stack.pop();
    else if (!/^\s*(\/\*\*|\*)/.test(line)) pending = undefined;
  }
  return out;
}

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

async function check(file: string, iface: string, schema: z.ZodType, minimal: Record<string, unknown>, expectAtLeast: number) {
  const documented = documentedDefaults(file, iface);
  assert.ok(documented.size >= expectAtLeast, `${iface}: found only ${documented.size} documented defaults: ${[...documented.keys()].join(", ")}`);
  const parsed = schema.parse(minimal);
  for (const [path, value] of documented) assert.deepEqual(at(parsed, path), value, `${iface}.${path}: documented @default differs from the applied one`);
}

test("ModelServingArgs' documented defaults are the applied ones", async () => {
  const cluster = await testClusterHandle();
  await check("model-serving.ts", "ModelServingArgs", modelServingArgs, { cluster, namespace: "ns", image: "img", ingress: { className: "nginx", host: "a.example.com", controllerNamespace: "ingress" } }, 7);
});

test("RetrainingArgs' documented defaults are the applied ones", async () => {
  const cluster = await testClusterHandle();
  await check("retraining.ts", "RetrainingArgs", retrainingArgs, { cluster, namespace: "ns", image: "img", policy: { model: "m" } }, 7);
});

test("ExistingClusterArgs' documented defaults are the applied ones", async () => {
  await check("existing-cluster.ts", "ExistingClusterArgs", existingClusterArgs, { namespace: "ns", gpu: { nodeSelector: { a: "b" } } }, 9);
});

test("BatchScoringArgs' documented defaults are the applied ones", async () => {
  const { batchScoringArgs } = await import("../../../components/kubernetes/batch-scoring.ts");
  const cluster = await testClusterHandle();
  await check("batch-scoring.ts", "BatchScoringArgs", batchScoringArgs, { cluster, namespace: "ns", image: "img", model: "m", input: "s3://b/in/", output: "s3://b/out/", shards: 2 }, 7);
});
