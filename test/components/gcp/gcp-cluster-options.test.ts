import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupGcpMocks } from "./gcp-mocks.ts";

setupGcpMocks();
const { GcpCluster, gcpClusterOptions, gcpClusterArgs, gcpGpuPoolOptions, gpuPoolIssues, defaultZones } = await import("../../../components/gcp/index.ts");

function errorsOf(args: unknown): Array<{ propertyPath: string; reason: string }> {
  try {
    new GcpCluster("bad", args as never);
  } catch (e) {
    assert.ok(pulumi.InputPropertiesError.isInstance(e), `not an InputPropertiesError: ${e}`);
    return (e as pulumi.InputPropertiesError).errors.map((x) => ({ propertyPath: x.propertyPath, reason: x.reason }));
  }
  assert.fail("expected invalid arguments");
}

test("every problem is reported at once with its path", () => {
  const errors = errorsOf({
    namespace: "mlops",
    gpuPools: [
      { name: "ok", machineType: "a2-highgpu-1g", accelerator: "nvidia-tesla-a100" },
      { name: "aws", machineType: "m5.large" },
      { name: "minmax", minNodes: 3, maxNodes: 1 },
      { name: "ok" },
      { name: "pair", machineType: "n1-standard-8", accelerator: "nvidia-l4" },
      { name: "fake", accelerator: "nvidia-rtx-4090" },
    ],
    systemPool: { minNodes: 4, maxNodes: 2 },
    network: { podsCidr: "10.0.128.0/17" },
  });
  const byPath = new Map(errors.map((e) => [e.propertyPath, e.reason]));
  assert.deepEqual([...byPath.keys()].sort(), [
    "gpuPools[1].machineType",
    "gpuPools[2].maxNodes",
    "gpuPools[3].name",
    "gpuPools[4].machineType",
    "gpuPools[5].accelerator",
    "network.podsCidr",
    "region",
    "systemPool.maxNodes",
  ]);
  assert.match(byPath.get("gpuPools[1].machineType")!, /"m5\.large" is not a GPU machine type of Compute Engine \(n1-\*, a2-\*, g2-\*, a3-\*/);
  assert.match(byPath.get("gpuPools[2].maxNodes")!, /must be >= minNodes \(3\)/);
  assert.match(byPath.get("gpuPools[3].name")!, /"ok" is already the name of gpuPools\[0\]/);
  assert.match(byPath.get("gpuPools[4].machineType")!, /"n1-standard-8" cannot carry nvidia-l4; use g2-\*/);
  assert.match(byPath.get("gpuPools[5].accelerator")!, /"nvidia-rtx-4090" is not a GKE GPU accelerator type \(nvidia-tesla-t4, /);
  assert.match(byPath.get("network.podsCidr")!, /overlaps network\.cidr \(10\.0\.0\.0\/16\)/);
  assert.match(byPath.get("systemPool.maxNodes")!, /must be >= minNodes \(4\)/);
});

test("zones must belong to the region and the namespace must be a DNS label", () => {
  const errors = errorsOf({ region: "us-central1", namespace: "ML", zones: ["us-central1-a", "us-east1-b"], gpuPools: [{ name: "gpu", zones: ["europe-west4-a"] }] });
  assert.deepEqual(errors.map((e) => e.propertyPath).sort(), ["gpuPools[0].zones[0]", "namespace", "zones[1]"]);
});

test("a private endpoint rejects public authorized ranges other than the default", () => {
  const errors = errorsOf({ region: "us-central1", namespace: "mlops", authorizedCidrs: ["10.8.0.0/16", "198.51.100.0/24"] });
  assert.deepEqual(errors, [{ propertyPath: "authorizedCidrs[1]", reason: "198.51.100.0/24 is public; a private endpoint (publicEndpoint: false) only admits RFC 1918 ranges" }]);
  assert.ok(gcpClusterArgs.safeParse({ region: "us-central1", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["198.51.100.0/24"] }).success);
});

test("unknown fields are rejected (strict options)", () => {
  const errors = errorsOf({ region: "us-central1", namespace: "mlops", nodeCount: 3, registry: { scan: true } });
  // Each unknown key is reported at its own path, so the message names the typo.
  assert.deepEqual(errors.map((e) => e.propertyPath).sort(), ["nodeCount", "registry.scan"]);
});

test("GPU machine and accelerator pairs follow the Compute Engine families", () => {
  const ok: Array<[string, string, number]> = [
    ["n1-standard-4", "nvidia-tesla-t4", 1],
    ["n1-highmem-8", "nvidia-tesla-v100", 2],
    ["a2-highgpu-1g", "nvidia-tesla-a100", 1],
    ["a2-highgpu-4g", "nvidia-tesla-a100", 4],
    ["a2-ultragpu-1g", "nvidia-a100-80gb", 1],
    ["g2-standard-8", "nvidia-l4", 1],
    ["g2-standard-24", "nvidia-l4", 2],
    ["a3-highgpu-8g", "nvidia-h100-80gb", 8],
  ];
  for (const [m, a, n] of ok) assert.deepEqual(gpuPoolIssues(m, a, n), [], `${m} + ${a} x${n}`);
  assert.deepEqual(gpuPoolIssues("a2-highgpu-2g", "nvidia-tesla-a100", 1).map((i) => i.field), ["acceleratorCount"]);
  assert.deepEqual(gpuPoolIssues("g2-standard-8", "nvidia-tesla-t4", 1).map((i) => i.field), ["machineType"]);
  assert.deepEqual(gpuPoolIssues("e2-standard-4", "nvidia-tesla-t4", 1).map((i) => i.field), ["machineType"]);
  assert.deepEqual(gpuPoolIssues("n1-standard-4", "nvidia-tesla-t4", 3).map((i) => i.field), ["acceleratorCount"]);
});

test("defaults describe a cheap private dev cluster with one T4 pool", () => {
  const o = gcpClusterOptions.parse({ region: "us-central1" });
  assert.equal(o.publicEndpoint, false);
  assert.equal(o.highAvailability, false);
  assert.equal(o.kubernetesVersion, "1.35");
  assert.equal(o.releaseChannel, "REGULAR");
  assert.deepEqual(o.gpuPools, [{ name: "gpu", machineType: "n1-standard-4", accelerator: "nvidia-tesla-t4", acceleratorCount: 1, minNodes: 0, maxNodes: 2, spot: false, diskSizeGb: 100, gpuDriverVersion: "LATEST" }]);
  assert.deepEqual(o.systemPool, { machineType: "e2-standard-2", minNodes: 1, maxNodes: 3, diskSizeGb: 50 });
  assert.deepEqual(o.encryption, { customerManagedKey: true, rotationDays: 90 });
  assert.deepEqual(defaultZones("us-central1"), ["us-central1-a", "us-central1-b", "us-central1-c"]);
  assert.deepEqual(defaultZones("europe-west1"), ["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
});

test("nested options default field by field", () => {
  const o = gcpClusterOptions.parse({ region: "us-central1", systemPool: { maxNodes: 5 }, network: { cidr: "10.1.0.0/16" }, modelStore: { forceDestroy: true } });
  assert.deepEqual(o.systemPool, { machineType: "e2-standard-2", minNodes: 1, maxNodes: 5, diskSizeGb: 50 });
  assert.equal(o.network.podsCidr, "10.16.0.0/14");
  assert.equal(o.modelStore.feedbackRetentionDays, 90);
});

test("the platform can omit region, and parsed options are valid args again", () => {
  const section = gcpClusterOptions.omit({ region: true }).parse({ highAvailability: true });
  const parsed = gcpClusterArgs.safeParse({ ...section, region: "us-central1", namespace: "mlops", tags: {} });
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.equal(JSON.parse(JSON.stringify(section)).highAvailability, true);
});

// STYLE rule 3: the `@default` of every option's doc comment is what the schema applies.
test("documented @default values match the schema's defaults", () => {
  const src = readFileSync(new URL("../../../components/gcp/options.ts", import.meta.url), "utf8");
  const checked = [
    ...documentedDefaults(src, "export const gcpGpuPoolOptions", "export const gcpClusterOptions").map((d) => ({ ...d, value: get(gcpGpuPoolOptions.parse({ name: "x" }), d.path) })),
    ...documentedDefaults(src, "export const gcpClusterOptions", "export interface GcpClusterArgs").map((d) => ({ ...d, value: get(gcpClusterOptions.parse({ region: "us-central1" }), d.path) })),
  ];
  assert.ok(checked.length >= 25, `only ${checked.length} documented defaults found`);
  for (const d of checked) assert.deepEqual(d.value, d.documented, `@default of ${d.path.join(".")}`);
});

/** `/** ... @default <JSON> *\/` comments followed by `key:` lines, with the key's path from the indentation. */
function documentedDefaults(src: string, from: string, to: string): Array<{ path: string[]; documented: unknown }> {
  const lines = src.slice(src.indexOf(from), src.indexOf(to)).split("\n");
  const stack: Array<{ indent: number; key: string }> = [];
  const out: Array<{ path: string[]; documented: unknown }> = [];
  let pending: string | undefined;
  for (const line of lines) {
    const doc = /^\s*\/\*\*.*@default (.+?) \*\/\s*$/.exec(line);
    if (doc) {
      pending = doc[1];
      continue;
    }
    const key = /^(\s*)(\w+)(: |,$)/.exec(line);
    if (!key) continue;
    const indent = key[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack.push({ indent, key: key[2]! });
    if (pending !== undefined) {
      try {
        out.push({ path: stack.map((s) => s.key), documented: JSON.parse(pending) });
      } catch {
        // Prose defaults (`@default - ...`) are not machine-checked.
      }
      pending = undefined;
    }
  }
  return out;
}

function get(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

test("service-account and repository ids fit GCP's rules, long names stay distinct", async () => {
  const { gcpResourceId } = await import("../../../components/gcp/gcp-resource-id.ts");
  const a = gcpResourceId(["mlops-platform-gcp", "gcp-production-europe", "runtime"], 30);
  const b = gcpResourceId(["mlops-platform-gcp", "gcp-production-europe", "nodes"], 30);
  for (const id of [a, b, gcpResourceId(["ML_Platform", "dev"], 30), gcpResourceId(["1x", "s"], 30)]) assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, id);
  assert.notEqual(a, b);
  assert.equal(gcpResourceId(["mlops-gcp", "gcp-dev", "runtime"], 30), "mlops-gcp-gcp-dev-runtime");
});

test("network ranges must be network addresses (GCP refuses host bits in a subnet range at create time); authorized sources may name an address with its prefix", () => {
  const network = gcpClusterOptions.shape.network;
  const bad = network.safeParse({ cidr: "10.0.0.1/16", podsCidr: "300.16.0.0/14" });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues.map((i) => [i.path.join("."), i.message]), [
    ["cidr", "must be an IPv4 CIDR like 10.0.0.0/16 (no host bits set)"],
    ["podsCidr", "must be an IPv4 CIDR like 10.0.0.0/16 (no host bits set)"],
  ]);
  const authorized = gcpClusterOptions.shape.authorizedCidrs;
  assert.equal(authorized.safeParse(["198.51.100.7/24"]).success, true);
  assert.equal(authorized.safeParse(["198.51.100.7"]).success, false, "a bare address needs its /32");
});
