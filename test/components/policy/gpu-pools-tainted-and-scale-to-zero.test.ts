import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies, type PolicyInputResource } from "../../../components/policy/index.ts";

const messages = (resources: PolicyInputResource[]) => evaluatePolicies(resources).filter((v) => v.policy === "gpu-pools-tainted-and-scale-to-zero").map((v) => v.message);

describe("gpu-pools-tainted-and-scale-to-zero on EKS", () => {
  const nodeGroup = (name: string, inputs: Record<string, unknown>): PolicyInputResource => ({ type: "aws:eks/nodeGroup:NodeGroup", name, inputs: { clusterName: "eks", nodeRoleArn: "arn", subnetIds: ["a"], ...inputs } });

  it("passes a tainted NVIDIA pool scaling from zero", () => {
    const pool = nodeGroup("mlops-gpu-a10g", { amiType: "AL2023_x86_64_NVIDIA", instanceTypes: ["g5.xlarge"], taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }], scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 2 } });
    assert.deepEqual(messages([pool]), []);
  });

  it("fails a GPU pool (by instance type) without the taint and with a floor of one node", () => {
    const pool = nodeGroup("mlops-gpu-a10g", { amiType: "AL2023_x86_64_STANDARD", instanceTypes: ["g5.xlarge"], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 } });
    assert.deepEqual(messages([pool]), [
      'aws:eks/nodeGroup:NodeGroup "mlops-gpu-a10g": taints is not set; GPU pools must carry the taint nvidia.com/gpu=present:NoSchedule so only GPU workloads land there (EKS effect "NO_SCHEDULE")',
      'aws:eks/nodeGroup:NodeGroup "mlops-gpu-a10g": scalingConfig.minSize is 1; GPU pools must scale to zero',
    ]);
  });

  it("ignores CPU pools", () => {
    assert.deepEqual(messages([nodeGroup("system", { amiType: "AL2023_x86_64_STANDARD", instanceTypes: ["m6i.large"], scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 3 } })]), []);
  });
});

describe("gpu-pools-tainted-and-scale-to-zero on GKE", () => {
  const pool = (nodeConfig: Record<string, unknown>, autoscaling?: Record<string, unknown>): PolicyInputResource => ({
    type: "gcp:container/nodePool:NodePool",
    name: "gpu-t4",
    inputs: { cluster: "gke", nodeConfig: { machineType: "n1-standard-4", ...nodeConfig }, ...(autoscaling ? { autoscaling } : {}) },
  });
  const t4 = { guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } }] };

  it("passes a tainted accelerator pool autoscaling from zero", () => {
    assert.deepEqual(messages([pool({ ...t4, taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, { totalMinNodeCount: 0, totalMaxNodeCount: 4 })]), []);
  });

  it("fails an accelerator pool without the taint or autoscaling, and one with a minimum above zero", () => {
    assert.deepEqual(messages([pool(t4)]), [
      'gcp:container/nodePool:NodePool "gpu-t4": nodeConfig.taints is not set; GPU pools must carry the taint nvidia.com/gpu=present:NoSchedule so only GPU workloads land there (GKE effect "NO_SCHEDULE")',
      'gcp:container/nodePool:NodePool "gpu-t4": autoscaling is not set; GPU pools must scale to zero (set autoscaling with minNodeCount 0)',
    ]);
    assert.deepEqual(messages([pool({ ...t4, taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }] }, { minNodeCount: 1, maxNodeCount: 3 })]), [
      'gcp:container/nodePool:NodePool "gpu-t4": autoscaling.minNodeCount is 1; GPU pools must scale to zero',
    ]);
  });
});

describe("gpu-pools-tainted-and-scale-to-zero on AKS", () => {
  const good = { vmSize: "Standard_NC4as_T4_v3", mode: "User", nodeTaints: ["nvidia.com/gpu=present:NoSchedule"], enableAutoScaling: true, minCount: 0, maxCount: 2 };

  it("passes a tainted autoscaling GPU agent pool and a cluster whose GPU profile complies", () => {
    assert.deepEqual(messages([{ type: "azure-native:containerservice:AgentPool", name: "gpu", inputs: good }]), []);
    const cluster: PolicyInputResource = { type: "azure-native:containerservice:ManagedCluster", name: "aks", inputs: { agentPoolProfiles: [{ name: "system", mode: "System", vmSize: "Standard_D4s_v5", count: 1 }, { name: "gpu", ...good }] } };
    assert.deepEqual(messages([cluster]), []);
  });

  it("fails a GPU agent pool without the taint, autoscaling or a zero minimum", () => {
    assert.deepEqual(messages([{ type: "azure-native:containerservice:AgentPool", name: "gpu", inputs: { vmSize: "Standard_NC24ads_A100_v4", mode: "User", count: 1 } }]), [
      'azure-native:containerservice:AgentPool "gpu": nodeTaints is not set; GPU pools must carry the taint nvidia.com/gpu=present:NoSchedule so only GPU workloads land there (AKS: "nvidia.com/gpu=present:NoSchedule")',
      'azure-native:containerservice:AgentPool "gpu": enableAutoScaling is not set; GPU pools must scale to zero (enableAutoScaling true)',
      'azure-native:containerservice:AgentPool "gpu": minCount is not set; GPU pools must scale to zero',
    ]);
  });

  it("names the agentPoolProfiles entry of a ManagedCluster", () => {
    const cluster: PolicyInputResource = { type: "azure-native:containerservice:ManagedCluster", name: "aks", inputs: { agentPoolProfiles: [{ name: "system", mode: "System", vmSize: "Standard_D4s_v5", count: 1 }, { name: "gpu", ...good, minCount: 1 }] } };
    assert.deepEqual(messages([cluster]), ['azure-native:containerservice:ManagedCluster "aks": agentPoolProfiles[1].minCount is 1; GPU pools must scale to zero']);
  });
});
