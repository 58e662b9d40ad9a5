import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { KubernetesJobExecutor } from "../../../runtime/src/controller/kubernetes-job-executor.ts";
import { parsePolicy } from "../../../runtime/src/controller/policy.ts";
import { prepareTrainingData } from "../../../runtime/src/controller/training-data.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import type { FeedbackRow } from "../../../runtime/src/registry/feedback-store.ts";
import { type LocalServer, motoUnavailable, startMoto } from "../../helpers/object-store-servers.ts";
import { MLOPS_BIN } from "../../helpers/run-cli.ts";
import { TINY_MODELS, tinyRows, tinyTargets, trainTinyModels } from "../../helpers/tiny-models.ts";

/**
 * A fake Kubernetes API server whose "kubelet" runs each created Job's container for real:
 * `node mlops.js <args>` in an empty directory of its own (nothing shared with the controller but
 * the bucket), with only the environment the pod would have. The pod's log is its output.
 */
async function fakeCluster(podEnv: NodeJS.ProcessEnv): Promise<{ base: string; created: V1Job[]; stop(): Promise<void> }> {
  const created: V1Job[] = [];
  const state = new Map<string, { done: boolean; code: number | null; log: string }>();
  const dirs: string[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const send = (status: number, body: unknown, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      let m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
      if (m && req.method === "POST") {
        const body = JSON.parse(raw) as V1Job;
        created.push(body);
        const name = body.metadata!.name!;
        const run = { done: false, code: null as number | null, log: "" };
        state.set(name, run);
        const cwd = await mkdtemp(path.join(tmpdir(), "mlops-pod-"));
        dirs.push(cwd);
        const args = body.spec!.template.spec!.containers[0]!.args!;
        const child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, ...podEnv }, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (d) => (run.log += d));
        child.stderr.on("data", (d) => (run.log += d));
        child.on("close", (code) => {
          run.done = true;
          run.code = code;
        });
        return send(201, body);
      }
      if (m && req.method === "GET" && m[2]) {
        const run = state.get(m[2]);
        const job = created.find((j) => j.metadata?.name === m![2]);
        if (!run || !job) return send(404, { kind: "Status", code: 404 });
        const conditions = run.done ? [run.code === 0 ? { type: "Complete", status: "True" } : { type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] : [];
        return send(200, { ...job, status: { conditions } });
      }
      m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
      if (m && req.method === "GET") {
        const jobName = /^job-name=(.+)$/.exec(url.searchParams.get("labelSelector") ?? "")?.[1] ?? "";
        const items = state.has(jobName) ? [{ metadata: { name: `${jobName}-pod`, namespace: m[1], creationTimestamp: new Date().toISOString() } }] : [];
        return send(200, { kind: "PodList", apiVersion: "v1", metadata: {}, items });
      }
      m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/(.+)-pod\/log$/.exec(url.pathname);
      if (m && req.method === "GET") return send(200, state.get(m[2]!)?.log ?? "", "text/plain");
      send(404, { kind: "Status", code: 404 });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    created,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** The training Job template as the Retraining component renders it, for a cluster with a GPU pool; `gpu` says whether trainOnGpu was set. */
function template(gpu: boolean): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { generateName: "mlops-retraining-train-", namespace: "mlops", labels: { "app.kubernetes.io/component": "training" } },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      template: {
        metadata: { labels: { "azure.workload.identity/use": "true" } },
        spec: {
          serviceAccountName: "mlops-retraining",
          containers: [
            {
              name: "runtime",
              image: "registry.example/mlops-runtime:1",
              args: ["train", "--registry", "s3://models/registry"],
              resources: gpu
                ? { requests: { cpu: "1", memory: "2Gi", "nvidia.com/gpu": "1" }, limits: { cpu: "2", memory: "4Gi", "nvidia.com/gpu": "1" } }
                : { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
            },
          ],
          ...(gpu ? { nodeSelector: { "mlops.dev/gpu": "true" }, tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }] } : {}),
          restartPolicy: "Never",
        },
      },
    },
  };
}

const motoSkip = motoUnavailable();
describe("Kubernetes Job executor with the training data staged in the bucket (moto, fake API server)", { skip: motoSkip === undefined ? false : `moto unavailable: ${motoSkip}` }, () => {
  let moto: LocalServer;
  let env: NodeJS.ProcessEnv;
  let cluster: Awaited<ReturnType<typeof fakeCluster>>;
  let work: string;
  const registryUrl = "s3://models/registry";
  const model = TINY_MODELS.regression;
  before(async () => {
    moto = await startMoto();
    env = { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: moto.endpoint, MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true", MLOPS_BACKEND: "cpu" };
    Object.assign(process.env, env);
    const s3 = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "models" }));
    s3.destroy();
    work = await mkdtemp(path.join(tmpdir(), "mlops-k8s-staging-"));
    await trainTinyModels(registryUrl);
    cluster = await fakeCluster(env);
  });
  after(async () => {
    await cluster?.stop();
    await moto?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const executor = (gpu: boolean) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "fake", server: cluster.base, skipTLSVerify: true }],
      users: [{ name: "controller", token: "t" }],
      contexts: [{ name: "fake", cluster: "fake", user: "controller", namespace: "mlops" }],
      currentContext: "fake",
    });
    return new KubernetesJobExecutor({ template: template(gpu), kubeConfig, pollIntervalMs: 50 });
  };

  for (const gpu of [true, false]) {
    test(`trainOnGpu ${gpu}: the Job ${gpu ? "requests nvidia.com/gpu, tolerates the GPU taint and selects GPU nodes" : "has no GPU request, toleration or node selector"}, trains from the bucket and registers the version`, async () => {
      const registry = ModelRegistry.open(registryUrl);
      const champion = await registry.resolve(model, "champion");
      const feedback: FeedbackRow[] = tinyRows(40, gpu ? 5 : 6).map((r, i) => ({
        id: `p${i}`,
        index: 0,
        time: new Date().toISOString(),
        version: champion.version,
        features: { x1: r.x1, x2: r.x2, color: r.color },
        prediction: [0],
        label: tinyTargets(r).y,
      }));
      const dir = path.join(work, gpu ? "gpu" : "cpu");
      const reference = "s3://models/reference/tiny.csv.gz";
      await writeTable(reference, ["x1", "x2", "color", "y"], tinyRows(300, 1).map((r) => [r.x1, r.x2, r.color, tinyTargets(r).y]));
      const data = await prepareTrainingData({ champion, feedback, training: parsePolicy({ model, training: { referenceData: reference } }).training, registry, dir });
      assert.deepEqual(data.reference, { source: reference, note: null });
      assert.match(data.dataPath, /^s3:\/\/models\/registry\/datasets\/sha256-[0-9a-f]{64}\.parquet$/);
      assert.match(data.configPath, new RegExp(`^s3://models/registry/models/${model}/controller/configs/sha256-[0-9a-f]{64}\\.json$`));
      const result = await executor(gpu).run(
        { model, dataPath: data.dataPath, configPath: data.configPath, registry: registryUrl, parent: champion.version, workDir: dir, timeoutSeconds: 120 },
        new AbortController().signal,
      );
      assert.deepEqual(await readdir(dir), [], "nothing was written to the controller's work directory: the pod read the bucket");
      const job = cluster.created.at(-1)!;
      const pod = job.spec!.template.spec!;
      const c = pod.containers[0]!;
      assert.deepEqual(c.args, ["train", "--data", data.dataPath, "--config", data.configPath, "--model", model, "--registry", registryUrl, "--parent", String(champion.version)]);
      assert.equal(pod.serviceAccountName, "mlops-retraining", "the runtime's workload identity");
      assert.equal(pod.volumes, undefined, "no shared volume");
      if (gpu) {
        assert.equal(c.resources?.requests?.["nvidia.com/gpu"], "1");
        assert.equal(c.resources?.limits?.["nvidia.com/gpu"], "1");
        assert.deepEqual(pod.nodeSelector, { "mlops.dev/gpu": "true" });
        assert.deepEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
      } else {
        assert.equal(c.resources?.requests?.["nvidia.com/gpu"], undefined);
        assert.equal(c.resources?.limits?.["nvidia.com/gpu"], undefined);
        assert.equal(pod.nodeSelector, undefined);
        assert.equal(pod.tolerations, undefined);
      }
      const v = await registry.getVersion(model, result.version);
      assert.equal(v.parent, champion.version);
      assert.equal(v.dataset.source, data.dataPath);
      assert.equal(v.dataset.snapshot?.url, data.dataPath, "the staged table is the version's snapshot");
      const staged = await readTable(data.dataPath);
      assert.equal(staged.rows.length, 300 + 40, "reference rows then feedback rows");
      assert.equal(v.dataset.rowsRead, 340);
    });
  }
});
