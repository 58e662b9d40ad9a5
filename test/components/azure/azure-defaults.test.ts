import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { z } from "zod";
import { setupAzureMocks } from "./azure-mocks.ts";

// STYLE rule 3: the `@default` documented on every option is what the schema applies.
setupAzureMocks();
const { azureClusterOptions, azureGpuPoolOptions, checkAzureClusterOptions } = await import("../../../components/azure/options.ts");
const { nodeSubnetCidr } = await import("../../../components/azure/azure-network.ts");
const { dnsPrefix, dnsServiceIp } = await import("../../../components/azure/aks-cluster.ts");
const { purgeTaskYaml } = await import("../../../components/azure/container-registry.ts");
const { isAzureGpuVmSize } = await import("../../../components/azure/gpu-vm-size.ts");

/**
 * `@default` literals documented on the fields of the zod object that starts at `marker` in
 * azure-cluster.ts, by property path: a field's path is the fields it is indented under.
 */
function documentedDefaults(marker: string): Map<string, unknown> {
  const src = readFileSync(new URL("../../../components/azure/options.ts", import.meta.url), "utf8");
  const start = src.indexOf(marker);
  assert.ok(start >= 0, `${marker} not found`);
  const out = new Map<string, unknown>();
  const stack: { indent: number; name: string }[] = [];
  let pending: { indent: number; literal: string } | undefined;
  for (const line of src.slice(start).split("\n").slice(1)) {
    if (/^\S/.test(line) || /^\s*\.superRefine\(/.test(line)) break;
    const doc = /^(\s*)\/\*\*.*?(?:@default (.+?))? \*\/\s*$/.exec(line);
    if (doc) {
      pending = doc[2] === undefined ? undefined : { indent: doc[1]!.length, literal: doc[2] };
      continue;
    }
    const field = /^(\s*)(\w+): [A-Za-z]\w*(\.|$)/.exec(line);
    if (!field) continue;
    const indent = field[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack.push({ indent, name: field[2]! });
    if (pending !== undefined && pending.indent === indent && !pending.literal.startsWith("- ")) {
      out.set(stack.map((s) => s.name).join("."), Function(`return (${pending.literal});`)());
    }
    pending = undefined;
  }
  return out;
}

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

/** Checks the documented defaults against `schema.parse(minimal)`; those under an optional section are checked against `withOptional`. */
function check(marker: string, schema: z.ZodType, minimal: unknown, expectAtLeast: number, optional?: { prefix: string; withOptional: unknown }) {
  const documented = documentedDefaults(marker);
  assert.ok(documented.size >= expectAtLeast, `found only ${documented.size} documented defaults: ${[...documented.keys()].join(", ")}`);
  const parsed = schema.parse(minimal);
  const parsedWithOptional = optional === undefined ? undefined : schema.parse(optional.withOptional);
  for (const [path, value] of documented) {
    const inOptional = optional !== undefined && path.startsWith(optional.prefix);
    assert.deepEqual(at(inOptional ? parsedWithOptional : parsed, path), value, `${path}: documented @default differs from the applied one`);
  }
}

test("azureClusterOptions' documented defaults are the applied ones", () => {
  const existing = { nodeSubnetId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes" };
  check("export const azureClusterOptions = z", azureClusterOptions, { region: "eastus" }, 35, { prefix: "network.existing.", withOptional: { region: "eastus", network: { existing } } });
});

test("a GPU pool's documented defaults are the applied ones", () => {
  check("export const azureGpuPoolOptions = z", azureGpuPoolOptions, { name: "gpu" }, 5);
});

test("nested sections default field by field: setting one field keeps the others", () => {
  const o = azureClusterOptions.parse({ region: "eastus", systemPool: { vmSize: "Standard_D8s_v5" }, registry: { keepImages: 5 }, gpuPools: [{ name: "a", spot: true }] });
  assert.deepEqual(o.systemPool, { vmSize: "Standard_D8s_v5", minNodes: 1, maxNodes: 3, diskSizeGb: 128 });
  assert.equal(o.registry.sku, "Premium");
  assert.deepEqual(o.gpuPools, [{ name: "a", vmSize: "Standard_NC4as_T4_v3", minNodes: 0, maxNodes: 2, spot: true, diskSizeGb: 128 }]);
  assert.equal(JSON.stringify(o), JSON.stringify(JSON.parse(JSON.stringify(o))), "the options are JSON-able");
});

test("the node subnet is the VNet's first quarter, never smaller than a /24", () => {
  assert.equal(nodeSubnetCidr("10.0.0.0/16"), "10.0.0.0/18");
  assert.equal(nodeSubnetCidr("10.8.0.0/20"), "10.8.0.0/22");
  assert.equal(nodeSubnetCidr("10.8.0.0/23"), "10.8.0.0/24");
  assert.equal(nodeSubnetCidr("10.8.0.0/24"), "10.8.0.0/24");
});

test("the DNS service IP is the tenth address of the service CIDR and the DNS prefix a DNS label", () => {
  assert.equal(dnsServiceIp("172.16.0.0/16"), "172.16.0.10");
  assert.equal(dnsServiceIp("10.255.255.0/24"), "10.255.255.10");
  assert.equal(dnsPrefix("mlops-prod"), "mlops-prod");
  assert.equal(dnsPrefix("My_Cluster."), "my-cluster");
  assert.equal(dnsPrefix("1st"), "k1st");
});

test("the purge task escapes the repository prefix and keeps the newest tags", () => {
  assert.match(purgeTaskYaml("team.ml", 3), /acr purge --filter 'team\\\.ml\/\.\*:\.\*' --ago 0d --keep 3 --untagged/);
});

test("GPU sizes are matched by family, case-insensitively, and CPU or AMD sizes are not GPUs", () => {
  assert.ok(isAzureGpuVmSize("standard_nc4as_t4_v3"));
  for (const s of ["Standard_D4s_v5", "Standard_NV32as_v4", "Standard_ND96isr_MI300X_v5", "m5.large", "Standard_NC6s_v3"]) assert.equal(isAzureGpuVmSize(s), false, s);
});

test("the options stay a plain object schema the platform can omit fields from, with the cross-field checks callable under a path", async () => {
  const { z } = await import("zod");
  const { ALWAYS_REFINE } = await import("../../../components/kubernetes/runtime-workload-args.ts");
  const section = z.object({ azure: azureClusterOptions.omit({ region: true }) }).superRefine((c, ctx) => checkAzureClusterOptions(c.azure, ctx, ["azure"]), ALWAYS_REFINE);
  const r = section.safeParse({ azure: { gpuPools: [{ name: "a", minNodes: 2, maxNodes: 1 }], registry: { sku: "Standard" } } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues.map((i) => i.path.join(".")).sort(), ["azure.gpuPools.0.maxNodes", "azure.registry.sku"]);
  assert.equal(section.safeParse({ azure: {} }).success, true);
});
