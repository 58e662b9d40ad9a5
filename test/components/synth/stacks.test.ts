import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { KubernetesJobExecutor } from "../../../runtime/src/controller/kubernetes-job-executor.ts";
import { type Run, runSynth } from "../../helpers/run-cli.ts";
import { type Container, type Manifest, type PodSpecAt, embeddedJobs, podSpecs, readSynthOutput, selects, validateManifest } from "./synth-output.ts";

// `pulumi-mlops synth` on the real stack program: every shipped stacks/Pulumi.<stack>.yaml, plus a GPU
// variant of `local` (a temporary project whose `main` is this checkout's stacks/index.ts), and
// invariants over what they produce.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const shipped = readdirSync(path.join(root, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined);
const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;
const GPU_NODES = { "mlops.dev/gpu": "true" };

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const runs = new Map<string, { run: Run; out: string }>();
let variantProject = "";

before(async () => {
  // A project beside the real one: same Pulumi.yaml, stack files of our own.
  variantProject = await mkdtemp(path.join(tmpdir(), "mlops-synth-project-"));
  dirs.push(variantProject);
  const projectFile = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  await writeFile(path.join(variantProject, "Pulumi.yaml"), stringify({ ...projectFile, main: path.join(root, "stacks/index.ts"), stackConfigDir: "." }));
  const local = parse(readFileSync(path.join(root, "stacks/Pulumi.local.yaml"), "utf8")) as { config: Record<string, any> };
  const gpu = structuredClone(local);
  gpu.config["pulumi-mlops:existing"] = { ...gpu.config["pulumi-mlops:existing"], gpu: { nodeSelector: GPU_NODES, taints: [GPU_TAINT] } };
  gpu.config["pulumi-mlops:serving"] = { ...gpu.config["pulumi-mlops:serving"], gpus: 1 };
  const retraining = gpu.config["pulumi-mlops:retraining"] ?? {};
  gpu.config["pulumi-mlops:retraining"] = { ...retraining, training: { ...retraining.training, trainOnGpu: true } };
  await writeFile(path.join(variantProject, "Pulumi.gpu.yaml"), stringify(gpu));
  const bad = structuredClone(local);
  bad.config["pulumi-mlops:namespace"] = "ML_Ops";
  await writeFile(path.join(variantProject, "Pulumi.bad.yaml"), stringify(bad));

  const synth = async (key: string, stack: string, project: string) => {
    const out = await mkdtemp(path.join(tmpdir(), `mlops-synth-${stack}-`));
    dirs.push(out);
    runs.set(key, { run: await runSynth([stack, "--project", project, "--out", out], { cwd: root }), out });
  };
  await Promise.all([...shipped.map((s) => synth(s, s, root)), synth("gpu", "gpu", variantProject), synth("bad", "bad", variantProject)]);
});

/** The successful synth outputs (shipped stacks and the GPU variant). */
function outputs(): { key: string; manifests: Manifest[] }[] {
  return [...runs].filter(([k]) => k !== "bad").map(([key, { out }]) => {
    const { manifests } = readSynthOutput(out);
    return { key, manifests: [...manifests, ...embeddedJobs(manifests)] };
  });
}

test("synth succeeds for every shipped stack and writes resources.json and manifests", () => {
  assert.ok(shipped.includes("local"));
  for (const stack of shipped) {
    const { run, out } = runs.get(stack)!;
    assert.equal(run.code, 0, `${stack}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^synthesized pulumi-mlops/${stack}: \\d+ resources, \\d+ Kubernetes manifests`));
    assert.ok(existsSync(path.join(out, "resources.json")) && existsSync(path.join(out, "manifests")));
    const { resources } = readSynthOutput(out);
    const names = new Set(resources.map((r) => r.name));
    for (const r of resources) {
      assert.ok(r.parent === null || names.has(r.parent), `${stack}: ${r.name}'s parent ${r.parent} is not a resource`);
      assert.deepEqual(Object.keys(r), ["type", "name", "parent", "inputs"]);
    }
  }
});

test("stack local deploys the platform onto the existing cluster", () => {
  const { out } = runs.get("local")!;
  const { resources, manifests } = readSynthOutput(out);
  assert.ok(resources.some((r) => r.type === "mlops:kubernetes:MlopsPlatformOnCluster"), "no MlopsPlatformOnCluster in stack local");
  for (const kind of ["Deployment", "Service", "NetworkPolicy", "Role"]) assert.ok(manifests.some((m) => m.kind === kind), `no ${kind}`);
});

test("invalid stack config exits 2 and names the key", () => {
  const { run } = runs.get("bad")!;
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^pulumi-mlops synth: stack bad: invalid configuration for stack bad:\n {2}- pulumi-mlops:namespace: /);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test("every Kubernetes object validates against the Kubernetes OpenAPI schemas", async () => {
  assert.equal(runs.get("gpu")!.run.code, 0, runs.get("gpu")!.run.stderr);
  let validated = 0;
  for (const { key, manifests } of outputs()) {
    for (const m of manifests) {
      await assert.doesNotReject(validateManifest(m), `${key}: ${m.file}`);
      validated++;
    }
  }
  assert.ok(validated > 0);
});

test("schema validation rejects a malformed object, naming the field", async () => {
  const broken = { file: "x.yaml", apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: { spec: { containers: [{ image: "i" }] } } } };
  await assert.rejects(validateManifest(broken), /must have required property selector.*containers\/0 must have required property name/s);
  await assert.rejects(validateManifest({ ...broken, apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", spec: { endpoints: "all" } }), /endpoints/);
});

test("the training Job template the Retraining component ships becomes a valid Job in the Job executor", async () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [{ name: "c", server: "http://127.0.0.1:1" }], users: [{ name: "u" }], contexts: [{ name: "c", cluster: "c", user: "u" }], currentContext: "c" });
  const templates = outputs().flatMap((o) => o.manifests.filter((m) => m.kind === "Job" && m.file.includes("#")));
  assert.ok(templates.length > 0, "no Job template in a ConfigMap");
  for (const t of templates) {
    const { file: _f, ...template } = t;
    const job = new KubernetesJobExecutor({ template: template as V1Job, kubeConfig }).jobFor({ model: "cars-mpg", dataPath: "/w/d.csv", configPath: "/w/c.json", registry: "/r", parent: 1, workDir: "/w", timeoutSeconds: 600 });
    await validateManifest({ ...(job as Manifest), file: t.file });
  }
});

/** The taints and labels of a stack's GPU node pools, from resources.json, whatever the cloud's spelling (EKS NO_SCHEDULE objects, AKS "k=v:Effect" strings, GKE objects). */
function gpuPools(out: string): { taints: { key: string; value?: string; effect: string }[]; labels: Record<string, string> }[] {
  const effect = (e: string) => ({ NO_SCHEDULE: "NoSchedule", PREFER_NO_SCHEDULE: "PreferNoSchedule", NO_EXECUTE: "NoExecute" })[e] ?? e;
  return readSynthOutput(out)
    .resources.filter((r) => ["aws:eks/nodeGroup:NodeGroup", "azure-native:containerservice:AgentPool", "gcp:container/nodePool:NodePool"].includes(r.type))
    .map((r) => {
      const i = r.inputs as Record<string, any>;
      const rawTaints: unknown[] = i.taints ?? i.nodeTaints ?? i.nodeConfig?.taints ?? [];
      const taints = rawTaints.map((t) => {
        if (typeof t === "string") {
          const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(t)!;
          return { key: m[1]!, ...(m[2] === undefined ? {} : { value: m[2] }), effect: effect(m[3]!) };
        }
        const o = t as { key: string; value?: string; effect: string };
        return { key: o.key, ...(o.value === undefined ? {} : { value: o.value }), effect: effect(o.effect) };
      });
      return { taints, labels: (i.labels ?? i.nodeLabels ?? i.nodeConfig?.labels ?? {}) as Record<string, string> };
    })
    .filter((p) => p.taints.some((t) => t.key === "nvidia.com/gpu") || p.labels["mlops.dev/gpu"] === "true");
}

test("every stack's training Job template requests the GPU, tolerates the GPU pools' taints and selects GPU nodes exactly when trainOnGpu", () => {
  let checked = 0;
  for (const [key, { run, out }] of runs) {
    if (key === "bad") continue;
    assert.equal(run.code, 0, `${key}: ${run.stderr}`);
    const stackFile = key === "gpu" ? path.join(variantProject, "Pulumi.gpu.yaml") : path.join(root, "stacks", `Pulumi.${key}.yaml`);
    const config = (parse(readFileSync(stackFile, "utf8")) as { config: Record<string, any> }).config;
    const retraining = config["pulumi-mlops:retraining"];
    if (retraining === undefined || retraining.enabled === false) continue;
    const trainOnGpu = retraining.training?.trainOnGpu === true;
    const { manifests } = readSynthOutput(out);
    const cm = manifests.find((m) => m.kind === "ConfigMap" && ((m.data ?? {}) as Record<string, string>)["job-template.json"] !== undefined);
    assert.ok(cm, `${key}: no training Job template`);
    const job = JSON.parse((cm.data as Record<string, string>)["job-template.json"]!) as V1Job;
    const pod = job.spec!.template.spec!;
    const c = pod.containers[0]!;
    const gpus = String(retraining.training?.gpus ?? 1);
    const policy = manifests.find((m) => m.kind === "ConfigMap" && ((m.data ?? {}) as Record<string, string>)["policy.json"] !== undefined)!;
    assert.equal(JSON.parse((policy.data as Record<string, string>)["policy.json"]!).executor.kind, "kubernetes", `${key}: the controller trains in Jobs`);
    const controller = manifests.find((m) => m.kind === "Deployment" && (m as any).spec.template.spec.containers[0].args[0] === "controller") as any;
    assert.ok(controller.spec.template.spec.containers[0].env.some((e: { name: string }) => e.name === "MLOPS_JOB_TEMPLATE"), `${key}: the controller is given the Job template`);
    if (trainOnGpu) {
      assert.equal(c.resources?.requests?.["nvidia.com/gpu"], gpus, `${key}: GPU request`);
      assert.equal(c.resources?.limits?.["nvidia.com/gpu"], gpus, `${key}: GPU limit`);
      const pools: { taints: { key: string; value?: string; effect: string }[]; labels: Record<string, string> }[] = key === "gpu" ? [{ taints: [GPU_TAINT], labels: GPU_NODES }] : gpuPools(out);
      assert.ok(pools.length > 0, `${key}: trainOnGpu but no GPU pool`);
      for (const pool of pools) {
        for (const taint of pool.taints) assert.ok(tolerates({ where: key, spec: pod } as PodSpecAt, taint), `${key}: the Job does not tolerate ${JSON.stringify(taint)}: ${JSON.stringify(pod.tolerations)}`);
        for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) assert.equal(pool.labels[k], v, `${key}: the Job's nodeSelector ${k}=${v} does not match the GPU pool's labels`);
      }
      assert.ok(Object.keys(pod.nodeSelector ?? {}).length > 0, `${key}: the Job selects no GPU nodes`);
    } else {
      assert.equal(c.resources?.requests?.["nvidia.com/gpu"], undefined, `${key}: GPU request without trainOnGpu`);
      assert.equal(c.resources?.limits?.["nvidia.com/gpu"], undefined, `${key}: GPU limit without trainOnGpu`);
      assert.equal(pod.tolerations, undefined, `${key}: tolerations without trainOnGpu`);
      assert.equal(pod.nodeSelector, undefined, `${key}: node selector without trainOnGpu`);
    }
    assert.equal(pod.serviceAccountName, "mlops-retraining", `${key}: the runtime's workload identity`);
    checked++;
  }
  assert.ok(checked >= 5, `checked ${checked} stacks`);
});

const requestsGpu = (c: Container) => Object.keys({ ...c.resources?.requests, ...c.resources?.limits }).some((k) => k === "nvidia.com/gpu");
const tolerates = (p: PodSpecAt, taint: { key: string; value?: string; effect: string }) =>
  (p.spec.tolerations ?? []).some((t) => (t.operator === "Exists" && (t.key === undefined || t.key === taint.key)) || (t.key === taint.key && (t.value ?? "") === (taint.value ?? ""))) &&
  (p.spec.tolerations ?? []).some((t) => t.key === undefined || t.key === taint.key ? t.effect === undefined || t.effect === taint.effect : false);
const selectsGpuNodes = (p: PodSpecAt, labels: Record<string, string>) =>
  Object.entries(labels).every(([k, v]) => p.spec.nodeSelector?.[k] === v) ||
  (p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).every((term) => Object.entries(labels).every(([k, v]) => term.matchExpressions?.some((e) => e.key === k && e.operator === "In" && e.values?.includes(v))));

test("every pod requesting a GPU tolerates the GPU taint and selects GPU nodes", () => {
  const gpuPods = outputs()
    .flatMap((o) => podSpecs(o.manifests).map((p) => ({ ...p, where: `${o.key}: ${p.where}` })))
    .filter((p) => [...p.spec.containers, ...(p.spec.initContainers ?? [])].some(requestsGpu));
  const variant = gpuPods.filter((p) => p.where.startsWith("gpu:"));
  assert.ok(variant.length >= 2, `the GPU variant should have GPU serving and training pods, found ${variant.map((p) => p.where).join(", ")}`);
  for (const p of gpuPods) {
    if (p.where.startsWith("gpu:")) {
      assert.ok(tolerates(p, GPU_TAINT), `${p.where} does not tolerate ${JSON.stringify(GPU_TAINT)}: ${JSON.stringify(p.spec.tolerations)}`);
      assert.ok(selectsGpuNodes(p, GPU_NODES), `${p.where} does not select GPU nodes ${JSON.stringify(GPU_NODES)}`);
    } else {
      assert.ok((p.spec.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu" || (t.operator === "Exists" && t.key === undefined)), `${p.where} does not tolerate nvidia.com/gpu`);
      assert.ok(Object.keys(p.spec.nodeSelector ?? {}).length > 0 || p.spec.affinity?.nodeAffinity, `${p.where} does not select GPU nodes`);
    }
  }
});

test("every container has requests, limits and a restrictive security context", () => {
  let checked = 0;
  for (const { key, manifests } of outputs()) {
    for (const p of podSpecs(manifests)) {
      for (const c of [...p.spec.containers, ...(p.spec.initContainers ?? [])]) {
        const where = `${key}: ${p.where} container ${c.name}`;
        for (const r of ["cpu", "memory"]) assert.ok(c.resources?.requests?.[r] !== undefined, `${where}: no ${r} request`);
        assert.ok(c.resources?.limits?.memory !== undefined, `${where}: no memory limit`);
        const sc = c.securityContext ?? {};
        assert.ok(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && p.spec.securityContext?.runAsNonRoot === true), `${where}: runAsNonRoot not set`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.notEqual(sc.privileged, true, `${where}: privileged`);
        assert.ok(sc.capabilities?.drop?.includes("ALL"), `${where}: capabilities.drop lacks ALL`);
        assert.deepEqual(sc.capabilities?.add ?? [], [], `${where}: adds capabilities`);
        checked++;
      }
    }
  }
  assert.ok(checked > 0);
});

test("every Service is selected by an ingress NetworkPolicy in its namespace", () => {
  for (const { key, manifests } of outputs()) {
    const policies = manifests.filter((m) => m.kind === "NetworkPolicy");
    for (const svc of manifests.filter((m) => m.kind === "Service")) {
      const selector = (svc.spec as { selector?: Record<string, string> }).selector ?? {};
      assert.ok(Object.keys(selector).length > 0, `${key}: Service ${svc.metadata.name} has no selector`);
      const covered = policies.some((np) => {
        const spec = np.spec as { podSelector: { matchLabels?: Record<string, string> }; policyTypes?: string[] };
        return np.metadata.namespace === svc.metadata.namespace && (spec.policyTypes ?? ["Ingress"]).includes("Ingress") && selects(spec.podSelector, selector);
      });
      assert.ok(covered, `${key}: Service ${svc.metadata.namespace}/${svc.metadata.name} (selector ${JSON.stringify(selector)}) is not covered by a NetworkPolicy`);
    }
  }
});

test("the serving Service, its pods and its NetworkPolicy carry REST 8501 and gRPC 8500 (TF Serving) and 8001 (Open Inference Protocol)", () => {
  let checked = 0;
  for (const { key, manifests } of outputs()) {
    const deployment = manifests.find((m) => m.kind === "Deployment" && (m.spec as any).template.spec.containers[0].args?.[0] === "serve");
    if (!deployment) continue;
    checked++;
    const container = (deployment.spec as any).template.spec.containers[0];
    assert.deepEqual(container.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`), ["http:8501", "grpc:8500", "grpc-inference:8001"], key);
    const labels = (deployment.spec as any).template.metadata.labels;
    const svc = manifests.find((m) => m.kind === "Service" && selects((m.spec as any).selector, labels))!;
    assert.deepEqual((svc.spec as any).ports.map((p: { port: number; targetPort: string }) => `${p.port}->${p.targetPort}`), ["8501->http", "8500->grpc", "8001->grpc-inference"], key);
    const np = manifests.find((m) => m.kind === "NetworkPolicy" && selects((m.spec as any).podSelector, labels))!;
    assert.deepEqual((np.spec as any).ingress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port)), [8501, 8500, 8001], key);
  }
  assert.ok(checked > 0, "no stack deploys the server");
});

test("the controller's RBAC is namespaced and cannot touch Secrets or use wildcards", () => {
  for (const { key, manifests } of outputs()) {
    assert.deepEqual(manifests.filter((m) => m.kind === "ClusterRole" || m.kind === "ClusterRoleBinding").map((m) => m.file), [], `${key}: cluster-wide RBAC`);
    const roles = manifests.filter((m) => m.kind === "Role");
    // Stacks whose cloud components have not landed yet (aws-dev) create no Kubernetes objects.
    if (manifests.some((m) => m.kind === "Deployment")) assert.ok(roles.length > 0, `${key}: no Role`);
    for (const role of roles) {
      assert.ok(role.metadata.namespace, `${key}: Role ${role.metadata.name} has no namespace`);
      for (const rule of (role.rules ?? []) as { apiGroups?: string[]; resources?: string[]; verbs: string[] }[]) {
        const where = `${key}: Role ${role.metadata.name} rule ${JSON.stringify(rule)}`;
        assert.ok(!(rule.resources ?? []).some((r) => r === "secrets" || r.startsWith("secrets/") || r.includes("*")), where);
        assert.ok(!rule.verbs.includes("*") && !(rule.apiGroups ?? []).includes("*"), where);
      }
    }
    for (const binding of manifests.filter((m) => m.kind === "RoleBinding")) {
      assert.equal((binding.roleRef as { kind: string }).kind, "Role", `${key}: RoleBinding ${binding.metadata.name} binds a ${(binding.roleRef as { kind: string }).kind}`);
    }
  }
});
