import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, testClusterHandle, TEST_GPU, valueOf } from "../../helpers/pulumi-mocks.ts";
import { MLOPS_BIN } from "../../helpers/run-cli.ts";

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

test("an HPA on CPU between minReplicas and maxReplicas", async () => {
  await deploy();
  const hpa = mocks.named("srv-hpa").inputs.spec;
  assert.equal(hpa.minReplicas, 2);
  assert.equal(hpa.maxReplicas, 5);
  assert.deepEqual(hpa.metrics.map((m: { type: string }) => m.type), ["Resource"]);
  assert.equal(hpa.metrics[0].resource.target.averageUtilization, 70);
});

test("no request-rate metric that only an undeployed Prometheus adapter could serve: the option is gone, and setting it is an error", async () => {
  // Before, prometheusAdapter: true added a Pods metric nobody served; the HPA then failed to get
  // it and, with one metric failing, never scaled down.
  const cluster = await testClusterHandle();
  assert.throws(
    () => new ModelServing("old", { cluster, namespace: "mlops", image: "img:1", prometheusAdapter: true } as never),
    (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.errors.some((x) => x.propertyPath === "prometheusAdapter" && x.reason === "unknown key"),
  );
});

test("the Deployment leaves the replica count to the HPA, so a pulumi up does not scale a loaded service back to minReplicas", async () => {
  await deploy({ minReplicas: 3 });
  const spec = mocks.named("srv-deployment").inputs.spec;
  assert.equal("replicas" in spec, false, `spec.replicas is ${spec.replicas}`);
  assert.equal(mocks.named("srv-hpa").inputs.spec.minReplicas, 3);
});

test("the PodDisruptionBudget takes one server at a time and never blocks a node drain", async () => {
  for (const minReplicas of [1, 2, 3]) {
    mocks.reset();
    await deploy({ minReplicas, maxReplicas: 5 });
    const pdb = mocks.named("srv-pdb").inputs.spec;
    // maxUnavailable 1 admits one eviction whatever the HPA scaled to (minAvailable 1 of 3 let two go
    // at once); AlwaysAllow lets a drain evict servers that are not ready (a model that fails to
    // load), which the default IfHealthyBudget keeps, blocking the node's drain and the upgrade.
    assert.deepEqual(pdb, { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: mocks.named("srv-service").inputs.spec.selector } }, `minReplicas ${minReplicas}`);
  }
});

test("probes give a busy server time to answer, and a stopping server waits for its endpoints to go", async () => {
  await deploy();
  const c = podSpec().containers[0];
  // The kubelet's default timeoutSeconds is 1: a CPU-throttled server mid-batch would be restarted.
  assert.ok(c.livenessProbe.timeoutSeconds >= 5 && c.readinessProbe.timeoutSeconds >= 3 && c.startupProbe.timeoutSeconds >= 3, JSON.stringify(c));
  // Loading models may take up to 5 minutes before liveness starts counting.
  assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 300);
  assert.deepEqual(c.lifecycle, { preStop: { sleep: { seconds: 5 } } });
  assert.ok((podSpec().terminationGracePeriodSeconds ?? 30) > 5, "the drain fits in the grace period");
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

test("a server started as the Deployment starts it becomes Ready on a fresh registry with no model, so the first pulumi up does not wait forever", async () => {
  await deploy();
  const c = podSpec().containers[0];
  // The Deployment's own args, probes and working directory; only what must differ on a shared test
  // machine is swapped: loopback instead of 0.0.0.0, an ephemeral port, an empty directory registry.
  const args: string[] = [...c.args];
  const swap = (flag: string, value: string) => (args[args.indexOf(flag) + 1] = value);
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-serving-ready-"));
  swap("--host", "127.0.0.1");
  swap("--port", "0");
  swap("--registry", path.join(dir, "registry"));
  const child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd: dir, env: { ...process.env, HOME: dir, TMPDIR: dir, NODE_ENV: "production" }, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const m = /serving .* on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`serve exited: ${stderr}`)));
    });
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      const r = await fetch(`${url}${probe.httpGet.path}`);
      assert.equal(r.status, 200, `${probe.httpGet.path}: ${await r.text()}`);
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});

test("the console is off by default, on with console: true, and refused in production without consoleInProduction", async () => {
  const { modelServingArgs } = await import("../../../components/kubernetes/model-serving.ts");
  const cluster = await testClusterHandle();
  const base = { cluster, namespace: "ns", image: "img" };
  assert.equal(modelServingArgs.parse(base).console, false);
  const refused = modelServingArgs.safeParse({ ...base, console: true, profile: "production" });
  assert.ok(!refused.success && refused.error.issues.some((i) => i.path.join(".") === "console" && /consoleInProduction: true/.test(i.message)));
  assert.ok(modelServingArgs.safeParse({ ...base, console: true, profile: "production", consoleInProduction: true }).success);
});

test("the servers learn their profile from MLOPS_PROFILE and get --ui only when the console is asked for", async () => {
  await deploy();
  let c = podSpec().containers[0];
  assert.ok(!c.args.includes("--ui"));
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "MLOPS_PROFILE"), { name: "MLOPS_PROFILE", value: "dev" });
  mocks.reset();
  await deploy({ console: true, profile: "production", consoleInProduction: true });
  c = podSpec().containers[0];
  assert.ok(c.args.includes("--ui") && c.args.includes("--ui-in-production"));
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "MLOPS_PROFILE"), { name: "MLOPS_PROFILE", value: "production" });
});
