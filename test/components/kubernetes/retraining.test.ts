import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, testClusterHandle, TEST_GPU } from "../../helpers/pulumi-mocks.ts";

const mocks = setupPulumiMocks();
const { Retraining } = await import("../../../components/kubernetes/retraining.ts");

beforeEach(() => mocks.reset());

async function deploy(args: Record<string, unknown> = {}, opts: { gpu?: boolean; pvc?: boolean } = {}) {
  const cluster = await testClusterHandle(opts);
  const r = new Retraining("rt", {
    cluster,
    namespace: "mlops",
    image: "registry.example.com/mlops/runtime:1",
    policy: { model: "cars-mpg", cooldownSeconds: 60 },
    monitoring: { namespace: "monitoring", serviceMonitorLabels: { release: "monitoring" } },
    ...args,
  });
  await mocks.settle();
  return r;
}

function jobTemplate() {
  return JSON.parse(mocks.named("rt-job-template").inputs.data["job-template.json"]);
}

test("the controller's Role is namespaced, limited to Jobs and pod logs, with no Secrets and no wildcards", async () => {
  await deploy();
  assert.equal(mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
  assert.equal(mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
  const role = mocks.named("rt-role").inputs;
  assert.equal(role.metadata.namespace, "mlops");
  for (const rule of role.rules) {
    for (const field of ["apiGroups", "resources", "verbs"]) assert.ok(!rule[field].includes("*"), `wildcard in ${field}`);
    assert.ok(!rule.resources.includes("secrets"));
  }
  assert.deepEqual(role.rules, [
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] },
  ]);
  const binding = mocks.named("rt-rolebinding").inputs;
  assert.equal(binding.roleRef.kind, "Role");
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "mlops-retraining", namespace: "mlops" }]);
});

test("two controller replicas (one leads through the registry lease), rolled one at a time, in controller mode with its policy mounted", async () => {
  await deploy();
  const d = mocks.named("rt-controller").inputs.spec;
  assert.equal(d.replicas, 2);
  assert.deepEqual(d.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  const spec = d.template.spec;
  assert.equal(spec.automountServiceAccountToken, true);
  const c = spec.containers[0];
  assert.deepEqual(c.args, ["controller", "--policy", "/etc/mlops/policy.json", "--registry", "s3://models-bucket"]);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.ok(c.resources.requests && c.resources.limits);
  assert.deepEqual(JSON.parse(mocks.named("rt-policy").inputs.data["policy.json"]), { model: "cars-mpg", cooldownSeconds: 60, executor: { kind: "kubernetes" } });
});

test("the training Job template has deadlines, backoff and TTL, and no GPU unless trainOnGpu", async () => {
  await deploy({}, { gpu: true });
  const job = jobTemplate();
  assert.equal(job.kind, "Job");
  assert.equal(job.spec.activeDeadlineSeconds, 3600);
  assert.equal(job.spec.backoffLimit, 1);
  assert.equal(job.spec.ttlSecondsAfterFinished, 86400);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.tolerations, undefined);
  assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], undefined);
  assert.deepEqual(pod.containers[0].resources, { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } });
});

test("a GPU training Job requests the GPU and tolerates every GPU taint", async () => {
  await deploy({ training: { trainOnGpu: true, activeDeadlineSeconds: 600 } }, { gpu: true });
  const job = jobTemplate();
  assert.equal(job.spec.activeDeadlineSeconds, 600);
  const pod = job.spec.template.spec;
  assert.equal(pod.containers[0].resources.limits["nvidia.com/gpu"], "1");
  assert.deepEqual(pod.nodeSelector, TEST_GPU.nodeSelector);
  assert.deepEqual(
    pod.tolerations.map((t: any) => [t.key, t.effect]).sort(),
    TEST_GPU.taints.map((t) => [t.key, t.effect]).sort(),
  );
  assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
});

test("with a PVC model store, controller and training Jobs share it: registry, work dir and the Job executor", async () => {
  const r = await deploy({}, { pvc: true });
  assert.equal(r.trainingExecutor, "kubernetes");
  const spec = mocks.named("rt-controller").inputs.spec.template.spec;
  assert.ok(spec.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === "models"));
  const c = spec.containers[0];
  assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/var/lib/mlops/registry"));
  assert.deepEqual(c.args, ["controller", "--policy", "/etc/mlops/policy.json", "--work-dir", "/var/lib/mlops/registry/controller-work", "--registry", "/var/lib/mlops/registry"]);
  assert.ok(c.env.some((e: any) => e.name === "MLOPS_JOB_TEMPLATE" && e.value === "/etc/mlops/job-template.json"));
  const job = jobTemplate().spec.template.spec;
  assert.ok(job.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === "models"));
  assert.ok(job.containers[0].volumeMounts.some((m: any) => m.mountPath === "/var/lib/mlops/registry"));
});

test("a bucket store trains in Kubernetes Jobs without any shared volume; a work volume is optional", async () => {
  const r = await deploy({ training: { trainOnGpu: true } }, { gpu: true });
  assert.equal(r.trainingExecutor, "kubernetes");
  const c = mocks.named("rt-controller").inputs.spec.template.spec.containers[0];
  assert.ok(c.env.some((e: any) => e.name === "MLOPS_JOB_TEMPLATE" && e.value === "/etc/mlops/job-template.json"));
  assert.ok(!c.args.includes("--work-dir"));
  const pod = jobTemplate().spec.template.spec;
  assert.deepEqual(pod.volumes.map((v: any) => v.name), ["tmp"], "the Job mounts nothing but its /tmp");
  assert.deepEqual(pod.containers[0].args, ["train", "--registry", "s3://models-bucket"]);
  assert.equal(pod.serviceAccountName, "mlops-retraining");
  assert.equal(pod.containers[0].resources.requests["nvidia.com/gpu"], "1");
  mocks.reset();
  await deploy({ workVolume: { claimName: "work" } });
  const w = mocks.named("rt-controller").inputs.spec.template.spec.containers[0];
  assert.ok(w.args.includes("--work-dir"));
  assert.ok(w.volumeMounts.some((m: any) => m.name === "work" && m.mountPath === "/var/lib/mlops/work"));
  assert.ok(jobTemplate().spec.template.spec.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === "work"));
});

test("executor.kind in the policy decides where training runs, and trainOnGpu with local is refused", async () => {
  const local = await deploy({ policy: { model: "cars-mpg", executor: { kind: "local", timeoutSeconds: 60 } } });
  assert.equal(local.trainingExecutor, "local");
  assert.deepEqual(JSON.parse(mocks.named("rt-policy").inputs.data["policy.json"]).executor, { kind: "local", timeoutSeconds: 60 });
  mocks.reset();
  await assert.rejects(deploy({ policy: { model: "cars-mpg", executor: { kind: "local" } }, training: { trainOnGpu: true } }, { gpu: true }), /policy\.executor\.kind: trainOnGpu needs executor\.kind "kubernetes"/);
});

test("a schedule adds a CronJob running the controller once; none without", async () => {
  await deploy();
  assert.equal(mocks.ofType("kubernetes:batch/v1:CronJob").length, 0);
  mocks.reset();
  await deploy({ schedule: "0 3 * * 0" });
  const cron = mocks.named("rt-schedule").inputs.spec;
  assert.equal(cron.schedule, "0 3 * * 0");
  assert.equal(cron.concurrencyPolicy, "Forbid");
  const c = cron.jobTemplate.spec.template.spec.containers[0];
  assert.ok(c.args.includes("--once"));
  assert.equal(c.securityContext.runAsNonRoot, true);
});

test("drift alerts are routed to the controller's webhook, which only the monitoring namespace may reach", async () => {
  await deploy();
  const amc = mocks.named("rt-alert-route").inputs;
  assert.equal(amc.apiVersion, "monitoring.coreos.com/v1alpha1");
  assert.equal(amc.kind, "AlertmanagerConfig");
  // Every rule labelled mlops_trigger=retrain: drift and both live-quality rules (MlopsLiveErrorRise was missing).
  assert.deepEqual(amc.spec.route.matchers, [{ name: "alertname", matchType: "=~", value: "MlopsDatasetDriftSustained|MlopsLiveQualityDrop|MlopsLiveErrorRise" }]);
  assert.equal(amc.spec.receivers[0].webhookConfigs[0].url, "http://rt-webhook.mlops.svc.cluster.local:8080/alerts");
  const svc = mocks.named("rt-webhook").inputs.spec;
  assert.deepEqual(svc.ports.map((p: any) => p.port), [8080]);
  const np = mocks.named("rt-netpol").inputs.spec;
  assert.deepEqual(np.podSelector.matchLabels, svc.selector);
  assert.deepEqual(np.ingress, [
    { from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["monitoring"] }] } }], ports: [{ protocol: "TCP", port: 8080 }] },
  ]);
});

test("invalid args report every bad path at once", async () => {
  const cluster = await testClusterHandle();
  assert.throws(
    () => new Retraining("bad", { cluster, namespace: "mlops", image: "img", policy: {} as never, schedule: "weekly", training: { trainOnGpu: true, backoffLimit: -1 } }),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const paths = (e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, ["policy.model", "schedule", "training.backoffLimit", "training.trainOnGpu"]);
      assert.match((e as Error).message, /policy\.model/);
      return true;
    },
  );
});
