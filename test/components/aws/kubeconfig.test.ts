import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { REACHABLE, setupAwsMocks, valueOf } from "./aws-mocks.ts";

// Issue 10 items 12 and 15 at the component: the kubeconfig acts as the aws provider's identity,
// and a cluster with GPU pools says which quotas to raise.

const mocks = setupAwsMocks();
const { AwsCluster } = await import("../../../components/aws/index.ts");

beforeEach(() => mocks.reset());

const base = { region: "us-east-1", namespace: "mlops", ...REACHABLE };
const execOf = async (c: { kubeconfig: pulumi.Output<string> }) => JSON.parse(await valueOf(c.kubeconfig)).users[0].user.exec;

test("the kubeconfig's aws eks get-token signs as the provider's profile and assumed role", async () => {
  // EKS made the identity that created the cluster its admin (bootstrapClusterCreatorAdminPermissions);
  // that is the explicit aws provider's (profile + assumed role, components/aws/platform-cluster.ts).
  // `aws eks get-token` takes --role-arn and --profile (https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html);
  // --profile outranks credentials in the environment, as the provider's explicit profile does.
  const c = new AwsCluster("c", { ...base, credentials: { profile: "ml-admin", roleArn: "arn:aws:iam::123456789012:role/platform-deployer" } });
  await mocks.settle();
  const exec = await execOf(c);
  assert.deepEqual(exec.args, ["eks", "get-token", "--cluster-name", "c-eks-cluster", "--region", "us-east-1", "--role-arn", "arn:aws:iam::123456789012:role/platform-deployer", "--profile", "ml-admin", "--output", "json"]);
  // The Kubernetes provider uses the same kubeconfig.
  assert.match(JSON.stringify(mocks.named("c-k8s", "pulumi:providers:kubernetes").inputs.kubeconfig), /\\"--profile\\",\\"ml-admin\\"/);

  mocks.reset();
  const plain = new AwsCluster("d", base);
  await mocks.settle();
  assert.deepEqual((await execOf(plain)).args, ["eks", "get-token", "--cluster-name", "d-eks-cluster", "--region", "us-east-1", "--output", "json"]);
});

test("a cluster with GPU pools logs, once, the EC2 vCPU quotas its pools need and how to raise them; one without logs nothing", async () => {
  const logged: { message: string; resource?: pulumi.Resource }[] = [];
  const info = pulumi.log.info;
  (pulumi.log as { info: typeof pulumi.log.info }).info = async (message: string, resource?: pulumi.Resource) => {
    logged.push({ message, resource });
  };
  try {
    const c = new AwsCluster("g", { ...base, gpuPools: [{ name: "a10g", instanceType: "g5.xlarge", maxNodes: 3, spot: true }] });
    await mocks.settle();
    const quota = logged.filter((l) => /quota/.test(l.message));
    assert.equal(quota.length, 1);
    assert.equal(quota[0]?.resource, c);
    assert.match(quota[0]?.message ?? "", /"All G and VT Spot Instance Requests" \(L-3819A6DF\) needs 12 vCPUs for a10g \(3 x g5\.xlarge, spot\)/);
    assert.match(quota[0]?.message ?? "", /--quota-code L-3819A6DF --desired-value 12 --region us-east-1/);

    logged.length = 0;
    new AwsCluster("n", { ...base, gpuPools: [] });
    await mocks.settle();
    assert.deepEqual(logged.filter((l) => /quota/.test(l.message)), []);
  } finally {
    (pulumi.log as { info: typeof pulumi.log.info }).info = info;
  }
});
