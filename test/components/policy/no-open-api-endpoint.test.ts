import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { evaluatePolicies, type PolicyInputResource } from "../../../components/policy/index.ts";
import { runSynth } from "../../helpers/run-cli.ts";
import { readSynthOutput, type ResourceRecord } from "../../components/synth/synth-output.ts";

const POLICY = "no-open-api-endpoint";
const messages = (resources: PolicyInputResource[], config = {}, stackTags: Record<string, string> = {}) =>
  evaluatePolicies(resources, config, { stackTags }).filter((v) => v.policy === POLICY).map((v) => v.message);
const FIX = "restrict the public endpoint to your CIDRs (authorizedCidrs) or make it private";
const eks = (vpcConfig: Record<string, unknown>, tags: Record<string, string> = {}): PolicyInputResource => ({ type: "aws:eks/cluster:Cluster", name: "eks", inputs: { tags, vpcConfig: { subnetIds: ["a"], ...vpcConfig } } });
const gke = (inputs: Record<string, unknown>): PolicyInputResource => ({ type: "gcp:container/cluster:Cluster", name: "gke", inputs });
const aks = (apiServerAccessProfile?: Record<string, unknown>, tags: Record<string, string> = {}): PolicyInputResource => ({ type: "azure-native:containerservice:ManagedCluster", name: "aks", inputs: { tags, ...(apiServerAccessProfile ? { apiServerAccessProfile } : {}) } });

describe("no-open-api-endpoint on EKS", () => {
  it("fails a public endpoint left at AWS's default CIDRs (0.0.0.0/0) or given 0.0.0.0/0", () => {
    assert.deepEqual(messages([eks({})]), [`aws:eks/cluster:Cluster "eks": vpcConfig.publicAccessCidrs is not set; the public EKS API endpoint is then open to 0.0.0.0/0 (AWS's default); ${FIX}`]);
    assert.deepEqual(messages([eks({ endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24", "0.0.0.0/0"] })]), [
      `aws:eks/cluster:Cluster "eks": vpcConfig.publicAccessCidrs[1] is "0.0.0.0/0"; the public EKS API endpoint is open to every address; ${FIX}`,
    ]);
  });

  it("passes a public endpoint limited to listed CIDRs, and a private-only endpoint", () => {
    assert.deepEqual(messages([eks({ endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] })]), []);
    assert.deepEqual(messages([eks({ endpointPublicAccess: false, endpointPrivateAccess: true })]), []);
  });
});

describe("no-open-api-endpoint on GKE", () => {
  it("fails a public endpoint without authorized networks, with a 0.0.0.0/0 block, or open to every Google Cloud VM", () => {
    assert.deepEqual(messages([gke({})]), [`gcp:container/cluster:Cluster "gke": masterAuthorizedNetworksConfig is not set; without authorized networks the GKE control-plane endpoint admits every address; ${FIX}`]);
    assert.deepEqual(messages([gke({ masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "0.0.0.0/0" }], gcpPublicCidrsAccessEnabled: true } })]), [
      `gcp:container/cluster:Cluster "gke": masterAuthorizedNetworksConfig.cidrBlocks[0].cidrBlock is "0.0.0.0/0"; the GKE control-plane endpoint is open to every address; ${FIX}`,
      `gcp:container/cluster:Cluster "gke": masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true; the GKE control-plane endpoint is open to the public IP of every Google Cloud VM, anyone's; ${FIX}`,
    ]);
  });

  it("passes authorized networks with listed blocks, a private endpoint, and a cluster with IP endpoints off", () => {
    assert.deepEqual(messages([gke({ masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "198.51.100.0/24" }], gcpPublicCidrsAccessEnabled: false } })]), []);
    assert.deepEqual(messages([gke({ privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true } })]), []);
    assert.deepEqual(messages([gke({ controlPlaneEndpointsConfig: { ipEndpointsConfig: { enabled: false } } })]), []);
  });
});

describe("no-open-api-endpoint on AKS", () => {
  it("fails a public API server without authorized IP ranges or with 0.0.0.0/0", () => {
    assert.deepEqual(messages([aks()]), [`azure-native:containerservice:ManagedCluster "aks": apiServerAccessProfile.authorizedIPRanges is not set; without authorized IP ranges the public AKS API server admits every address; ${FIX}`]);
    assert.deepEqual(messages([aks({ authorizedIPRanges: [] })]).length, 1);
    assert.deepEqual(messages([aks({ authorizedIPRanges: ["0.0.0.0/0"] })]), [`azure-native:containerservice:ManagedCluster "aks": apiServerAccessProfile.authorizedIPRanges[0] is "0.0.0.0/0"; the public AKS API server is open to every address; ${FIX}`]);
  });

  it("passes listed ranges and a private cluster", () => {
    assert.deepEqual(messages([aks({ authorizedIPRanges: ["198.51.100.0/24"] })]), []);
    assert.deepEqual(messages([aks({ enablePrivateCluster: true })]), []);
  });
});

describe("no-open-api-endpoint opt-in and production", () => {
  it("lets a non-production cluster stay open only with allowOpenEndpoint: true, never a production one", () => {
    const allow = { [POLICY]: { allowOpenEndpoint: true } };
    assert.deepEqual(messages([eks({ publicAccessCidrs: ["0.0.0.0/0"] }), aks()], allow), []);
    assert.equal(messages([eks({ publicAccessCidrs: ["0.0.0.0/0"] }, { "mlops-profile": "production" })], allow).length, 1, "tagged production");
    assert.equal(messages([aks()], allow, { "mlops-profile": "production" }).length, 1, "production stack tag");
  });

  it("skips values that are unknown during preview", () => {
    // evaluatePolicies wraps inputs in @pulumi/policy's unknown-checking proxy; the SDK's unknown sentinel stands for a computed value.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual(messages([eks({ publicAccessCidrs: unknown }), aks({ authorizedIPRanges: unknown })]), []);
  });
});

// Stacks written without the pulumi-mlops components (test/stacks/hand-written), through `pulumi-mlops synth`.
describe("no-open-api-endpoint over synth output of hand-written clusters", () => {
  const project = fileURLToPath(new URL("../../stacks/hand-written/", import.meta.url));
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const out = new Map<string, ResourceRecord[]>();
  const dirs: string[] = [];
  before(async () => {
    await Promise.all(
      ["defaults", "open", "restricted"].map(async (stack) => {
        const dir = await mkdtemp(path.join(tmpdir(), `mlops-hand-written-${stack}-`));
        dirs.push(dir);
        const run = await runSynth([stack, "--project", project, "--out", dir], { cwd: root });
        assert.equal(run.code, 0, run.stderr);
        out.set(stack, readSynthOutput(dir).resources);
      }),
    );
  });
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const flagged = (stack: string) => evaluatePolicies(out.get(stack)!).filter((v) => v.policy === POLICY).map((v) => `${v.resource}: ${v.message.split(": ")[1]!.split(";")[0]}`);

  it("flags every cloud's defaults and an explicit 0.0.0.0/0, and passes listed CIDRs", () => {
    assert.deepEqual(flagged("defaults"), ["eks: vpcConfig.publicAccessCidrs is not set", "gke: masterAuthorizedNetworksConfig is not set", "aks: apiServerAccessProfile.authorizedIPRanges is not set"]);
    assert.deepEqual(flagged("open"), ['eks: vpcConfig.publicAccessCidrs[0] is "0.0.0.0/0"', 'gke: masterAuthorizedNetworksConfig.cidrBlocks[0].cidrBlock is "0.0.0.0/0"', 'aks: apiServerAccessProfile.authorizedIPRanges[0] is "0.0.0.0/0"']);
    assert.deepEqual(flagged("restricted"), []);
  });
});
