import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies, type PolicyInputResource } from "../../../components/policy/index.ts";

const POLICY = "no-public-endpoint-in-production";
const messages = (resources: PolicyInputResource[], config = {}, stackTags: Record<string, string> = {}) =>
  evaluatePolicies(resources, config, { stackTags }).filter((v) => v.policy === POLICY).map((v) => v.message);
const PRODUCTION = { "mlops-profile": "production" };

describe("no-public-endpoint-in-production", () => {
  const eks = (tags: Record<string, string>, endpointPublicAccess?: boolean): PolicyInputResource => ({
    type: "aws:eks/cluster:Cluster",
    name: "eks",
    inputs: { tags, vpcConfig: { subnetIds: ["a"], endpointPrivateAccess: true, ...(endpointPublicAccess === undefined ? {} : { endpointPublicAccess }) } },
  });

  it("ignores clusters that are not production", () => {
    assert.deepEqual(messages([eks({ "mlops-profile": "dev" }, true)]), []);
  });

  it("fails a production EKS cluster that leaves the public endpoint at its default", () => {
    assert.deepEqual(messages([eks(PRODUCTION)]), ['aws:eks/cluster:Cluster "eks": vpcConfig.endpointPublicAccess is not set; production EKS clusters must not expose a public API endpoint (AWS defaults it to true)']);
  });

  it("passes a production EKS cluster with the public endpoint off", () => {
    assert.deepEqual(messages([eks(PRODUCTION, false)]), []);
  });

  it("treats every cluster as production when the config or a stack tag says so", () => {
    assert.equal(messages([eks({}, true)], { [POLICY]: { production: true } }).length, 1);
    assert.equal(messages([eks({}, true)], {}, PRODUCTION).length, 1);
  });

  it("checks GKE private endpoints by resource label", () => {
    const gke = (privateClusterConfig: Record<string, unknown>): PolicyInputResource => ({ type: "gcp:container/cluster:Cluster", name: "gke", inputs: { resourceLabels: PRODUCTION, privateClusterConfig } });
    assert.deepEqual(messages([gke({ enablePrivateNodes: true, enablePrivateEndpoint: false })]), [
      'gcp:container/cluster:Cluster "gke": privateClusterConfig.enablePrivateEndpoint is false; production GKE clusters must use a private control-plane endpoint',
    ]);
    assert.deepEqual(messages([gke({ enablePrivateNodes: true, enablePrivateEndpoint: true })]), []);
  });

  it("checks AKS private clusters by tag", () => {
    const aks = (apiServerAccessProfile?: Record<string, unknown>): PolicyInputResource => ({ type: "azure-native:containerservice:ManagedCluster", name: "aks", inputs: { tags: PRODUCTION, ...(apiServerAccessProfile ? { apiServerAccessProfile } : {}) } });
    assert.deepEqual(messages([aks()]), ['azure-native:containerservice:ManagedCluster "aks": apiServerAccessProfile.enablePrivateCluster is not set; production AKS clusters must be private clusters']);
    assert.deepEqual(messages([aks({ enablePrivateCluster: true })]), []);
  });
});
