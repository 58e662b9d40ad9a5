import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { evaluatePolicies, formatViolations } from "../../components/policy/index.ts";
import { runSynth } from "../helpers/run-cli.ts";
import { embeddedJobs, type Manifest, podSpecs, readSynthOutput, type ResourceRecord } from "../components/synth/synth-output.ts";

// Synth-level checks of the shipped cloud stacks (what `pulumi up -s <stack>` would create) and
// the policy pack over every shipped stack's synth output, plus a deliberately insecure stack.
const root = fileURLToPath(new URL("../../", import.meta.url));
const STACKS = ["aws-dev", "aws-prod", "gcp-dev", "azure-dev", "local"];
const dirs: string[] = [];
const out = new Map<string, { resources: ResourceRecord[]; manifests: Manifest[]; stderr: string }>();
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

before(async () => {
  // The insecure variant: aws-prod with a public API endpoint and a GPU pool kept warm (min 1).
  const project = await mkdtemp(path.join(tmpdir(), "mlops-insecure-"));
  dirs.push(project);
  const projectFile = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  await writeFile(path.join(project, "Pulumi.yaml"), stringify({ ...projectFile, main: path.join(root, "stacks/index.ts"), stackConfigDir: "." }));
  const prod = parse(readFileSync(path.join(root, "stacks/Pulumi.aws-prod.yaml"), "utf8")) as { config: Record<string, any> };
  prod.config["pulumi-mlops:aws"] = { ...prod.config["pulumi-mlops:aws"], publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32"], gpuPools: [{ name: "warm", instanceType: "g5.xlarge", minNodes: 1, maxNodes: 2 }] };
  await writeFile(path.join(project, "Pulumi.insecure.yaml"), stringify(prod));
  const synth = async (stack: string, dir: string) => {
    const o = await mkdtemp(path.join(tmpdir(), `mlops-cloud-${stack}-`));
    dirs.push(o);
    const run = await runSynth([stack, "--project", dir, "--out", o], { cwd: root });
    assert.equal(run.code, 0, `${stack}: ${run.stderr}`);
    const { resources, manifests } = readSynthOutput(o);
    out.set(stack, { resources, manifests: [...manifests, ...embeddedJobs(manifests)], stderr: run.stderr });
  };
  await Promise.all([...STACKS.map((s) => synth(s, root)), synth("insecure", project)]);
});

const ofType = (stack: string, type: string) => out.get(stack)!.resources.filter((r) => r.type === type) as (ResourceRecord & { inputs: any })[];
const gpuPodTolerations = (stack: string) =>
  podSpecs(out.get(stack)!.manifests)
    .filter((p) => p.spec.containers.some((c) => c.resources?.limits?.["nvidia.com/gpu"] !== undefined))
    .map((p) => ({ at: p.where, tolerations: p.spec.tolerations ?? [] }));

/** Every GPU pod tolerates each taint (key, value, effect) its GPU pools carry. */
function assertTolerated(stack: string, taints: { key: string; value?: string; effect: string }[]) {
  const pods = gpuPodTolerations(stack);
  assert.ok(pods.length > 0, `${stack}: some pod uses a GPU`);
  for (const pod of pods) {
    for (const t of taints) {
      const ok = pod.tolerations.some((x) => x.key === t.key && x.effect === t.effect && (x.operator === "Exists" || x.value === t.value));
      assert.ok(ok, `${stack}: ${pod.at} does not tolerate ${t.key}=${t.value}:${t.effect}`);
    }
  }
}

test("AWS stacks: GPU node groups scale from zero on the NVIDIA AMI, tainted and labelled, tolerated by every GPU pod", () => {
  for (const stack of ["aws-dev", "aws-prod"]) {
    const gpu = ofType(stack, "aws:eks/nodeGroup:NodeGroup").filter((g) => g.inputs.labels?.["mlops.dev/gpu"] === "true");
    assert.ok(gpu.length >= 1, stack);
    for (const g of gpu) {
      assert.equal(g.inputs.scalingConfig.minSize, 0, `${stack} ${g.name}`);
      assert.match(g.inputs.amiType, /^AL2023_(x86_64|ARM_64)_NVIDIA$/);
      assert.deepEqual(g.inputs.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
    }
    // Cluster Autoscaler learns a zero-node group's labels, taints and GPUs from its ASG tags.
    const asgTags = ofType(stack, "aws:autoscaling/tag:Tag").map((t) => t.inputs.tag.key);
    assert.ok(asgTags.includes("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"), stack);
    assert.ok(asgTags.includes("k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"), stack);
    assertTolerated(stack, [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
  }
});

test("AWS stacks: private, KMS-encrypted, versioned, TLS-only model store; scanned immutable ECR; IRSA bound to exactly the runtime's ServiceAccounts", () => {
  for (const stack of ["aws-dev", "aws-prod"]) {
    const [pab] = ofType(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(pab!.inputs[k], true, `${stack} ${k}`);
    const [sse] = ofType(stack, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert.equal(sse!.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.equal(ofType(stack, "aws:s3/bucketVersioning:BucketVersioning")[0]!.inputs.versioningConfiguration.status, "Enabled");
    assert.match(ofType(stack, "aws:s3/bucketPolicy:BucketPolicy")[0]!.inputs.policy, /aws:SecureTransport/);
    const [repo] = ofType(stack, "aws:ecr/repository:Repository");
    assert.equal(repo!.inputs.imageScanningConfiguration.scanOnPush, true);
    assert.equal(repo!.inputs.imageTagMutability, "IMMUTABLE");
    const trust = JSON.parse(ofType(stack, "aws:iam/role:Role").find((r) => r.name.endsWith("-runtime-role"))!.inputs.assumeRolePolicy);
    const subjects = Object.entries(trust.Statement[0].Condition.StringEquals).find(([k]) => k.endsWith(":sub"))![1];
    assert.deepEqual([subjects].flat().sort(), ["system:serviceaccount:mlops:mlops-retraining", "system:serviceaccount:mlops:mlops-serving"]);
    const sas = out.get(stack)!.manifests.filter((m) => m.kind === "ServiceAccount" && m.metadata.namespace === "mlops");
    assert.deepEqual(sas.map((m) => m.metadata.name).sort(), ["mlops-retraining", "mlops-serving"]);
    for (const sa of sas) assert.match(String((sa.metadata as any).annotations["eks.amazonaws.com/role-arn"]), /^arn:aws:iam::/);
  }
  const endpoint = (stack: string) => ofType(stack, "aws:eks/cluster:Cluster")[0]!.inputs.vpcConfig;
  assert.equal(endpoint("aws-dev").endpointPublicAccess, true, "dev: public endpoint (CIDR-restricted)");
  assert.ok(!endpoint("aws-dev").publicAccessCidrs.includes("0.0.0.0/0"));
  assert.equal(endpoint("aws-prod").endpointPublicAccess, false, "production: private endpoint only");
  assert.equal(endpoint("aws-prod").endpointPrivateAccess, true);
});

test("GCP stack: accelerator pools from zero with the driver installed by GKE, tainted; private bucket; immutable registry; Workload Identity for the two ServiceAccounts", () => {
  const gpu = ofType("gcp-dev", "gcp:container/nodePool:NodePool").filter((p) => p.inputs.nodeConfig.guestAccelerators?.length);
  assert.equal(gpu.length, 1);
  const pool = gpu[0]!.inputs;
  assert.equal(pool.autoscaling.minNodeCount ?? pool.autoscaling.totalMinNodeCount, 0);
  assert.equal(pool.nodeConfig.guestAccelerators[0].type, "nvidia-tesla-t4");
  assert.equal(pool.nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion, "LATEST");
  assert.deepEqual(pool.nodeConfig.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
  assert.equal(pool.nodeConfig.spot, true);
  const [bucket] = ofType("gcp-dev", "gcp:storage/bucket:Bucket");
  assert.equal(bucket!.inputs.publicAccessPrevention, "enforced");
  assert.equal(bucket!.inputs.uniformBucketLevelAccess, true);
  assert.equal(bucket!.inputs.versioning.enabled, true);
  assert.ok(bucket!.inputs.encryption.defaultKmsKeyName);
  assert.equal(ofType("gcp-dev", "gcp:artifactregistry/repository:Repository")[0]!.inputs.dockerConfig.immutableTags, true);
  const members = ofType("gcp-dev", "gcp:serviceaccount/iAMMember:IAMMember").filter((m) => m.inputs.role === "roles/iam.workloadIdentityUser").map((m) => m.inputs.member);
  assert.deepEqual(members.sort(), ["serviceAccount:my-mlops-dev.svc.id.goog[mlops/mlops-retraining]", "serviceAccount:my-mlops-dev.svc.id.goog[mlops/mlops-serving]"]);
  // GKE runs its own device plugin: the platform adds none.
  assert.equal(out.get("gcp-dev")!.resources.filter((r) => r.name.endsWith("-device-plugin")).length, 0);
});

test("GCP stack, first pulumi up (issue 10): APIs enabled, the image pushed with a token and a writer grant, DCGM reading the driver GKE installs on COS", () => {
  const apis = ofType("gcp-dev", "gcp:projects/service:Service").map((s) => s.inputs);
  for (const api of ["container.googleapis.com", "compute.googleapis.com", "artifactregistry.googleapis.com", "cloudkms.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "cloudresourcemanager.googleapis.com"]) {
    const svc = apis.find((a) => a.service === api);
    assert.ok(svc, `${api} enabled`);
    assert.equal(svc.disableOnDestroy, false, api);
  }
  const writer = ofType("gcp-dev", "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").find((m) => m.inputs.role === "roles/artifactregistry.writer");
  assert.equal(writer?.inputs.member, "user:synth@example.com", "the identity running pulumi up may push");
  const [image] = ofType("gcp-dev", "docker-build:index:Image");
  assert.equal(JSON.stringify(image!.inputs.registries).includes('"address":"us-central1-docker.pkg.dev"'), true, JSON.stringify(image!.inputs.registries));
  assert.equal(JSON.stringify(image!.inputs.registries).includes('"username":"oauth2accesstoken"'), true);
  const dcgm = ofType("gcp-dev", "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === "dcgm-exporter");
  assert.ok(dcgm, "DCGM exporter installed");
  assert.deepEqual(dcgm.inputs.values.extraHostVolumes, [{ name: "nvidia-driver", hostPath: "/home/kubernetes/bin/nvidia" }]);
  assert.ok(dcgm.inputs.values.extraEnv.some((e: { name: string; value: string }) => e.name === "LD_LIBRARY_PATH" && e.value === "/usr/local/nvidia/lib64"));
});

test("GCP and Azure dev stacks: the shipped RFC 5737 placeholder is warned about at preview and refused by pulumi up (issue 10 item 16)", () => {
  // components/network/endpoint-access.ts refusePlaceholderCidrs, as on aws-dev (aws-stacks.test.ts).
  assert.match(out.get("gcp-dev")!.stderr, /gcp\.authorizedCidrs holds the documentation range 203\.0\.113\.0\/24.*pulumi up will refuse it/);
  assert.match(out.get("azure-dev")!.stderr, /azure\.authorizedCidrs holds the documentation range 203\.0\.113\.0\/24.*pulumi up will refuse it/);
});

test("Azure stack: spot GPU pool from zero with the AKS driver, both GPU taints tolerated; locked-down storage; federated credentials for exactly the two ServiceAccounts", () => {
  const [pool] = ofType("azure-dev", "azure-native:containerservice:AgentPool");
  assert.equal(pool!.inputs.minCount, 0);
  assert.equal(pool!.inputs.enableAutoScaling, true);
  assert.equal(pool!.inputs.gpuProfile.driver, "Install");
  assert.ok(pool!.inputs.nodeTaints.includes("nvidia.com/gpu=present:NoSchedule"));
  assert.equal(pool!.inputs.scaleSetPriority, "Spot");
  assertTolerated("azure-dev", [
    { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
    { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" },
  ]);
  const [account] = ofType("azure-dev", "azure-native:storage:StorageAccount");
  assert.equal(account!.inputs.allowBlobPublicAccess, false);
  assert.equal(account!.inputs.enableHttpsTrafficOnly, true);
  assert.equal(account!.inputs.minimumTlsVersion, "TLS1_2");
  const subjects = ofType("azure-dev", "azure-native:managedidentity:FederatedIdentityCredential").map((c) => c.inputs.subject);
  assert.deepEqual(subjects.sort(), ["system:serviceaccount:mlops:mlops-retraining", "system:serviceaccount:mlops:mlops-serving"]);
});

test("the policy pack passes on every shipped stack's synth output", () => {
  for (const stack of STACKS) {
    const violations = evaluatePolicies(out.get(stack)!.resources);
    assert.deepEqual(violations, [], `${stack}:\n${formatViolations(violations)}`);
  }
});

test("the policy pack fails a production stack with a public endpoint and a GPU pool that cannot scale to zero, saying why", () => {
  const violations = evaluatePolicies(out.get("insecure")!.resources);
  const text = formatViolations(violations);
  assert.ok(violations.some((v) => v.policy === "no-public-endpoint-in-production"), text);
  assert.ok(violations.some((v) => v.policy === "gpu-pools-tainted-and-scale-to-zero" && /minSize is 1/.test(v.message)), text);
});
