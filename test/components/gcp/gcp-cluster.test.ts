import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../../helpers/pulumi-mocks.ts";
import { setupGcpMocks, TEST_PROJECT } from "./gcp-mocks.ts";

const mocks = setupGcpMocks();
const { GcpCluster } = await import("../../../components/gcp/index.ts");
const { GPU_NODE_LABEL, GPU_TAINT, RUNTIME_SERVICE_ACCOUNTS } = await import("../../../components/kubernetes/cluster-handle.ts");

beforeEach(() => mocks.reset());

const one = (type: string) => {
  const all = mocks.ofType(type);
  assert.equal(all.length, 1, `expected one ${type}, got ${all.length}`);
  return all[0]!.inputs;
};

test("a dev cluster is zonal, private, VPC-native, encrypted with the created key and on the REGULAR channel", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  await mocks.settle();
  const c = mocks.named("ml-cluster").inputs;
  assert.equal(c.location, "us-central1-a");
  assert.equal(c.nodeLocations, undefined);
  assert.equal(c.removeDefaultNodePool, true);
  assert.deepEqual(c.releaseChannel, { channel: "REGULAR" });
  assert.equal(c.minMasterVersion, "1.35");
  assert.deepEqual(c.privateClusterConfig, { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: "172.16.0.0/28" });
  assert.equal(c.networkingMode, "VPC_NATIVE");
  assert.deepEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
  assert.deepEqual(c.workloadIdentityConfig, { workloadPool: `${TEST_PROJECT.id}.svc.id.goog` });
  assert.deepEqual(c.databaseEncryption, { state: "ENCRYPTED", keyName: "ml-key-id" });
  assert.deepEqual(c.loggingConfig.enableComponents, ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]);
  assert.equal(c.enableShieldedNodes, true);
  assert.equal(c.deletionProtection, false);
  assert.equal(c.datapathProvider, "ADVANCED_DATAPATH");
  // A private endpoint admits no internet range: the default 0.0.0.0/0 is dropped.
  assert.deepEqual(c.masterAuthorizedNetworksConfig, { cidrBlocks: [], gcpPublicCidrsAccessEnabled: false });
  assert.equal(c.nodeConfig.serviceAccount, mocks.named("ml-nodes").inputs.accountId + `@${TEST_PROJECT.id}.iam.gserviceaccount.com`);

  const subnet = one("gcp:compute/subnetwork:Subnetwork");
  assert.equal(subnet.ipCidrRange, "10.0.0.0/16");
  assert.equal(subnet.privateIpGoogleAccess, true);
  assert.deepEqual(subnet.secondaryIpRanges.map((r: { rangeName: string }) => r.rangeName), ["pods", "services"]);
  assert.equal(one("gcp:compute/network:Network").autoCreateSubnetworks, false);
  const nat = one("gcp:compute/routerNat:RouterNat");
  assert.equal(nat.sourceSubnetworkIpRangesToNat, "LIST_OF_SUBNETWORKS");
  assert.deepEqual(nat.subnetworks, [{ name: "ml-subnet-id", sourceIpRangesToNats: ["ALL_IP_RANGES"] }]);

  const key = one("gcp:kms/cryptoKey:CryptoKey");
  assert.equal(key.rotationPeriod, `${90 * 86400}s`);
  assert.equal(key.purpose, "ENCRYPT_DECRYPT");
  const grants = mocks.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").map((g) => g.inputs);
  assert.ok(grants.every((g) => g.role === "roles/cloudkms.cryptoKeyEncrypterDecrypter" && g.cryptoKeyId === "ml-key-id"));
  assert.deepEqual(grants.map((g) => g.member).sort(), [
    `serviceAccount:service-${TEST_PROJECT.number}@container-engine-robot.iam.gserviceaccount.com`,
    `serviceAccount:service-${TEST_PROJECT.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
    `serviceAccount:service-${TEST_PROJECT.number}@gs-project-accounts.iam.gserviceaccount.com`,
  ]);
});

test("the default GPU pool scales from zero, is tainted and labelled, and gets the driver GKE installs on COS", async () => {
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  await mocks.settle();
  const pools = mocks.ofType("gcp:container/nodePool:NodePool");
  assert.deepEqual(pools.map((p) => p.name).sort(), ["ml-gpu-gpu", "ml-system"]);
  const gpu = mocks.named("ml-gpu-gpu").inputs;
  assert.equal(gpu.initialNodeCount, 0);
  assert.deepEqual(gpu.autoscaling, { minNodeCount: 0, maxNodeCount: 2, locationPolicy: "ANY" });
  assert.equal(gpu.nodeConfig.machineType, "n1-standard-4");
  assert.equal(gpu.nodeConfig.imageType, "COS_CONTAINERD");
  assert.equal(gpu.nodeConfig.spot, false);
  assert.deepEqual(gpu.nodeConfig.guestAccelerators, [{ type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } }]);
  assert.deepEqual(gpu.nodeConfig.taints, [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
  assert.equal(gpu.nodeConfig.labels["mlops.dev/gpu"], "true");
  assert.deepEqual(gpu.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
  assert.deepEqual(gpu.nodeConfig.oauthScopes, ["https://www.googleapis.com/auth/cloud-platform"]);
  const system = mocks.named("ml-system").inputs;
  assert.deepEqual(system.autoscaling, { minNodeCount: 1, maxNodeCount: 3, locationPolicy: "BALANCED" });
  assert.equal(system.nodeConfig.machineType, "e2-standard-2");
  assert.equal(system.nodeConfig.taints, undefined);
  assert.equal(system.nodeConfig.shieldedInstanceConfig.enableSecureBoot, true);

  // The handle's GPU facts are exactly what every pool carries.
  assert.ok(c.handle.gpu);
  assert.deepEqual(c.handle.gpu.nodeSelector, { ...GPU_NODE_LABEL });
  for (const [k, v] of Object.entries(c.handle.gpu.nodeSelector)) assert.equal(gpu.nodeConfig.labels[k], v);
  assert.deepEqual(c.handle.gpu.taints, [{ ...GPU_TAINT }]);
  const asGke = c.handle.gpu.taints.map((t) => ({ key: t.key, value: t.value ?? "", effect: { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" }[t.effect] }));
  assert.deepEqual(asGke, gpu.nodeConfig.taints);
  assert.equal(c.handle.gpu.resourceName, "nvidia.com/gpu");
  assert.equal(c.handle.gpu.driverInstalled, true);
  assert.equal(c.handle.gpu.devicePluginInstalled, true);
});

test("GPU pools take spot, machine, accelerator and zones; every pool carries the handle's taints", async () => {
  const c = new GcpCluster("ml", {
    region: "us-central1",
    namespace: "mlops",
    gpuPools: [
      { name: "l4", machineType: "g2-standard-8", accelerator: "nvidia-l4", spot: true, maxNodes: 4, zones: ["us-central1-b"] },
      { name: "a100", machineType: "a2-highgpu-1g", accelerator: "nvidia-tesla-a100", gpuDriverVersion: "DEFAULT", diskSizeGb: 200 },
    ],
  });
  await mocks.settle();
  const l4 = mocks.named("ml-gpu-l4").inputs;
  assert.equal(l4.nodeConfig.spot, true);
  assert.deepEqual(l4.nodeLocations, ["us-central1-b"]);
  assert.deepEqual(l4.autoscaling, { minNodeCount: 0, maxNodeCount: 4, locationPolicy: "ANY" });
  assert.equal(l4.nodeConfig.guestAccelerators[0].type, "nvidia-l4");
  const a100 = mocks.named("ml-gpu-a100").inputs;
  assert.equal(a100.nodeConfig.machineType, "a2-highgpu-1g");
  assert.equal(a100.nodeConfig.diskSizeGb, 200);
  assert.equal(a100.nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion, "DEFAULT");
  for (const pool of [l4, a100]) {
    assert.deepEqual(pool.nodeConfig.taints, [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }]);
    assert.equal(pool.nodeConfig.labels["mlops.dev/gpu"], "true");
  }
  assert.deepEqual(c.handle.gpu?.taints, [{ ...GPU_TAINT }]);
});

test("no GPU pools: no GPU node pool and no GPU facts in the handle", async () => {
  const c = new GcpCluster("cpu", { region: "us-central1", namespace: "mlops", gpuPools: [] });
  await mocks.settle();
  assert.deepEqual(mocks.ofType("gcp:container/nodePool:NodePool").map((p) => p.name), ["cpu-system"]);
  assert.equal(c.handle.gpu, undefined);
});

test("the model store is private, CMEK-encrypted, versioned, with feedback and old-version expiry; bucketUrl is the handle's store", async () => {
  const c = new GcpCluster("ml", { region: "europe-west4", namespace: "mlops" });
  await mocks.settle();
  const b = one("gcp:storage/bucket:Bucket");
  assert.equal(b.location, "EUROPE-WEST4");
  assert.equal(b.uniformBucketLevelAccess, true);
  assert.equal(b.publicAccessPrevention, "enforced");
  assert.deepEqual(b.versioning, { enabled: true });
  assert.equal(b.forceDestroy, false);
  assert.deepEqual(b.encryption, { defaultKmsKeyName: "ml-key-id" });
  const feedback = b.lifecycleRules.find((r: any) => r.condition.matchesSuffixes?.includes(".jsonl"));
  assert.deepEqual(feedback, { action: { type: "Delete" }, condition: { age: 90, matchesPrefixes: ["registry/models/"], matchesSuffixes: [".jsonl"], withState: "LIVE" } });
  const noncurrent = b.lifecycleRules.find((r: any) => r.condition.daysSinceNoncurrentTime !== undefined);
  assert.deepEqual(noncurrent, { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" } });
  // No ACL or IAM grant makes it public; the only bucket grant is the runtime's.
  const bucketGrants = mocks.ofType("gcp:storage/bucketIAMMember:BucketIAMMember").map((g) => g.inputs);
  assert.equal(bucketGrants.length, 1);
  assert.ok(!bucketGrants.some((g) => /allUsers|allAuthenticatedUsers/.test(g.member)));
  assert.equal(mocks.ofType("gcp:storage/bucketACL:BucketACL").length, 0);
  assert.equal(await valueOf(c.bucketUrl), "gs://ml-models-abcdef/registry");
  assert.equal(c.handle.modelStore.kind, "bucket");
  if (c.handle.modelStore.kind === "bucket") assert.equal(await valueOf(pulumi.output(c.handle.modelStore.url)), "gs://ml-models-abcdef/registry");
});

test("the registry is a private Docker repository with immutable tags, CMEK, scanning and a keep-newest cleanup policy", async () => {
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "mlops", registry: { keepImages: 10 } });
  await mocks.settle();
  const r = one("gcp:artifactregistry/repository:Repository");
  assert.equal(r.format, "DOCKER");
  assert.equal(r.location, "us-central1");
  assert.deepEqual(r.dockerConfig, { immutableTags: true });
  assert.equal(r.kmsKeyName, "ml-key-id");
  assert.equal(r.cleanupPolicyDryRun, false);
  assert.deepEqual(r.cleanupPolicies, [
    { id: "keep-newest", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
    { id: "delete-older", action: "DELETE", condition: { tagState: "ANY" } },
  ]);
  assert.deepEqual(r.vulnerabilityScanningConfig, { enablementConfig: "INHERITED" });
  const api = mocks.named("ml-containerscanning", "gcp:projects/service:Service").inputs;
  assert.equal(api.service, "containerscanning.googleapis.com");
  assert.equal(api.disableOnDestroy, false);
  assert.deepEqual(mocks.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((m) => m.inputs.role).sort(), ["roles/artifactregistry.reader", "roles/artifactregistry.writer"]);
  assert.equal(await valueOf(c.registryUrl), `us-central1-docker.pkg.dev/${TEST_PROJECT.id}/${r.repositoryId}`);
  assert.equal(await valueOf(pulumi.output(c.handle.registryUrl!)), await valueOf(c.registryUrl));
  assert.equal(c.handle.registryAuth?.username, "oauth2accesstoken");
  assert.equal(await valueOf(pulumi.output(c.handle.registryAuth!.password)), "ya29.test-token");
});

test("Workload Identity trusts exactly the two runtime ServiceAccounts and grants object access on the one bucket only", async () => {
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "ml-prod" });
  await mocks.settle();
  const runtime = mocks.named("ml-runtime");
  assert.equal(runtime.type, "gcp:serviceaccount/account:Account");
  const gsaEmail = `${runtime.inputs.accountId}@${TEST_PROJECT.id}.iam.gserviceaccount.com`;
  const bindings = mocks.ofType("gcp:serviceaccount/iAMMember:IAMMember").map((b) => b.inputs);
  assert.ok(bindings.every((b) => b.role === "roles/iam.workloadIdentityUser" && b.serviceAccountId === `projects/${TEST_PROJECT.id}/serviceAccounts/${gsaEmail}`));
  const subjects = bindings.map((b) => {
    const m = /^serviceAccount:([a-z0-9-]+)\.svc\.id\.goog\[([^/\]]+)\/([^\]]+)\]$/.exec(b.member);
    assert.ok(m, `not a Workload Identity member: ${b.member}`);
    return { pool: m[1], namespace: m[2], serviceAccount: m[3] };
  });
  assert.deepEqual(
    subjects.sort((a, b) => a.serviceAccount!.localeCompare(b.serviceAccount!)),
    [RUNTIME_SERVICE_ACCOUNTS.retraining, RUNTIME_SERVICE_ACCOUNTS.serving].sort().map((sa) => ({ pool: TEST_PROJECT.id, namespace: "ml-prod", serviceAccount: sa })),
  );

  const bucket = mocks.named("ml-models");
  const objectGrant = one("gcp:storage/bucketIAMMember:BucketIAMMember");
  assert.deepEqual(objectGrant, { bucket: "ml-models-abcdef", role: "roles/storage.objectUser", member: `serviceAccount:${gsaEmail}` });
  assert.equal(bucket.type, "gcp:storage/bucket:Bucket");
  // The runtime's account holds no project-level role; the project grant is the node account's only.
  const projectGrants = mocks.ofType("gcp:projects/iAMMember:IAMMember").map((g) => g.inputs);
  assert.ok(projectGrants.every((g) => !String(g.member).includes(gsaEmail)));
  assert.deepEqual(projectGrants.map((g) => g.role), ["roles/container.defaultNodeServiceAccount"]);

  assert.equal(await valueOf(pulumi.output(c.handle.workloadIdentity.annotations["iam.gke.io/gcp-service-account"]!)), gsaEmail);
  assert.deepEqual(c.handle.workloadIdentity.serviceAccounts, { ...RUNTIME_SERVICE_ACCOUNTS });
  assert.deepEqual(c.handle.workloadIdentity.labels, {});
  assert.equal(await valueOf(pulumi.output(c.handle.runtimeEnv!.GOOGLE_CLOUD_PROJECT!)), TEST_PROJECT.id);
});

test("nodes run as a dedicated account that may pull from the one repository", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  await mocks.settle();
  const nodes = mocks.named("ml-nodes").inputs;
  const email = `${nodes.accountId}@${TEST_PROJECT.id}.iam.gserviceaccount.com`;
  const pull = mocks.named("ml-nodes-pull").inputs;
  const repo = one("gcp:artifactregistry/repository:Repository");
  assert.deepEqual(pull, { project: TEST_PROJECT.id, location: "us-central1", repository: repo.repositoryId, role: "roles/artifactregistry.reader", member: `serviceAccount:${email}` });
  for (const p of mocks.ofType("gcp:container/nodePool:NodePool")) assert.equal(p.inputs.nodeConfig.serviceAccount, email);
});

test("the kubeconfig is a secret that authenticates with gke-gcloud-auth-plugin", async () => {
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32"] });
  await mocks.settle();
  assert.equal(await pulumi.isSecret(c.kubeconfig), true);
  const kc = JSON.parse(await valueOf(c.kubeconfig));
  assert.equal(kc.clusters[0].cluster.server, "https://203.0.113.10");
  assert.equal(kc.clusters[0].cluster["certificate-authority-data"], "Q0EtUEVN");
  assert.deepEqual(kc.users[0].user.exec, {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "gke-gcloud-auth-plugin",
    installHint: kc.users[0].user.exec.installHint,
    provideClusterInfo: true,
    interactiveMode: "Never",
  });
  assert.equal(kc["current-context"], kc.contexts[0].name);
  assert.equal(await valueOf(c.apiEndpoint), "https://203.0.113.10");
  assert.equal(await valueOf(c.clusterName), "ml-cluster-1234567");
  const provider = mocks.named("ml-k8s");
  assert.equal(provider.type, "pulumi:providers:kubernetes");
  const raw = provider.inputs.kubeconfig;
  // Secret inputs reach the mocks wrapped ({ <sig>, value }).
  assert.equal(JSON.parse(typeof raw === "string" ? raw : raw.value).users[0].user.exec.command, "gke-gcloud-auth-plugin");
});

test("publicEndpoint opens the API endpoint to the authorized CIDRs only", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["52.94.0.0/24", "35.190.0.7/32"] });
  await mocks.settle();
  const c = mocks.named("ml-cluster").inputs;
  assert.equal(c.privateClusterConfig.enablePrivateEndpoint, false);
  assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
  assert.deepEqual(c.masterAuthorizedNetworksConfig.cidrBlocks.map((b: { cidrBlock: string }) => b.cidrBlock), ["52.94.0.0/24", "35.190.0.7/32"]);
  assert.equal(c.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled, false);
});

test("a private endpoint keeps the private authorized ranges (a VPN or peered network)", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops", authorizedCidrs: ["0.0.0.0/0", "192.168.10.0/24"] });
  await mocks.settle();
  const c = mocks.named("ml-cluster").inputs;
  assert.equal(c.privateClusterConfig.enablePrivateEndpoint, true);
  assert.deepEqual(c.masterAuthorizedNetworksConfig.cidrBlocks.map((b: { cidrBlock: string }) => b.cidrBlock), ["192.168.10.0/24"]);
});

test("highAvailability makes the cluster regional over three zones, protected, with pool bounds as totals", async () => {
  new GcpCluster("prod", { region: "us-east1", namespace: "mlops", highAvailability: true, systemPool: { minNodes: 3, maxNodes: 6 } });
  await mocks.settle();
  const c = mocks.named("prod-cluster").inputs;
  assert.equal(c.location, "us-east1");
  assert.deepEqual(c.nodeLocations, ["us-east1-b", "us-east1-c", "us-east1-d"]);
  assert.equal(c.deletionProtection, true);
  const system = mocks.named("prod-system").inputs;
  assert.deepEqual(system.autoscaling, { totalMinNodeCount: 3, totalMaxNodeCount: 6, locationPolicy: "BALANCED" });
  assert.equal(system.initialNodeCount, 1);
  assert.deepEqual(mocks.named("prod-gpu-gpu").inputs.autoscaling, { totalMinNodeCount: 0, totalMaxNodeCount: 2, locationPolicy: "ANY" });
});

test("without a customer-managed key nothing is created in KMS and Secrets use GKE's default encryption", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops", encryption: { customerManagedKey: false } });
  await mocks.settle();
  assert.equal(mocks.ofType("gcp:kms/cryptoKey:CryptoKey").length, 0);
  assert.equal(mocks.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").length, 0);
  assert.equal(mocks.ofType("gcp:projects/serviceIdentity:ServiceIdentity").length, 0);
  assert.deepEqual(mocks.named("ml-cluster").inputs.databaseEncryption, { state: "DECRYPTED" });
  assert.equal(one("gcp:storage/bucket:Bucket").encryption, undefined);
  assert.equal(one("gcp:artifactregistry/repository:Repository").kmsKeyName, undefined);
  assert.ok(!mocks.invokes.some((i) => i.token === "gcp:storage/getProjectServiceAccount:getProjectServiceAccount"));
});

test("a network you bring is used as given and no network is created", async () => {
  new GcpCluster("ml", {
    region: "us-central1",
    namespace: "mlops",
    network: { existing: { network: "projects/p/global/networks/shared", subnetwork: "projects/p/regions/us-central1/subnetworks/gke", podsRangeName: "gke-pods", servicesRangeName: "gke-svc" } },
  });
  await mocks.settle();
  for (const t of ["gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/router:Router", "gcp:compute/routerNat:RouterNat"]) assert.equal(mocks.ofType(t).length, 0, t);
  const c = mocks.named("ml-cluster").inputs;
  assert.equal(c.network, "projects/p/global/networks/shared");
  assert.equal(c.subnetwork, "projects/p/regions/us-central1/subnetworks/gke");
  assert.deepEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "gke-pods", servicesSecondaryRangeName: "gke-svc" });
});

test("tags become labels on the cluster, nodes, bucket, registry and key", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops", tags: { "mlops-profile": "dev", "mlops-environment": "gcp-dev" } });
  await mocks.settle();
  const want = { "part-of": "pulumi-mlops", "mlops-profile": "dev", "mlops-environment": "gcp-dev" };
  assert.deepEqual(mocks.named("ml-cluster").inputs.resourceLabels, want);
  assert.deepEqual(mocks.named("ml-gpu-gpu").inputs.nodeConfig.resourceLabels, want);
  assert.deepEqual(one("gcp:storage/bucket:Bucket").labels, want);
  assert.deepEqual(one("gcp:artifactregistry/repository:Repository").labels, want);
  assert.deepEqual(one("gcp:kms/cryptoKey:CryptoKey").labels, want);
});
