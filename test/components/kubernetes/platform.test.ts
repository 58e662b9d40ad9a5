import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, testClusterHandle, TEST_GPU, valueOf, type RecordedResource } from "../../helpers/pulumi-mocks.ts";

const mocks = setupPulumiMocks();
const { MlopsPlatformOnCluster } = await import("../../../components/kubernetes/mlops-platform-on-cluster.ts");
const { platformConfig } = await import("../../../components/platform/platform-config.ts");

beforeEach(() => mocks.reset());

const policy = { model: "cars-mpg" };

/** Every pod spec among the recorded resources: Deployments, CronJobs and the training Job template. */
function podSpecs(): { owner: string; spec: any }[] {
  const out: { owner: string; spec: any }[] = [];
  for (const r of mocks.resources as RecordedResource[]) {
    if (r.type === "kubernetes:apps/v1:Deployment") out.push({ owner: r.name, spec: r.inputs.spec.template.spec });
    if (r.type === "kubernetes:batch/v1:CronJob") out.push({ owner: r.name, spec: r.inputs.spec.jobTemplate.spec.template.spec });
    if (r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.data?.["job-template.json"]) {
      out.push({ owner: r.name, spec: JSON.parse(r.inputs.data["job-template.json"]).spec.template.spec });
    }
  }
  return out;
}

test("composes a restricted namespace, monitoring, serving and retraining, without GPU enablement on a CPU cluster", async () => {
  const cluster = await testClusterHandle();
  const p = new MlopsPlatformOnCluster("p", { cluster, image: { ref: "registry.example.com/mlops/runtime:1" }, retraining: { policy, schedule: "0 3 * * 0" } });
  await mocks.settle();
  const types = new Set(mocks.resources.map((r) => r.type));
  for (const t of ["mlops:kubernetes:Monitoring", "mlops:kubernetes:ModelServing", "mlops:kubernetes:Retraining", "mlops:kubernetes:RuntimeImage"]) assert.ok(types.has(t), t);
  assert.ok(!types.has("mlops:kubernetes:GpuEnablement"));
  const ns = mocks.named("p-namespace").inputs.metadata;
  assert.equal(ns.name, "mlops");
  assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
  assert.equal(await valueOf(p.endpoint), "http://p-serving.mlops.svc.cluster.local:8501");
  assert.equal(await valueOf(p.namespace), "mlops");
  assert.match((await valueOf(p.grafanaUrl)) ?? "", /^http:\/\//);
  assert.equal(mocks.named("p-serving-deployment").inputs.spec.template.spec.containers[0].image, "registry.example.com/mlops/runtime:1");
});

test("ServiceMonitors and the alert route carry the monitoring release label", async () => {
  const cluster = await testClusterHandle();
  new MlopsPlatformOnCluster("p", { cluster, image: { ref: "img:1" }, retraining: { policy } });
  await mocks.settle();
  const release = mocks.named("p-serving-servicemonitor").inputs.metadata.labels.release;
  assert.ok(typeof release === "string" && release.length > 0);
  assert.equal(mocks.named("p-retraining-alert-route").inputs.metadata.labels.release, release);
  assert.ok(mocks.named("p-serving-netpol").inputs.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values.includes("monitoring"));
});

test("every runtime pod has requests, limits and a restrictive security context", async () => {
  const cluster = await testClusterHandle({ gpu: true });
  new MlopsPlatformOnCluster("p", { cluster, image: { ref: "img:1" }, serving: { gpus: 1 }, retraining: { policy, schedule: "@weekly" } });
  await mocks.settle();
  const pods = podSpecs();
  assert.equal(pods.length, 4);
  for (const { owner, spec } of pods) {
    assert.equal(spec.securityContext.runAsNonRoot, true, owner);
    for (const c of spec.containers) {
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory, owner);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, owner);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, owner);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], owner);
    }
  }
});

test("GPU pods tolerate every GPU taint and select GPU nodes; CPU pods do neither; GPU enablement is deployed", async () => {
  const cluster = await testClusterHandle({ gpu: true });
  new MlopsPlatformOnCluster("p", { cluster, image: { ref: "img:1" }, serving: { gpus: 1 }, retraining: { policy } });
  await mocks.settle();
  assert.equal(mocks.ofType("mlops:kubernetes:GpuEnablement").length, 1);
  for (const { owner, spec } of podSpecs()) {
    const gpus = Number(spec.containers[0].resources.limits["nvidia.com/gpu"] ?? 0);
    if (gpus > 0) {
      assert.deepEqual(spec.nodeSelector, TEST_GPU.nodeSelector, owner);
      for (const taint of TEST_GPU.taints) assert.ok(spec.tolerations.some((t: any) => t.key === taint.key && t.effect === taint.effect), `${owner}: ${taint.key}`);
    } else {
      assert.equal(spec.tolerations, undefined, owner);
      assert.equal(spec.nodeSelector, undefined, owner);
    }
  }
  assert.equal(mocks.named("p-serving-deployment").inputs.spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"], "1");
});

test("invalid platform args report every bad path at once", async () => {
  const cluster = { ...(await testClusterHandle()), registryUrl: undefined };
  assert.throws(
    () =>
      new MlopsPlatformOnCluster("bad", {
        cluster,
        namespace: "Not_OK",
        serving: { gpus: 1, maxReplicas: 0 },
        retraining: { policy: { model: "" }, training: { trainOnGpu: true } },
      }),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const paths = (e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, ["image.ref", "namespace", "retraining.policy.model", "retraining.training.trainOnGpu", "serving.gpus", "serving.maxReplicas"]);
      return true;
    },
  );
});

test("stack config: the existing section has defaults and its problems are reported with paths", () => {
  const ok = platformConfig.parse({ cloud: "existing", existing: { registryUrl: "localhost:5001" } });
  assert.deepEqual(ok.existing?.modelStore, { size: "20Gi", accessMode: "ReadWriteOnce", mountPath: "/var/lib/mlops/registry" });
  assert.equal(ok.serving.minReplicas, 1, "the dev profile's default");
  assert.equal(ok.retraining, undefined);
  const bad = platformConfig.safeParse({ cloud: "existing", existing: { modelStore: { size: "big" } }, serving: { gpus: 1 }, retraining: { schedule: "sometimes" } });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join(".")).sort();
  assert.deepEqual(paths, ["existing.modelStore.size", "image.ref", "retraining.policy", "retraining.schedule", "serving.gpus"]);
  const aws = platformConfig.safeParse({ cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["52.94.0.7/32"] }, existing: {} });
  assert.deepEqual(aws.error?.issues.map((i) => i.path.join(".")), ["existing"]);
});

async function validateObject(apiVersion: string, kind: string, object: Record<string, unknown>): Promise<void> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const specifier = group === "monitoring.coreos.com" ? `@kubernetes-models/prometheus-operator/${group}/${version}` : group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  const mod = (await import(specifier)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Kind = mod[kind];
  assert.ok(Kind, `no schema for ${apiVersion} ${kind}`);
  new Kind({ ...object, apiVersion, kind }).validate();
}

test("every Kubernetes object of serving, retraining and the cluster adapter validates against the OpenAPI schema", async () => {
  const cluster = await testClusterHandle({ gpu: true, pvc: true });
  new MlopsPlatformOnCluster("p", {
    cluster,
    image: { ref: "img:1" },
    serving: { gpus: 1, ingress: { className: "nginx", host: "m.example.com", tlsSecretName: "tls", controllerNamespace: "ingress-nginx" } },
    retraining: { policy, schedule: "0 3 * * 0", training: { trainOnGpu: true } },
  });
  const { ExistingCluster } = await import("../../../components/kubernetes/existing-cluster.ts");
  new ExistingCluster("c", { namespace: "mlops", modelStore: { storageClass: "standard" }, gpu: { nodeSelector: { gpu: "true" } } });
  await mocks.settle();
  const ours = mocks.resources.filter((r) => /^(p-(serving|retraining|namespace)|c-)/.test(r.name) && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"));
  assert.ok(ours.length >= 18, `only ${ours.length} objects`);
  for (const r of ours) {
    const [, gv, kind] = r.type.split(":") as [string, string, string];
    const apiVersion = gv.startsWith("core/") ? gv.slice("core/".length) : gv;
    await assert.doesNotReject(validateObject(apiVersion, kind, r.inputs), `${r.name} (${r.type})`);
  }
  const job = JSON.parse(mocks.named("p-retraining-job-template").inputs.data["job-template.json"]);
  await validateObject(job.apiVersion, job.kind, job);
});

test("a retraining policy the controller would reject fails at preview, naming its path", () => {
  const bad = platformConfig.safeParse({ cloud: "existing", image: { ref: "r/i:1" }, retraining: { policy: { model: "m", trigger: { quality: {}, persistChecks: 0 }, gate: { metric: "f1" } } } });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).sort();
  assert.deepEqual(paths.map((p) => p.split(":")[0]), ["retraining.policy.gate.metric", "retraining.policy.trigger.persistChecks", "retraining.policy.trigger"]);
  assert.match(paths[2]!, /Unrecognized key: "quality"/);
});
