import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, testClusterHandle, TEST_GPU, valueOf } from "../../helpers/pulumi-mocks.ts";

const mocks = setupPulumiMocks();
const { ModelServing } = await import("../../../components/kubernetes/model-serving.ts");

beforeEach(() => mocks.reset());

async function deploy(args: Record<string, unknown> = {}, gpu = false) {
  const cluster = await testClusterHandle({ gpu });
  const serving = new ModelServing("srv", {
    cluster,
    namespace: "mlops",
    image: "registry.example.com/mlops/runtime:1",
    monitoring: { namespace: "monitoring", serviceMonitorLabels: { release: "monitoring" } },
    ...args,
  });
  await mocks.settle();
  return serving;
}

function podSpec() {
  return mocks.named("srv-deployment").inputs.spec.template.spec;
}

test("every container runs non-root with a read-only root, no escalation, all capabilities dropped and seccomp", async () => {
  await deploy();
  const spec = podSpec();
  assert.equal(spec.automountServiceAccountToken, false);
  assert.deepEqual(spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
  assert.equal(spec.securityContext.runAsNonRoot, true);
  for (const c of spec.containers) {
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.runAsUser, 10001);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    assert.deepEqual(c.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/tmp"));
    assert.deepEqual(c.resources, { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
  }
  assert.ok(spec.volumes.some((v: { name: string; emptyDir?: unknown }) => v.name === "tmp" && v.emptyDir));
});

test("runs the runtime in serve mode with probes on the health endpoints and the bucket as registry", async () => {
  await deploy();
  const c = podSpec().containers[0];
  assert.deepEqual(c.args, ["serve", "--host", "0.0.0.0", "--port", "8501", "--grpc-port", "8500", "--inference-grpc-port", "8001", "--registry", "s3://models-bucket"]);
  assert.equal(c.startupProbe.httpGet.path, "/v2/health/ready");
  assert.equal(c.readinessProbe.httpGet.path, "/v2/health/ready");
  assert.equal(c.livenessProbe.httpGet.path, "/v2/health/live");
});

test("the Service's gRPC ports target named container ports the server listens on, as h2c", async () => {
  await deploy();
  const c = podSpec().containers[0];
  assert.deepEqual(c.ports, [
    { name: "http", containerPort: 8501, protocol: "TCP" },
    { name: "grpc", containerPort: 8500, protocol: "TCP" },
    { name: "grpc-inference", containerPort: 8001, protocol: "TCP" },
  ]);
  const ports = mocks.named("srv-service").inputs.spec.ports;
  for (const p of ports) assert.ok(c.ports.some((cp: { name: string; containerPort: number }) => cp.name === p.targetPort && cp.containerPort === p.port), `${p.name} targets ${p.targetPort}`);
  assert.deepEqual(ports.filter((p: { appProtocol?: string }) => p.appProtocol === "kubernetes.io/h2c").map((p: { name: string }) => p.name), ["grpc", "grpc-inference"]);
  // The server reads the same ports from its flags.
  assert.equal(c.args[c.args.indexOf("--grpc-port") + 1], "8500");
  assert.equal(c.args[c.args.indexOf("--inference-grpc-port") + 1], "8001");
});

test("setting one resource field keeps the other defaults", async () => {
  await deploy({ resources: { memoryLimit: "4Gi" } });
  assert.deepEqual(podSpec().containers[0].resources, { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "4Gi" } });
});

test("a CPU-only server has no GPU resource, tolerations or node selector", async () => {
  await deploy({}, true);
  const spec = podSpec();
  assert.equal(spec.tolerations, undefined);
  assert.equal(spec.nodeSelector, undefined);
  assert.equal(spec.containers[0].resources.limits["nvidia.com/gpu"], undefined);
});

test("a GPU server requests the GPU and tolerates every taint of the GPU nodes", async () => {
  await deploy({ gpus: 1 }, true);
  const spec = podSpec();
  assert.equal(spec.containers[0].resources.limits["nvidia.com/gpu"], "1");
  assert.deepEqual(spec.nodeSelector, TEST_GPU.nodeSelector);
  for (const taint of TEST_GPU.taints) {
    assert.ok(
      spec.tolerations.some((t: any) => t.key === taint.key && t.effect === taint.effect && (t.operator === "Exists" || t.value === (taint as { value?: string }).value)),
      `no toleration for ${taint.key}`,
    );
  }
  assert.equal(spec.tolerations.length, TEST_GPU.taints.length);
});

test("the Service is covered by a NetworkPolicy admitting only allowed namespaces and monitoring on REST 8501 and gRPC 8500/8001", async () => {
  await deploy({ allowedNamespaces: ["apps"] });
  const svc = mocks.named("srv-service").inputs;
  assert.deepEqual(svc.spec.ports.map((p: { port: number }) => p.port), [8501, 8500, 8001]);
  const np = mocks.named("srv-netpol").inputs;
  assert.deepEqual(np.spec.podSelector.matchLabels, svc.spec.selector);
  assert.deepEqual(np.spec.policyTypes, ["Ingress"]);
  assert.equal(np.spec.ingress.length, 1);
  const rule = np.spec.ingress[0];
  assert.deepEqual(rule.ports, [8501, 8500, 8001].map((port) => ({ protocol: "TCP", port })));
  const expr = rule.from[0].namespaceSelector.matchExpressions[0];
  assert.equal(expr.key, "kubernetes.io/metadata.name");
  assert.deepEqual([...expr.values].sort(), ["apps", "mlops", "monitoring"]);
});

test("an HPA on CPU, and on requests per second with the Prometheus adapter", async () => {
  await deploy();
  let hpa = mocks.named("srv-hpa").inputs.spec;
  assert.equal(hpa.minReplicas, 2);
  assert.equal(hpa.maxReplicas, 5);
  assert.deepEqual(hpa.metrics.map((m: { type: string }) => m.type), ["Resource"]);
  assert.equal(hpa.metrics[0].resource.target.averageUtilization, 70);
  mocks.reset();
  await deploy({ prometheusAdapter: true });
  hpa = mocks.named("srv-hpa").inputs.spec;
  assert.equal(hpa.metrics[1].pods.metric.name, "mlops_requests_per_second");
});

test("a PodDisruptionBudget keeps one server up when there are several, none for a single one", async () => {
  await deploy();
  assert.equal(mocks.named("srv-pdb").inputs.spec.minAvailable, 1);
  mocks.reset();
  await deploy({ minReplicas: 1 });
  assert.equal(mocks.ofType("kubernetes:policy/v1:PodDisruptionBudget").length, 0);
});

test("the ServiceMonitor carries the monitoring release label and scrapes /metrics", async () => {
  await deploy();
  const sm = mocks.named("srv-servicemonitor").inputs;
  assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(sm.kind, "ServiceMonitor");
  assert.equal(sm.metadata.labels.release, "monitoring");
  assert.equal(sm.spec.endpoints[0].path, "/metrics");
  assert.deepEqual(sm.spec.selector.matchLabels, mocks.named("srv-service").inputs.spec.selector);
});

test("the ServiceAccount carries the cluster's workload identity", async () => {
  await deploy();
  const sa = mocks.named("srv-sa").inputs;
  assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123:role/mlops");
  assert.equal(sa.metadata.labels["azure.workload.identity/use"], "true");
});

test("the ServiceAccount has the fixed name the cloud identity trusts; pods carry the identity's pod labels and env", async () => {
  await deploy();
  assert.equal(mocks.named("srv-sa").inputs.metadata.name, "mlops-serving");
  const template = mocks.named("srv-deployment").inputs.spec.template;
  assert.equal(template.spec.serviceAccountName, "mlops-serving");
  assert.equal(template.metadata.labels["azure.workload.identity/use"], "true");
  assert.deepEqual(template.spec.containers[0].env.find((e: { name: string }) => e.name === "AWS_REGION"), { name: "AWS_REGION", value: "us-east-1" });
});

test("no Ingress unless asked; with one, TLS and the controller namespace admitted", async () => {
  await deploy();
  assert.equal(mocks.ofType("kubernetes:networking.k8s.io/v1:Ingress").length, 0);
  mocks.reset();
  await deploy({ ingress: { className: "nginx", host: "models.example.com", tlsSecretName: "models-tls", controllerNamespace: "ingress-nginx" } });
  const ing = mocks.named("srv-ingress").inputs.spec;
  assert.equal(ing.ingressClassName, "nginx");
  assert.deepEqual(ing.tls, [{ hosts: ["models.example.com"], secretName: "models-tls" }]);
  assert.ok(mocks.named("srv-netpol").inputs.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values.includes("ingress-nginx"));
});

test("outputs the cluster-internal URL", async () => {
  const s = await deploy();
  assert.equal(await valueOf(s.url), "http://srv.mlops.svc.cluster.local:8501");
});

test("invalid args report every bad path at once", async () => {
  const cluster = await testClusterHandle();
  assert.throws(
    () => new ModelServing("bad", { cluster, namespace: "mlops", image: "", minReplicas: 3, maxReplicas: 2, gpus: 1, resources: { cpuLimit: "lots" } } as never),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const paths = (e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, ["gpus", "image", "maxReplicas", "resources.cpuLimit"]);
      return true;
    },
  );
});
