import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { runSynth } from "../helpers/run-cli.ts";
import { type Manifest, readSynthOutput, type ResourceRecord } from "../components/synth/synth-output.ts";

// What `pulumi up -s aws-dev|aws-prod` would create, checked against what EKS and AWS do at create
// time (issue 10, AWS items). Sources are cited at each assertion.
const root = fileURLToPath(new URL("../../", import.meta.url));
const dirs: string[] = [];
const out = new Map<string, { code: number | null; stderr: string; resources: ResourceRecord[]; manifests: Manifest[] }>();
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

type StackConfig = { config: Record<string, any> };
const shipped = (stack: string) => parse(readFileSync(path.join(root, `stacks/Pulumi.${stack}.yaml`), "utf8")) as StackConfig;

/** Variants of the shipped stacks, each a change a user makes. */
const VARIANTS: Record<string, () => StackConfig> = {
  // The stack's aws provider settings: a named profile and an assumed role.
  "aws-dev-profile": () => {
    const s = shipped("aws-dev");
    s.config["aws:profile"] = "ml-admin";
    s.config["aws:assumeRoles"] = [{ roleArn: "arn:aws:iam::123456789012:role/platform-deployer", sessionName: "pulumi" }];
    return s;
  },
  // Production with no runner connection at all.
  "aws-prod-unreachable": () => {
    const s = shipped("aws-prod");
    s.config["pulumi-mlops:aws"] = { ...s.config["pulumi-mlops:aws"], network: undefined };
    return s;
  },
  // The identity running pulumi up (synth's caller) listed again as a cluster admin.
  "aws-dev-self-admin": () => {
    const s = shipped("aws-dev");
    s.config["pulumi-mlops:aws"] = { ...s.config["pulumi-mlops:aws"], clusterAdmins: ["arn:aws:iam::123456789012:user/synth"] };
    return s;
  },
};

before(async () => {
  const project = await mkdtemp(path.join(tmpdir(), "mlops-aws-variants-"));
  dirs.push(project);
  const projectFile = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  await writeFile(path.join(project, "Pulumi.yaml"), stringify({ ...projectFile, main: path.join(root, "stacks/index.ts"), stackConfigDir: "." }));
  for (const [name, make] of Object.entries(VARIANTS)) await writeFile(path.join(project, `Pulumi.${name}.yaml`), stringify(make()));
  const synth = async (stack: string, dir: string) => {
    const o = await mkdtemp(path.join(tmpdir(), `mlops-${stack}-`));
    dirs.push(o);
    const run = await runSynth([stack, "--project", dir, "--out", o], { cwd: root });
    out.set(stack, run.code === 0 ? { code: 0, stderr: run.stderr, ...readSynthOutput(o) } : { code: run.code, stderr: run.stderr, resources: [], manifests: [] });
  };
  await Promise.all([synth("aws-dev", root), synth("aws-prod", root), ...Object.keys(VARIANTS).map((s) => synth(s, project))]);
});

const synthOf = (stack: string) => {
  const s = out.get(stack)!;
  assert.equal(s.code, 0, `${stack}: ${s.stderr}`);
  return s;
};
const ofType = (stack: string, type: string) => synthOf(stack).resources.filter((r) => r.type === type) as (ResourceRecord & { inputs: any })[];
const one = (stack: string, type: string, name: (n: string) => boolean = () => true) => {
  const found = ofType(stack, type).filter((r) => name(r.name));
  assert.equal(found.length, 1, `${stack}: one ${type}, found ${found.map((r) => r.name).join(", ")}`);
  return found[0]!;
};

test("aws-dev: the public endpoint admits only authorizedCidrs, a placeholder preview warns about (no 0.0.0.0/0)", () => {
  // Item 16; CIS EKS 5.4.1. The shipped range is RFC 5737 documentation space: `pulumi up` refuses it
  // (components/network/endpoint-access.ts refusePlaceholderCidrs), preview warns.
  const vpc = one("aws-dev", "aws:eks/cluster:Cluster").inputs.vpcConfig;
  assert.equal(vpc.endpointPublicAccess, true);
  assert.deepEqual(vpc.publicAccessCidrs, ["203.0.113.0/24"]);
  assert.match(synthOf("aws-dev").stderr, /aws\.authorizedCidrs holds the documentation range 203\.0\.113\.0\/24.*pulumi up will refuse it/);
});

test("aws-prod: private-only endpoint, reachable from the peered runner VPC through a 443 rule on the cluster security group", () => {
  // Item 4; https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html (private-only
  // access: a connected network plus an ingress rule for 443 on the cluster security group).
  const cluster = one("aws-prod", "aws:eks/cluster:Cluster");
  assert.deepEqual([cluster.inputs.vpcConfig.endpointPrivateAccess, cluster.inputs.vpcConfig.endpointPublicAccess], [true, false]);
  const rule = one("aws-prod", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs;
  assert.deepEqual([rule.cidrIpv4, rule.ipProtocol, rule.fromPort, rule.toPort], ["10.100.0.0/16", "tcp", 443, 443]);
  assert.equal(rule.securityGroupId, `sg-synth-${cluster.name}`);
  const peering = one("aws-prod", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection").inputs;
  assert.equal(peering.autoAccept, true);
  const back = ofType("aws-prod", "aws:ec2/routeTable:RouteTable").filter((t) => t.name.includes("-private-rt-"));
  assert.equal(back.length, 3);
  for (const t of back) assert.ok(t.inputs.routes.some((r: any) => r.cidrBlock === "10.100.0.0/16" && r.vpcPeeringConnectionId), t.name);
  assert.match(synthOf("aws-prod").stderr, /runnerVpc holds the placeholder vpc-00000000000000000, rtb-00000000000000000.*pulumi up will refuse it/);
});

test("aws-prod without a way to its private endpoint fails at preview, naming the stack key and the ways out", () => {
  const s = out.get("aws-prod-unreachable")!;
  assert.equal(s.code, 2, s.stderr);
  assert.match(s.stderr, /pulumi-mlops:aws\.network\.runnerVpc/);
  assert.match(s.stderr, /network\.existing\.privateSubnetIds/);
});

test("both AWS stacks: EBS CSI on its own role, a default encrypted gp3 class, metrics-server for the HPA, vpc-cni enforcing the NetworkPolicies", () => {
  for (const stack of ["aws-dev", "aws-prod"]) {
    const addons = new Map(ofType(stack, "aws:eks/addon:Addon").map((a) => [a.inputs.addonName, a.inputs]));
    // Item 6 (https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html).
    assert.match(addons.get("aws-ebs-csi-driver")?.serviceAccountRoleArn ?? "", /-ebs-csi-role$/, stack);
    const sc = one(stack, "kubernetes:storage.k8s.io/v1:StorageClass").inputs;
    assert.deepEqual([sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"], sc.provisioner, sc.parameters.type, sc.parameters.encrypted], ["true", "ebs.csi.aws.com", "gp3", "true"], stack);
    // Prometheus's claim names no class, so the default one binds it (kube-prometheus-stack 79.12.0
    // prometheus.prometheusSpec.storageSpec.volumeClaimTemplate, as monitoring.ts sets it).
    const chart = one(stack, "kubernetes:helm.sh/v4:Chart", (n) => n.endsWith("kube-prometheus-stack")).inputs;
    const claim = chart.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec;
    assert.equal(claim.storageClassName, undefined, stack);
    assert.deepEqual(claim.accessModes, ["ReadWriteOnce"], "gp3 EBS volumes are ReadWriteOnce");
    // Item 7: the platform deploys an HPA, which reads the metrics API metrics-server serves.
    assert.ok(synthOf(stack).manifests.some((m) => m.kind === "HorizontalPodAutoscaler"), stack);
    assert.ok(addons.has("metrics-server"), stack);
    // Item 8: the platform deploys NetworkPolicies, which only an enforcing CNI makes real.
    assert.ok(synthOf(stack).manifests.some((m) => m.kind === "NetworkPolicy"), stack);
    assert.deepEqual(JSON.parse(addons.get("vpc-cni")?.configurationValues ?? "{}"), { enableNetworkPolicy: "true" }, stack);
  }
});

test("both AWS stacks: GPU nodes and their Auto Scaling groups carry k8s.amazonaws.com/accelerator, so the autoscaler adds one node per pending GPU pod", () => {
  // Item 11; cluster-autoscaler/cloudprovider/aws/README.md, "Special note on GPU instances".
  const expected: Record<string, Record<string, string>> = { "aws-dev": { a10g: "nvidia-a10g" }, "aws-prod": { a10g: "nvidia-a10g", l4: "nvidia-l4" } };
  for (const [stack, pools] of Object.entries(expected)) {
    const gpu = ofType(stack, "aws:eks/nodeGroup:NodeGroup").filter((g) => g.inputs.labels?.["mlops.dev/gpu"] === "true");
    assert.deepEqual(Object.fromEntries(gpu.map((g) => [g.inputs.labels["mlops.dev/node-pool"], g.inputs.labels["k8s.amazonaws.com/accelerator"]])), pools, stack);
    const tags = ofType(stack, "aws:autoscaling/tag:Tag").filter((t) => t.inputs.tag.key === "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator");
    assert.deepEqual(tags.map((t) => t.inputs.tag.value).sort(), Object.values(pools).sort(), stack);
  }
});

test("both AWS stacks: preview names the GPU vCPU quotas (0 on new accounts) and how to raise them", () => {
  // Item 15; https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html.
  assert.match(synthOf("aws-dev").stderr, /"All G and VT Spot Instance Requests" \(L-3819A6DF\) needs 8 vCPUs for a10g \(2 x g5\.xlarge, spot\)/);
  assert.match(synthOf("aws-prod").stderr, /"Running On-Demand G and VT instances" \(L-DB2E81BA\) needs 48 vCPUs/);
  assert.match(synthOf("aws-prod").stderr, /request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 48 --region us-east-1/);
});

test("aws:profile and aws:assumeRoles reach the aws provider and the kubeconfig's get-token alike", () => {
  // Item 12: the provider is explicit (components/aws/platform-cluster.ts), so EKS's bootstrap
  // admin is the assumed role; the kubeconfig must sign as it too.
  const provider = one("aws-dev-profile", "pulumi:providers:aws").inputs;
  assert.equal(provider.profile, "ml-admin");
  const k8s = one("aws-dev-profile", "pulumi:providers:kubernetes").inputs;
  const kubeconfig = JSON.parse(typeof k8s.kubeconfig === "string" ? k8s.kubeconfig : k8s.kubeconfig.value);
  const args: string[] = kubeconfig.users[0].user.exec.args;
  assert.deepEqual(args.slice(args.indexOf("--role-arn"), args.indexOf("--role-arn") + 4), ["--role-arn", "arn:aws:iam::123456789012:role/platform-deployer", "--profile", "ml-admin"]);
});

test("listing the identity that runs pulumi up in clusterAdmins fails at preview (EKS already made it admin; a second entry fails)", () => {
  // https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html: an IAM principal
  // can't be in more than one access entry.
  const s = out.get("aws-dev-self-admin")!;
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /clusterAdmins\[0\] \(arn:aws:iam::123456789012:user\/synth\) is the identity running pulumi up/);
});

test("aws-prod's retraining controller waits for a person's approval before promoting (the production profile's default); aws-dev's does not", () => {
  const policyOf = (stack: string) => {
    const maps = ofType(stack, "kubernetes:core/v1:ConfigMap").filter((r) => typeof r.inputs.data?.["policy.json"] === "string");
    assert.equal(maps.length, 1, `${stack}: one policy ConfigMap`);
    return JSON.parse(maps[0]!.inputs.data["policy.json"]);
  };
  assert.equal(policyOf("aws-prod").promotion?.requireApproval, true);
  assert.notEqual(policyOf("aws-dev").promotion?.requireApproval, true);
});
