import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { REACHABLE, setupAwsMocks } from "./aws-mocks.ts";

// Issue 10 items 6, 7, 8: what a new EKS cluster lacks for the platform to work.

const mocks = setupAwsMocks();
const { AwsCluster } = await import("../../../components/aws/index.ts");

beforeEach(() => mocks.reset());

const ADDON = "aws:eks/addon:Addon";

async function build(name: string, extra: Record<string, unknown> = {}) {
  new AwsCluster(name, { region: "us-east-1", namespace: "mlops", ...REACHABLE, ...extra });
  await mocks.settle();
}

const addon = (cluster: string, addonName: string) => mocks.named(`${cluster}-${addonName}`, ADDON).inputs;

test("the EBS CSI driver add-on runs on its own IRSA role, trusted only by ebs-csi-controller-sa, with the managed policy and the volume key's grants", async () => {
  // https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (Step 1): role trusted by
  // system:serviceaccount:kube-system:ebs-csi-controller-sa, policy
  // arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy, and for a customer-managed key
  // kms:CreateGrant/ListGrants/RevokeGrant (GrantIsForAWSResource) plus Encrypt/Decrypt/ReEncrypt*/
  // GenerateDataKey*/DescribeKey. The nodes' IMDS hop limit of 1 keeps the controller off the node role.
  await build("c");
  const ebs = addon("c", "aws-ebs-csi-driver");
  assert.equal(ebs.serviceAccountRoleArn, "arn:aws:iam::123456789012:role/c-ebs-csi-role");
  const trust = JSON.parse(mocks.named("c-ebs-csi-role", "aws:iam/role:Role").inputs.assumeRolePolicy);
  assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123:aud": "sts.amazonaws.com",
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
  });
  const attached = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((r) => r.name.startsWith("c-ebs-csi-")).map((r) => r.inputs.policyArn);
  assert.deepEqual(attached, ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
  const kms = JSON.parse(mocks.named("c-ebs-csi-policy", "aws:iam/rolePolicy:RolePolicy").inputs.policy);
  assert.deepEqual(kms.Statement.map((s: any) => [s.Action, s.Resource, s.Condition]), [
    [["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "arn:aws:kms:us-east-1:123456789012:key/c-key", { Bool: { "kms:GrantIsForAWSResource": "true" } }],
    [["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "arn:aws:kms:us-east-1:123456789012:key/c-key", undefined],
  ]);
  // Its controller pods need a node, and its role its permissions, before EKS reports it active.
  const deps = mocks.dependenciesOf("c-aws-ebs-csi-driver");
  for (const d of ["c-system", "c-ebs-csi-AmazonEBSCSIDriverPolicy", "c-ebs-csi-policy"]) assert.ok(deps.includes(d), `${d} in ${deps.join(", ")}`);
});

test("a default, encrypted gp3 StorageClass from the EBS CSI driver binds claims that name no class (Prometheus's)", async () => {
  // EKS marks no StorageClass default on new clusters (https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html
  // and the 1.30 release notes: gp2 lost its default annotation), and Prometheus's
  // storageSpec.volumeClaimTemplate (components/kubernetes/monitoring.ts) names no storageClassName,
  // so the claim waits for the default class (prometheus-operator Documentation/platform/storage.md).
  await build("c");
  const sc = mocks.named("c-gp3", "kubernetes:storage.k8s.io/v1:StorageClass").inputs;
  assert.equal(sc.metadata.name, "gp3");
  assert.equal(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
  assert.equal(sc.provisioner, "ebs.csi.aws.com");
  assert.deepEqual(sc.parameters, { type: "gp3", encrypted: "true", kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/c-key" });
  assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer", "the volume is made in the zone the pod lands in");
  assert.ok(mocks.dependenciesOf("c-gp3").includes("c-aws-ebs-csi-driver"));
  // The Kubernetes provider (so Monitoring and its claim) waits for the driver.
  assert.ok(mocks.dependenciesOf("c-k8s").includes("c-aws-ebs-csi-driver"));

  mocks.reset();
  await build("n", { encryption: { customerManagedKey: false } });
  assert.deepEqual(mocks.named("n-gp3", "kubernetes:storage.k8s.io/v1:StorageClass").inputs.parameters, { type: "gp3", encrypted: "true" });
  assert.equal(mocks.ofType("aws:iam/rolePolicy:RolePolicy").some((r) => r.name === "n-ebs-csi-policy"), false);
});

test("the metrics-server add-on gives the HorizontalPodAutoscaler its resource metrics", async () => {
  // EKS deploys no metrics server (https://docs.aws.amazon.com/eks/latest/userguide/metrics-server.html);
  // it is the community add-on `metrics-server` in kube-system, no IAM
  // (https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html).
  await build("c");
  const ms = addon("c", "metrics-server");
  assert.equal(ms.clusterName, "c-eks-cluster");
  assert.equal(ms.serviceAccountRoleArn, undefined);
  assert.ok(mocks.dependenciesOf("c-metrics-server").includes("c-system"), "its pods need a node");
  assert.ok(mocks.dependenciesOf("c-k8s").includes("c-metrics-server"));
});

test("vpc-cni enforces NetworkPolicies and is installed before any node group", async () => {
  // https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html: configuration
  // value {"enableNetworkPolicy": "true"} on vpc-cni v1.14.0-eksbuild.3+; the add-on ships it off.
  await build("c");
  const cni = addon("c", "vpc-cni");
  assert.deepEqual(JSON.parse(cni.configurationValues), { enableNetworkPolicy: "true" });
  assert.equal(cni.addonVersion, undefined, "EKS's default version for the cluster's minor (>= v1.14 on every supported minor)");
  assert.equal(cni.resolveConflictsOnCreate, "OVERWRITE");
  assert.equal(mocks.named("c-eks", "aws:eks/cluster:Cluster").inputs.bootstrapSelfManagedAddons, false, "no self-managed aws-node to conflict with");
  for (const ng of ["c-system", "c-gpu-gpu"]) {
    const deps = mocks.dependenciesOf(ng, "aws:eks/nodeGroup:NodeGroup");
    assert.ok(deps.includes("c-vpc-cni") && deps.includes("c-kube-proxy"), `${ng} waits for the networking add-ons: ${deps.join(", ")}`);
  }
  assert.ok(mocks.dependenciesOf("c-coredns").includes("c-system"));
});
