import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../../helpers/pulumi-mocks.ts";
import { setupGcpMocks, TEST_PROJECT, TEST_RUNNER_EMAIL } from "./gcp-mocks.ts";

// Issue 10 on GCP: what a first `pulumi up` in a fresh project needs that a preview cannot see —
// APIs off, the Workload Identity pool missing until a cluster exists, an image push in the same
// run as the repository, DCGM on Container-Optimized OS, GPU quotas of zero.

const mocks = setupGcpMocks();
const { GcpCluster, GCP_CLUSTER_APIS, gkeGpuQuotaMessage } = await import("../../../components/gcp/index.ts");
const { principalOfEmail } = await import("../../../components/gcp/artifact-registry.ts");
const { waitForArtifactRegistryPush } = await import("../../../components/gcp/registry-push-readiness.ts");
const { GpuEnablement } = await import("../../../components/kubernetes/gpu-enablement.ts");
const { RuntimeImage } = await import("../../../components/kubernetes/runtime-image.ts");

beforeEach(() => mocks.reset());

/** A recorded input with Pulumi's secret envelopes (`{ <sig>: <secret sig>, value }`) opened. */
function unsecret(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unsecret);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unsecret(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unsecret(x)]));
}

/** Every resource `name` waits for, directly or through the resources it waits for. */
function waitsFor(name: string, type?: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string, t?: string) => {
    let deps: string[];
    try {
      deps = mocks.dependenciesOf(n, t);
    } catch {
      return; // a component or a name used by several types: its own dependencies are counted where it is custom
    }
    for (const d of deps) {
      if (seen.has(d)) continue;
      seen.add(d);
      visit(d);
    }
  };
  visit(name, type);
  return seen;
}

test("the Workload Identity bindings wait for the cluster: the pool <project>.svc.id.goog exists only once a WI cluster does", async () => {
  // "Identity Pool does not exist" until a cluster with workloadIdentityConfig exists in the project
  // (issue 10 item 2); the binding must be created after it.
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  await mocks.settle();
  const bindings = mocks.ofType("gcp:serviceaccount/iAMMember:IAMMember");
  assert.equal(bindings.length, 2);
  for (const b of bindings) {
    assert.match(b.inputs.member, new RegExp(`^serviceAccount:${TEST_PROJECT.id}\\.svc\\.id\\.goog\\[mlops/`));
    assert.ok(mocks.dependenciesOf(b.name, "gcp:serviceaccount/iAMMember:IAMMember").includes("ml-cluster"), `${b.name} waits for ml-cluster`);
  }
  assert.deepEqual(mocks.named("ml-cluster").inputs.workloadIdentityConfig, { workloadPool: `${TEST_PROJECT.id}.svc.id.goog` });
});

test("the Google APIs are enabled first, never disabled on destroy, and every GCP resource waits for them", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  await mocks.settle();
  const services = mocks.ofType("gcp:projects/service:Service");
  assert.deepEqual(services.map((s) => s.inputs.service).sort(), Object.values(GCP_CLUSTER_APIS).sort());
  for (const s of services) {
    assert.equal(s.inputs.disableOnDestroy, false, s.name);
    assert.equal(s.inputs.disableDependentServices, false, s.name);
    assert.equal(s.inputs.project, TEST_PROJECT.id);
  }
  const serviceNames = services.map((s) => s.name);
  const gcpResources = mocks.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== "gcp:projects/service:Service");
  assert.ok(gcpResources.length >= 20);
  for (const r of gcpResources) {
    const deps = waitsFor(r.name, r.type);
    assert.deepEqual(serviceNames.filter((s) => !deps.has(s)), [], `${r.type} ${r.name} waits for every API`);
  }
  // The GKE service agent the key is granted to is created by enabling the GKE API.
  assert.ok(mocks.dependenciesOf("ml-key-gke").includes("ml-container"));
});

test("without a key or scanning, Cloud KMS and Container Scanning stay off", async () => {
  new GcpCluster("ml", { region: "us-central1", namespace: "mlops", encryption: { customerManagedKey: false }, registry: { scanning: false } });
  await mocks.settle();
  const enabled = mocks.ofType("gcp:projects/service:Service").map((s) => s.inputs.service);
  assert.ok(!enabled.includes("cloudkms.googleapis.com"));
  assert.ok(!enabled.includes("containerscanning.googleapis.com"));
  assert.ok(enabled.includes("container.googleapis.com"));
});

test("the runtime image push has credentials, and permission, in the same pulumi up that creates the repository", async () => {
  // Without registryAuth docker-build falls back to the operator's docker config, which has no login
  // for <region>-docker.pkg.dev (issue 10 item 3). Artifact Registry takes `oauth2accesstoken` + an OAuth
  // access token; the identity running pulumi up gets roles/artifactregistry.writer on the repository.
  const c = new GcpCluster("ml", { region: "europe-west4", namespace: "mlops", gpuPools: [] });
  new RuntimeImage("img", { build: { registryUrl: c.handle.registryUrl!, registryAuth: c.handle.registryAuth } });
  await mocks.settle();
  const image = mocks.named("img-image", "docker-build:index:Image").inputs;
  assert.deepEqual(unsecret(image.registries), [{ address: "europe-west4-docker.pkg.dev", username: "oauth2accesstoken", password: "ya29.test-token" }]);
  assert.match(image.tags[0], new RegExp(`^europe-west4-docker\\.pkg\\.dev/${TEST_PROJECT.id}/[a-z0-9-]+/mlops-runtime:[0-9a-f]{16}$`));
  assert.equal(await pulumi.isSecret(pulumi.output(c.handle.registryAuth!.password)), true);

  const push = mocks.named("ml-runner-push").inputs;
  const repo = mocks.named("ml-images").inputs;
  assert.deepEqual(push, { project: TEST_PROJECT.id, location: "europe-west4", repository: repo.repositoryId, role: "roles/artifactregistry.writer", member: `user:${TEST_RUNNER_EMAIL}` });
  const deps = waitsFor("img-image", "docker-build:index:Image");
  assert.ok(deps.has("ml-images") && deps.has("ml-runner-push"), `the push waits for the repository and the grant: ${[...deps].join(", ")}`);
});

test("a service-account runner is granted as serviceAccount:, and grantRunnerPush: false grants nothing", async () => {
  assert.equal(principalOfEmail("ci@proj.iam.gserviceaccount.com"), "serviceAccount:ci@proj.iam.gserviceaccount.com");
  assert.equal(principalOfEmail("dev@example.com"), "user:dev@example.com");
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "mlops", gpuPools: [], registry: { grantRunnerPush: false } });
  await mocks.settle();
  assert.deepEqual(mocks.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((m) => m.inputs.role), ["roles/artifactregistry.reader"]);
  assert.match(await valueOf(pulumi.output(c.handle.registryUrl!)), /^us-central1-docker\.pkg\.dev\//);
});

test("the DCGM exporter on GKE's Container-Optimized OS mounts the GKE-installed driver and finds libnvidia-ml", async () => {
  // COS has no NVIDIA container runtime: GKE's device plugin hands /home/kubernetes/bin/nvidia only to
  // pods granted a GPU, so the exporter (which requests none) crashed without NVML (issue 10 item 9).
  // GKE's own manifest (GoogleCloudPlatform/prometheus-engine examples/nvidia-dcgm/exporter.yaml) mounts
  // the directory at /usr/local/nvidia, sets LD_LIBRARY_PATH to its lib64, runs privileged, and maps
  // GPUs to pods by device name.
  const c = new GcpCluster("ml", { region: "us-central1", namespace: "mlops" });
  assert.equal(c.handle.gpu?.driverHostPath, "/home/kubernetes/bin/nvidia");
  new GpuEnablement("gpu", { cluster: c.handle });
  await mocks.settle();
  const dcgm = mocks.ofType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "dcgm-exporter");
  assert.ok(dcgm, "DCGM exporter installed");
  const v = dcgm.inputs.values;
  assert.deepEqual(v.extraHostVolumes, [{ name: "nvidia-driver", hostPath: "/home/kubernetes/bin/nvidia" }]);
  assert.deepEqual(v.extraVolumeMounts, [{ name: "nvidia-driver", mountPath: "/usr/local/nvidia", readOnly: true }]);
  assert.deepEqual(v.extraEnv, [
    { name: "LD_LIBRARY_PATH", value: "/usr/local/nvidia/lib64" },
    { name: "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE", value: "device-name" },
  ]);
  assert.equal(v.securityContext.privileged, true);
  assert.deepEqual(v.arguments, ["-f", "/etc/dcgm-exporter/dcp-metrics-included.csv"]);
  // GKE runs its own device plugin; none is installed.
  assert.equal(mocks.ofType("kubernetes:helm.sh/v4:Chart").some((r) => r.inputs.chart === "nvidia-device-plugin"), false);
});

test("a cluster with GPU pools logs, once, GPUS_ALL_REGIONS and each pool's regional accelerator quota; one without logs nothing", async () => {
  const logged: { message: string; resource?: pulumi.Resource }[] = [];
  const info = pulumi.log.info;
  (pulumi.log as { info: typeof pulumi.log.info }).info = async (message: string, resource?: pulumi.Resource) => {
    logged.push({ message, resource });
  };
  try {
    const c = new GcpCluster("g", {
      region: "us-central1",
      namespace: "mlops",
      gpuPools: [
        { name: "t4", maxNodes: 3, spot: true },
        { name: "l4", machineType: "g2-standard-24", accelerator: "nvidia-l4", acceleratorCount: 2, maxNodes: 2 },
      ],
    });
    await mocks.settle();
    const quota = logged.filter((l) => /GPUS_ALL_REGIONS/.test(l.message));
    assert.equal(quota.length, 1);
    assert.equal(quota[0]?.resource, c);
    const msg = quota[0]?.message ?? "";
    assert.match(msg, /GPUS_ALL_REGIONS \(global\) needs 7/);
    assert.match(msg, /PREEMPTIBLE_NVIDIA_T4_GPUS \(us-central1\) needs 3 for t4 \(3 x nvidia-tesla-t4, spot\)/);
    assert.match(msg, /NVIDIA_L4_GPUS \(us-central1\) needs 4 for l4 \(4 x nvidia-l4\)/);
    assert.match(msg, /gcloud compute regions describe us-central1 --flatten=quotas --filter=quotas\.metric=NVIDIA_L4_GPUS/);

    logged.length = 0;
    new GcpCluster("n", { region: "us-central1", namespace: "mlops", gpuPools: [] });
    await mocks.settle();
    assert.deepEqual(logged.filter((l) => /GPUS_ALL_REGIONS/.test(l.message)), []);
  } finally {
    (pulumi.log as { info: typeof pulumi.log.info }).info = info;
  }
});

test("GPU quota needs count zones of a zonal cluster's pool and totals of a regional one", () => {
  const pool = { name: "t4", accelerator: "nvidia-tesla-t4", acceleratorCount: 2, maxNodes: 3, zones: ["us-east1-b", "us-east1-c"], spot: false };
  assert.match(gkeGpuQuotaMessage([pool], "us-east1", false, "my-proj") ?? "", /GPUS_ALL_REGIONS \(global\) needs 12: check it with `gcloud compute project-info describe --project my-proj/);
  assert.match(gkeGpuQuotaMessage([pool], "us-east1", true) ?? "", /NVIDIA_T4_GPUS \(us-east1\) needs 6 for t4/);
  assert.equal(gkeGpuQuotaMessage([], "us-east1", false), undefined);
});

test("the RFC 5737 placeholder the shipped stacks carry stops pulumi up before any GCP resource exists", (t) => {
  process.env.PULUMI_MLOPS_SYNTH = "0"; // a real `pulumi up` (the mocks run as an update)
  t.after(() => void (process.env.PULUMI_MLOPS_SYNTH = "1"));
  // Same rule as AWS (components/network/endpoint-access.ts refusePlaceholderCidrs): a cluster whose
  // API admits only a documentation range cannot be finished from anywhere.
  assert.throws(
    () => new GcpCluster("ph", { region: "us-central1", namespace: "mlops", publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32", "203.0.113.0/24"] }),
    (e: unknown) => e instanceof pulumi.RunError && /gcp\.authorizedCidrs holds the documentation range 203\.0\.113\.0\/24/.test((e as Error).message),
  );
  assert.deepEqual(mocks.resources.filter((r) => r.type.startsWith("gcp:")), []);
});

/** A registry that denies the upload `deny` times (403, as before the grant propagates), then accepts it. */
async function fakeArtifactRegistry(deny: number) {
  const seen: { method: string; url: string; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    if (req.method === "POST" && seen.filter((s) => s.method === "POST").length <= deny) {
      res.writeHead(403, { "content-type": "application/json" }).end('{"errors":[{"code":"DENIED","message":"Permission \\"artifactregistry.repositories.uploadArtifacts\\" denied"}]}');
    } else if (req.method === "POST") {
      res.writeHead(202, { location: `${req.url}4f1c-upload`, "docker-upload-uuid": "4f1c-upload" }).end();
    } else res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { seen, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

test("the image push waits until Artifact Registry honours the runner's writer grant (IAM propagation), then cancels its probe upload", async () => {
  const registry = await fakeArtifactRegistry(2);
  try {
    await waitForArtifactRegistryPush({ registryUrl: `europe-west4-docker.pkg.dev/${TEST_PROJECT.id}/ml-dev/`, image: "mlops-runtime", accessToken: "ya29.t", endpoint: registry.endpoint, intervalMs: 1 });
    const uploads = `/v2/${TEST_PROJECT.id}/ml-dev/mlops-runtime/blobs/uploads/`;
    assert.deepEqual(
      registry.seen.map((s) => `${s.method} ${s.url}`),
      [`POST ${uploads}`, `POST ${uploads}`, `POST ${uploads}`, `DELETE ${uploads}4f1c-upload`],
    );
    assert.ok(registry.seen.every((s) => s.authorization === "Bearer ya29.t"));
  } finally {
    await registry.close();
  }
});

test("a writer grant that never arrives fails the push with the repository, the last answer and the command to check it", async () => {
  const registry = await fakeArtifactRegistry(Infinity);
  let clock = 0;
  try {
    await assert.rejects(
      waitForArtifactRegistryPush({ registryUrl: "us-central1-docker.pkg.dev/p-1/ml-dev", image: "mlops-runtime", accessToken: "t", endpoint: registry.endpoint, timeoutMs: 50_000, intervalMs: 10_000, now: () => clock, sleep: async (ms) => void (clock += ms) }),
      (e: Error) =>
        e.name === "ArtifactRegistryPushError" &&
        /cannot push to us-central1-docker\.pkg\.dev\/p-1\/ml-dev yet: POST \/v2\/p-1\/ml-dev\/mlops-runtime\/blobs\/uploads\/ answered 403: .*uploadArtifacts.*denied/.test(e.message) &&
        e.message.includes("gcloud artifacts repositories get-iam-policy ml-dev --project p-1 --location us-central1"),
    );
    assert.equal(registry.seen.length, 6, "tried at 0, 10, 20, 30, 40 and 50 s");
  } finally {
    await registry.close();
  }
  // Nothing listening: the connection error is the last answer, and a malformed URL is refused at once.
  await assert.rejects(waitForArtifactRegistryPush({ registryUrl: "us-central1-docker.pkg.dev/p-1/r", image: "i", accessToken: "t", endpoint: registry.endpoint, timeoutMs: 0 }), /cannot push .*fetch failed/);
  await assert.rejects(waitForArtifactRegistryPush({ registryUrl: "us-central1-docker.pkg.dev", image: "i", accessToken: "t" }), /is not <location>-docker\.pkg\.dev\/<project>\/<repository>/);
});

test("on pulumi up the handle's registryUrl, and so the image push, waits for the probe with the runner's token; previews and grantRunnerPush: false do not probe", async () => {
  const calls: { url: string; authorization: string }[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), authorization: new Headers(init?.headers).get("authorization") ?? "" });
    return new Response(null, { status: init?.method === "POST" ? 202 : 204 });
  }) as typeof fetch;
  process.env.PULUMI_MLOPS_SYNTH = "0";
  try {
    const c = new GcpCluster("ml", { region: "europe-west4", namespace: "mlops", gpuPools: [] });
    new RuntimeImage("img", { build: { registryUrl: c.handle.registryUrl!, registryAuth: c.handle.registryAuth } });
    await mocks.settle();
    const repo = mocks.named("ml-images").inputs;
    assert.deepEqual(calls, [{ url: `https://europe-west4-docker.pkg.dev/v2/${TEST_PROJECT.id}/${repo.repositoryId}/mlops-runtime/blobs/uploads/`, authorization: "Bearer ya29.test-token" }]);
    assert.equal(await pulumi.isSecret(pulumi.output(c.handle.registryUrl!)), false, "the URL is not made secret by the token it was probed with");
    mocks.reset();
    calls.length = 0;
    new GcpCluster("own", { region: "europe-west4", namespace: "mlops", gpuPools: [], registry: { grantRunnerPush: false } });
    await mocks.settle();
    assert.deepEqual(calls, [], "no grant of ours to wait for");
  } finally {
    globalThis.fetch = realFetch;
    process.env.PULUMI_MLOPS_SYNTH = "1";
  }
});
