import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { REACHABLE, RUNNER_VPC, setupAwsMocks } from "./aws-mocks.ts";

// Issue 10 items 4 and 16: who can reach the EKS API on the first `pulumi up`.
// EKS facts (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html, "Accessing a
// private only API server"): a private-only endpoint is reached from the cluster's VPC or a
// connected network, and only once the cluster security group admits 443 from it; with private
// access only, EKS advertises the private IPs through the endpoint's public DNS name, so a peered VPC
// resolves it (https://repost.aws/knowledge-center/eks-private-cluster-endpoint-vpc). An empty
// publicAccessCidrs means 0.0.0.0/0 (EKS API CreateCluster, VpcConfigRequest.publicAccessCidrs).

const mocks = setupAwsMocks();
const { AwsCluster, awsClusterArgs } = await import("../../../components/aws/index.ts");
const { platformConfig } = await import("../../../components/platform/index.ts");
const { isCallerPrincipal } = await import("../../../components/aws/eks-control-plane.ts");

beforeEach(() => mocks.reset());

const T = {
  cluster: "aws:eks/cluster:Cluster",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
} as const;

const base = { region: "us-east-1", namespace: "mlops" };
const PRIVATE = { publicEndpoint: false, authorizedCidrs: ["10.100.0.0/16"], network: { runnerVpc: RUNNER_VPC } };

/** The issues awsClusterArgs reports, as `path: message`. */
function issuesOf(args: Record<string, unknown>): { path: string; message: string }[] {
  const r = awsClusterArgs.safeParse({ ...base, ...args });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

async function build(name: string, extra: Record<string, unknown>) {
  const c = new AwsCluster(name, { ...base, ...extra });
  await mocks.settle();
  return c;
}

test("a private-only endpoint in a VPC the stack creates, with no way in, is a preview-time error naming network.runnerVpc and the alternatives", () => {
  const [i, ...rest] = issuesOf({ publicEndpoint: false, authorizedCidrs: ["10.100.0.0/16"] });
  assert.deepEqual(rest, []);
  assert.equal(i?.path, "network.runnerVpc");
  assert.match(i?.message ?? "", /network\.runnerVpc: \{ vpcId, cidr, routeTableIds \}/);
  assert.match(i?.message ?? "", /network\.existing\.privateSubnetIds/);
  assert.match(i?.message ?? "", /publicEndpoint: true/);
  // Bring-your-own VPC: the runner's connectivity to it is the user's; the check accepts it.
  assert.deepEqual(issuesOf({ publicEndpoint: false, authorizedCidrs: ["10.100.0.0/16"], network: { existing: { privateSubnetIds: ["subnet-01", "subnet-02"] } } }), []);
  assert.deepEqual(issuesOf(PRIVATE), []);
});

test("a private-only endpoint admits authorizedCidrs on 443 of the cluster security group and peers the runner VPC, routes both ways", async () => {
  await build("p", PRIVATE);
  const vpcConfig = mocks.named("p-eks", T.cluster).inputs.vpcConfig;
  assert.deepEqual([vpcConfig.endpointPrivateAccess, vpcConfig.endpointPublicAccess, vpcConfig.publicAccessCidrs], [true, false, undefined]);
  const rules = mocks.ofType(T.ingress).map((r) => r.inputs);
  assert.deepEqual(
    rules.map(({ securityGroupId, cidrIpv4, ipProtocol, fromPort, toPort }) => ({ securityGroupId, cidrIpv4, ipProtocol, fromPort, toPort })),
    [{ securityGroupId: "sg-p-eks", cidrIpv4: "10.100.0.0/16", ipProtocol: "tcp", fromPort: 443, toPort: 443 }],
  );
  const [peering] = mocks.ofType(T.peering);
  assert.deepEqual([peering?.inputs.vpcId, peering?.inputs.peerVpcId, peering?.inputs.autoAccept], ["p-vpc-id", RUNNER_VPC.vpcId, true]);
  // Every private subnet (nodes, control-plane interfaces) routes the runner's range back through the peering ...
  const privateTables = mocks.ofType(T.routeTable).filter((r) => r.name.startsWith("p-private-rt-"));
  assert.equal(privateTables.length, 2);
  for (const t of privateTables) assert.ok(t.inputs.routes.some((r: any) => r.cidrBlock === RUNNER_VPC.cidr && r.vpcPeeringConnectionId === "p-runner-peering-id"), t.name);
  // ... and the runner's route tables reach the new VPC through it.
  assert.deepEqual(
    mocks.ofType(T.route).map((r) => [r.inputs.routeTableId, r.inputs.destinationCidrBlock, r.inputs.vpcPeeringConnectionId]),
    [["rtb-0abc1234def567890", "10.0.0.0/16", "p-runner-peering-id"]],
  );
  // The Kubernetes provider (every Kubernetes resource) waits until the API is reachable from here.
  const providerDeps = mocks.dependenciesOf("p-k8s");
  for (const d of ["p-api-from-0", "p-runner-peering", "p-runner-route-0", "p-private-rt-us-east-1a", "p-private-us-east-1a"]) assert.ok(providerDeps.includes(d), `p-k8s waits for ${d}: ${providerDeps.join(", ")}`);
});

test("the runner's ranges must lie in the peered VPC, which must not overlap the new one; runnerVpc needs a VPC this stack creates", () => {
  assert.deepEqual(issuesOf({ ...PRIVATE, authorizedCidrs: ["10.100.4.0/24", "192.168.0.0/24"] }).map((i) => i.path), ["authorizedCidrs.1"]);
  assert.match(issuesOf({ ...PRIVATE, authorizedCidrs: ["192.168.0.0/24"] })[0]?.message ?? "", /outside network\.runnerVpc\.cidr \(10\.100\.0\.0\/16\).*not transitive/);
  const overlap = issuesOf({ ...PRIVATE, authorizedCidrs: ["10.0.128.0/24"], network: { cidr: "10.0.0.0/16", runnerVpc: { ...RUNNER_VPC, cidr: "10.0.0.0/8" } } });
  assert.deepEqual(overlap.map((i) => i.path), ["network.runnerVpc.cidr"]);
  assert.match(overlap[0]?.message ?? "", /overlaps network\.cidr \(10\.0\.0\.0\/16\)/);
  const byo = issuesOf({ ...PRIVATE, network: { existing: { privateSubnetIds: ["subnet-01", "subnet-02"] }, runnerVpc: RUNNER_VPC } });
  assert.deepEqual(byo.map((i) => i.path), ["network.runnerVpc"]);
});

test("a public endpoint needs a public range (EKS opens one given none to 0.0.0.0/0); private ranges go to the security group, public ones to publicAccessCidrs", async () => {
  const onlyPrivate = issuesOf({ publicEndpoint: true, authorizedCidrs: ["10.20.0.0/16"] });
  assert.deepEqual(onlyPrivate.map((i) => i.path), ["authorizedCidrs"]);
  assert.match(onlyPrivate[0]?.message ?? "", /0\.0\.0\.0\/0/);

  await build("m", { publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32", "10.20.0.0/16"] });
  assert.deepEqual(mocks.named("m-eks", T.cluster).inputs.vpcConfig.publicAccessCidrs, ["52.94.0.7/32"]);
  assert.deepEqual(mocks.ofType(T.ingress).map((r) => r.inputs.cidrIpv4), ["10.20.0.0/16"]);
});

test("authorizedCidrs has no default, and 0.0.0.0/0 needs allowOpenEndpoint", async () => {
  assert.equal(awsClusterArgs.safeParse({ ...base, publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32"] }).data?.authorizedCidrs?.includes("0.0.0.0/0"), false);
  assert.deepEqual(issuesOf({ publicEndpoint: true }).map((i) => i.path), ["authorizedCidrs"]);
  assert.deepEqual(issuesOf({}).map((i) => i.path), ["authorizedCidrs"], "private by default, and still nothing may reach it");
  assert.deepEqual(issuesOf({ publicEndpoint: true, authorizedCidrs: ["0.0.0.0/0"] }).map((i) => i.path), ["authorizedCidrs.0"]);
  await build("o", { publicEndpoint: true, authorizedCidrs: ["0.0.0.0/0"], allowOpenEndpoint: true });
  assert.deepEqual(mocks.named("o-eks", T.cluster).inputs.vpcConfig.publicAccessCidrs, ["0.0.0.0/0"]);
});

test("the platform config reports the AWS endpoint problems under pulumi-mlops:aws", () => {
  const paths = (cfg: Record<string, unknown>) => {
    const r = platformConfig.safeParse({ cloud: "aws", region: "us-east-1", ...cfg });
    return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
  };
  assert.deepEqual(paths({}), ["aws.authorizedCidrs"], "dev: public endpoint, no address given");
  assert.deepEqual(paths({ aws: { authorizedCidrs: ["52.94.0.7/32"] } }), []);
  assert.deepEqual(paths({ profile: "production", aws: { authorizedCidrs: ["10.100.0.0/16"] } }), ["aws.network.runnerVpc"]);
  assert.deepEqual(paths({ profile: "production", aws: PRIVATE }), []);
});

test("a documentation range or placeholder runner ids stop pulumi up before any AWS resource exists", () => {
  for (const extra of [
    { publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24"] },
    { ...PRIVATE, network: { runnerVpc: { ...RUNNER_VPC, vpcId: "vpc-00000000000000000" } } },
  ]) {
    mocks.reset();
    assert.throws(() => new AwsCluster("x", { ...base, ...extra }), (e: unknown) => e instanceof pulumi.RunError && /placeholder/.test((e as Error).message));
    assert.deepEqual(mocks.resources.filter((r) => r.type.startsWith("aws:")), []);
  }
});

test("cluster admins get access entries, unless they are the identity running pulumi up (EKS already made it admin)", async () => {
  // https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html: one access entry
  // per principal; the creator's comes from bootstrapClusterCreatorAdminPermissions.
  assert.equal(isCallerPrincipal("arn:aws:sts::123456789012:assumed-role/platform-deployer/ci-session", "arn:aws:iam::123456789012:role/ops/platform-deployer"), true);
  assert.equal(isCallerPrincipal("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"), true);
  assert.equal(isCallerPrincipal("arn:aws:sts::123456789012:assumed-role/platform-deployer/ci-session", "arn:aws:iam::123456789012:role/platform-admins"), false);
  assert.equal(isCallerPrincipal("arn:aws:sts::123456789012:assumed-role/platform-deployer/ci-session", "arn:aws:iam::210987654321:role/platform-deployer"), false);
  assert.equal(isCallerPrincipal("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:role/alice"), false);
  assert.deepEqual(issuesOf({ ...REACHABLE, clusterAdmins: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"] }).map((i) => i.path), ["clusterAdmins.1"]);

  await build("a", { ...REACHABLE, clusterAdmins: ["arn:aws:iam::123456789012:role/platform-admins"] });
  const entry = mocks.named("a-admin-0", "aws:eks/accessEntry:AccessEntry").inputs;
  assert.equal(entry.principalArn, "arn:aws:iam::123456789012:role/platform-admins");
  const association = mocks.named("a-admin-0", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
  assert.equal(association.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
  // The policy association names the entry's principal, so it is created after the entry.
  assert.ok(mocks.dependenciesOf("a-admin-0", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").includes("a-admin-0"));
});
