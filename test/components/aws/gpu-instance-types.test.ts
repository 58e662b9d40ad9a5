import assert from "node:assert/strict";
import { test } from "node:test";
import { amiTypeFor, GPU_INSTANCE_FAMILIES, gpusPerInstance, isGpuInstanceType, vcpusPerInstance } from "../../../components/aws/gpu-instance-types.ts";
import { gpuPoolLabels, nodeTemplateTags } from "../../../components/aws/gpu-node-pool.ts";
import { GPU_QUOTAS, gpuQuotaMessage } from "../../../components/aws/gpu-quota.ts";
import { awsPartition, managedPolicyArn } from "../../../components/aws/aws-partition.ts";

test("recognises NVIDIA GPU instance types and rejects CPU, AMD and malformed ones", () => {
  for (const t of ["g4dn.xlarge", "g5.xlarge", "g5g.2xlarge", "g6.12xlarge", "g6e.xlarge", "p4d.24xlarge", "p5.48xlarge", "p6-b200.48xlarge"]) assert.ok(isGpuInstanceType(t), t);
  for (const t of ["m5.large", "t3.large", "g4ad.xlarge", "inf2.xlarge", "g5", "g5.xlarge.extra", ""]) assert.ok(!isGpuInstanceType(t), t);
});

test("picks the AL2023 AMI type by GPU and CPU architecture", () => {
  assert.equal(amiTypeFor("g5.xlarge"), "AL2023_x86_64_NVIDIA");
  assert.equal(amiTypeFor("g5g.xlarge"), "AL2023_ARM_64_NVIDIA");
  assert.equal(amiTypeFor("t3.large"), "AL2023_x86_64_STANDARD");
  assert.equal(amiTypeFor("m7g.large"), "AL2023_ARM_64_STANDARD");
  assert.equal(amiTypeFor("c6gn.xlarge"), "AL2023_ARM_64_STANDARD");
  assert.equal(amiTypeFor("m5a.large"), "AL2023_x86_64_STANDARD");
});

test("knows the GPU count of common sizes and leaves unknown sizes to the autoscaler", () => {
  assert.equal(gpusPerInstance("g5.xlarge"), 1);
  assert.equal(gpusPerInstance("g5.12xlarge"), 4);
  assert.equal(gpusPerInstance("p4d.24xlarge"), 8);
  assert.equal(gpusPerInstance("g5.3xlarge"), undefined);
  assert.equal(gpusPerInstance("m5.large"), undefined);
});

test("node-template tags encode labels, taints as value:Effect, and the GPU count", () => {
  assert.deepEqual(nodeTemplateTags({ a: "1" }, [{ key: "t", value: "v", effect: "NoSchedule" }, { key: "u", effect: "NoExecute" }], 2), {
    "k8s.io/cluster-autoscaler/node-template/label/a": "1",
    "k8s.io/cluster-autoscaler/node-template/taint/t": "v:NoSchedule",
    "k8s.io/cluster-autoscaler/node-template/taint/u": ":NoExecute",
    "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "2",
  });
  assert.deepEqual(nodeTemplateTags({}, [], undefined), {});
});

test("builds managed policy ARNs in the region's partition", () => {
  assert.equal(awsPartition("us-east-1"), "aws");
  assert.equal(awsPartition("cn-north-1"), "aws-cn");
  assert.equal(awsPartition("us-gov-west-1"), "aws-us-gov");
  assert.equal(managedPolicyArn("cn-northwest-1", "AmazonEKSClusterPolicy"), "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy");
});

test("every GPU family names its accelerator for the k8s.amazonaws.com/accelerator label", () => {
  // cluster-autoscaler/cloudprovider/aws/README.md ("Special note on GPU instances"): GPU nodes carry
  // k8s.amazonaws.com/accelerator=<gpu-type> so the autoscaler knows a GPU is coming before the
  // device plugin advertises it.
  for (const [family, f] of Object.entries(GPU_INSTANCE_FAMILIES)) assert.match(f.accelerator, /^nvidia-[a-z0-9-]+$/, family);
  assert.equal(GPU_INSTANCE_FAMILIES.g5?.accelerator, "nvidia-a10g");
  assert.equal(GPU_INSTANCE_FAMILIES.g4dn?.accelerator, "nvidia-tesla-t4");
  assert.deepEqual(gpuPoolLabels({ name: "l4", instanceType: "g6.xlarge" }), { "mlops.dev/gpu": "true", "mlops.dev/node-pool": "l4", "k8s.amazonaws.com/accelerator": "nvidia-l4" });
});

test("counts the vCPUs EC2 quotas charge per GPU instance", () => {
  // https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html and ac.html (vCPUs per size).
  assert.equal(vcpusPerInstance("g5.xlarge"), 4);
  assert.equal(vcpusPerInstance("g5.12xlarge"), 48);
  assert.equal(vcpusPerInstance("g6.48xlarge"), 192);
  assert.equal(vcpusPerInstance("p4d.24xlarge"), 96);
  assert.equal(vcpusPerInstance("p5.4xlarge"), 16);
  assert.equal(vcpusPerInstance("g4dn.metal"), 96);
  assert.equal(vcpusPerInstance("g5g.metal"), 64);
  assert.equal(vcpusPerInstance("m5.xlarge"), undefined);
});

test("the GPU quota line names each quota the pools draw on, the vCPUs needed and the Service Quotas commands", () => {
  // Quota names and codes: https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
  // (G and VT / P families, On-Demand and Spot, counted in vCPUs).
  const msg = gpuQuotaMessage(
    [
      { name: "a10g", instanceType: "g5.2xlarge", maxNodes: 4, spot: false },
      { name: "l4", instanceType: "g6.xlarge", maxNodes: 4, spot: false },
      { name: "train", instanceType: "g5.xlarge", maxNodes: 2, spot: true },
      { name: "big", instanceType: "p5.48xlarge", maxNodes: 1, spot: false },
    ],
    "eu-west-1",
  ) ?? "";
  assert.match(msg, /"Running On-Demand G and VT instances" \(L-DB2E81BA\) needs 48 vCPUs for a10g \(4 x g5\.2xlarge\), l4 \(4 x g6\.xlarge\)/);
  assert.match(msg, /"All G and VT Spot Instance Requests" \(L-3819A6DF\) needs 8 vCPUs for train \(2 x g5\.xlarge, spot\)/);
  assert.match(msg, /"Running On-Demand P instances" \(L-417A185B\) needs 192 vCPUs for big/);
  assert.match(msg, /aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 48 --region eu-west-1/);
  assert.match(msg, /aws service-quotas get-service-quota --service-code ec2 --quota-code L-3819A6DF --region eu-west-1/);
  assert.equal(GPU_QUOTAS.P.spot.code, "L-7212CCBC");
  assert.equal(gpuQuotaMessage([], "eu-west-1"), undefined);
});
