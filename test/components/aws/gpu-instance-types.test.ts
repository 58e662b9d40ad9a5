import assert from "node:assert/strict";
import { test } from "node:test";
import { amiTypeFor, gpusPerInstance, isGpuInstanceType } from "../../../components/aws/gpu-instance-types.ts";
import { nodeTemplateTags } from "../../../components/aws/gpu-node-pool.ts";
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
