import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runSynth } from "../helpers/run-cli.ts";
import { readSynthOutput, type ResourceRecord } from "../components/synth/synth-output.ts";

// What `pulumi up -s azure-dev` would create, checked against what Azure does at create time
// (issue 10, Azure items). Sources are cited at each assertion.
const root = fileURLToPath(new URL("../../", import.meta.url));
let out: { stderr: string; resources: (ResourceRecord & { inputs: any })[] };
let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-azure-dev-"));
  const run = await runSynth(["azure-dev", "--out", dir], { cwd: root });
  assert.equal(run.code, 0, run.stderr);
  out = { stderr: run.stderr, resources: readSynthOutput(dir).resources as (ResourceRecord & { inputs: any })[] };
});
after(() => rm(dir, { recursive: true, force: true }));

const one = (type: string, name: (n: string) => boolean = () => true) => {
  const found = out.resources.filter((r) => r.type === type && name(r.name));
  assert.equal(found.length, 1, `one ${type}, found ${found.map((r) => r.name).join(", ")}`);
  return found[0]!;
};

test("azure-dev: the runtime image is pushed with credentials for the stack's own ACR (item 3)", () => {
  const registry = one("azure-native:containerregistry:Registry");
  const image = one("docker-build:index:Image");
  const [login] = image.inputs.registries;
  assert.equal(login.address, `${registry.inputs.registryName}.azurecr.io`);
  assert.equal(login.username, "00000000-0000-0000-0000-000000000000");
  const push = one("azure-native:authorization:RoleAssignment", (n) => n.endsWith("-acr-push"));
  assert.match(push.inputs.roleDefinitionId, /8311e382-0749-4cb8-b61a-304f252e45ec$/);
});

test("azure-dev: registry and model store firewalls deny by default and admit authorizedCidrs; the deployer may use the model container (items 13, 17)", () => {
  const acr = one("azure-native:containerregistry:Registry").inputs;
  assert.equal(acr.networkRuleSet.defaultAction, "Deny");
  assert.ok(acr.networkRuleSet.ipRules.some((r: { iPAddressOrRange: string }) => r.iPAddressOrRange === "203.0.113.0/24"));
  const store = one("azure-native:storage:StorageAccount").inputs.networkRuleSet;
  assert.equal(store.defaultAction, "Deny");
  assert.deepEqual(store.ipRules.map((r: { iPAddressOrRange: string }) => r.iPAddressOrRange), ["203.0.113.0/24"]);
  const op = one("azure-native:authorization:RoleAssignment", (n) => n.endsWith("-models-operator-access")).inputs;
  assert.equal(op.principalId, "00000000-0000-0000-0000-000000000002", "the principal running pulumi (getClientConfig objectId)");
});

test("azure-dev: preview names the spot vCPU quota the T4 pool needs (item 15)", () => {
  assert.match(out.stderr, /"Total Regional Spot vCPUs" needs 8 vCPUs for t4 \(2 x Standard_NC4as_T4_v3, spot\)/);
});

test("azure-dev: AKS KMS uses the key version Key Vault reports now (item 18)", () => {
  const kms = one("azure-native:containerservice:ManagedCluster").inputs.securityProfile.azureKeyVaultKms;
  assert.match(kms.keyId, /\/keys\/mlops-cmk\/synth0002$/);
});
