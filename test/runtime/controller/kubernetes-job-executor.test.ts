import assert from "node:assert/strict";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { KubernetesJobExecutor } from "../../../runtime/src/controller/kubernetes-job-executor.ts";
import type { TrainingJob } from "../../../runtime/src/controller/training-executor.ts";
import { MlopsError } from "../../../runtime/src/errors.ts";

// A fake Kubernetes API server: just the endpoints the executor uses, over real HTTP, so the real
// @kubernetes/client-node does the requests. What a created Job does is chosen by its model name.
type Behaviour = "succeed" | "fail" | "hang";
interface FakeJob {
  body: V1Job;
  reads: number;
  behaviour: Behaviour;
}
const jobs = new Map<string, FakeJob>();
const deleted: { name: string; propagationPolicy: string | null }[] = [];
const requests: string[] = [];
let base = "";
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let raw = "";
  req.on("data", (c) => (raw += c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    let m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    if (m) {
      const [, ns, name] = m;
      if (req.method === "POST" && !name) {
        const body = JSON.parse(raw) as V1Job;
        const model = body.metadata?.labels?.["mlops.dev/model"] ?? "";
        const behaviour: Behaviour = model.startsWith("fail") ? "fail" : model.startsWith("hang") ? "hang" : "succeed";
        body.metadata = { ...body.metadata, namespace: ns, uid: "uid-1", creationTimestamp: new Date() };
        jobs.set(body.metadata.name!, { body, reads: 0, behaviour });
        return send(201, body);
      }
      const job = name ? jobs.get(name) : undefined;
      if (!job) return send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: `jobs.batch "${name}" not found` });
      if (req.method === "GET") {
        job.reads++;
        const conditions = job.reads < 2 || job.behaviour === "hang" ? [] : [job.behaviour === "succeed" ? { type: "Complete", status: "True" } : { type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }];
        return send(200, { ...job.body, status: { conditions } });
      }
      if (req.method === "DELETE") {
        jobs.delete(name!);
        deleted.push({ name: name!, propagationPolicy: url.searchParams.get("propagationPolicy") ?? (raw ? (JSON.parse(raw) as { propagationPolicy?: string }).propagationPolicy ?? null : null) });
        return send(200, { kind: "Status", apiVersion: "v1", status: "Success" });
      }
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const jobName = /^job-name=(.+)$/.exec(url.searchParams.get("labelSelector") ?? "")?.[1];
      const items = [...jobs.values()].filter((j) => j.body.metadata?.name === jobName)
        .map((j) => ({ metadata: { name: `${jobName}-pod`, namespace: m![1], labels: { "job-name": jobName }, creationTimestamp: new Date().toISOString() } }));
      return send(200, { kind: "PodList", apiVersion: "v1", metadata: {}, items });
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/(.+)-pod\/log$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const job = jobs.get(m[2]!);
      if (!job) return send(404, { kind: "Status", code: 404 });
      const args = job.body.spec?.template?.spec?.containers?.[0]?.args ?? [];
      const model = args[args.indexOf("--model") + 1];
      const log = job.behaviour === "succeed" ? `epoch 10 loss 0.1\nregistered ${model} version 7 (parent 3)\n` : job.behaviour === "fail" ? "reading data\nError: column price is missing\n" : "epoch 1 loss 0.9\n";
      return send(200, `${log}tailLines=${url.searchParams.get("tailLines")}\n`, "text/plain");
    }
    send(404, { kind: "Status", code: 404, message: `no route ${req.method} ${url.pathname}` });
  });
});

before(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const template: V1Job = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { namespace: "mlops", labels: { "app.kubernetes.io/name": "mlops-train" } },
  spec: {
    backoffLimit: 1,
    ttlSecondsAfterFinished: 3600,
    activeDeadlineSeconds: 7200,
    template: {
      spec: {
        containers: [{ name: "train", image: "registry.example/mlops-runtime:1", command: ["mlops"], resources: { requests: { cpu: "1", "nvidia.com/gpu": "1" }, limits: { "nvidia.com/gpu": "1" } } }],
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      },
    },
  },
};

function executor(): KubernetesJobExecutor {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: base, skipTLSVerify: true }],
    users: [{ name: "controller", token: "t" }],
    contexts: [{ name: "fake", cluster: "fake", user: "controller", namespace: "mlops" }],
    currentContext: "fake",
  });
  return new KubernetesJobExecutor({ template, kubeConfig, pollIntervalMs: 20 });
}

const job = (model: string, timeoutSeconds = 30): TrainingJob => ({ model, dataPath: "/work/d.csv", configPath: "/work/c.json", registry: "s3://models/registry", parent: 3, workDir: "/work", timeoutSeconds });

test("creates a Job from the template and returns the version the pod's log reports", async () => {
  const result = await executor().run(job("churn"), new AbortController().signal);
  assert.equal(result.version, 7);
  assert.match(result.logTail, /registered churn version 7/);
  assert.match(result.logTail, /tailLines=50/);
  const created = [...jobs.values()].find((j) => j.body.metadata?.labels?.["mlops.dev/model"] === "churn")!;
  const spec = created.body.spec!;
  const container = spec.template.spec!.containers[0]!;
  assert.deepEqual(container.command, ["mlops"]);
  assert.deepEqual(container.args, ["train", "--data", "/work/d.csv", "--config", "/work/c.json", "--model", "churn", "--registry", "s3://models/registry", "--parent", "3"]);
  assert.equal(container.image, "registry.example/mlops-runtime:1");
  assert.deepEqual(spec.template.spec!.tolerations, template.spec!.template.spec!.tolerations);
  assert.equal(spec.backoffLimit, 1);
  assert.equal(spec.ttlSecondsAfterFinished, 3600);
  assert.equal(spec.activeDeadlineSeconds, 30);
  assert.equal(spec.template.spec!.restartPolicy, "Never");
  assert.match(created.body.metadata!.name!, /^train-churn-[0-9a-f]{8}$/);
  assert.equal(created.body.metadata!.namespace, "mlops");
});

test("a Job with a Failed condition rejects with the reason and the log tail", async () => {
  await assert.rejects(executor().run(job("fail-model"), new AbortController().signal), (err: unknown) => {
    assert.ok(err instanceof MlopsError);
    assert.equal(err.code, "MLOPS_ERR_CONTROLLER_TRAINING_FAILED");
    assert.match(err.message, /failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\)/);
    assert.match(err.message, /column price is missing/);
    return true;
  });
});

test("a Job past its timeout is deleted with background propagation and reported as failed", async () => {
  const before = deleted.length;
  await assert.rejects(executor().run(job("hang-timeout", 0.3), new AbortController().signal), /timed out after 0.3 s; Job mlops\/train-hang-timeout-[0-9a-f]+ was deleted/);
  assert.equal(deleted.length, before + 1);
  assert.match(deleted.at(-1)!.name, /^train-hang-timeout-/);
  assert.equal(deleted.at(-1)!.propagationPolicy, "Background");
  assert.ok(![...jobs.keys()].some((n) => n.startsWith("train-hang-timeout-")));
});

test("aborting the signal deletes the Job and rejects with the signal's reason", async () => {
  const stop = new AbortController();
  const before = deleted.length;
  const run = executor().run(job("hang-abort"), stop.signal);
  setTimeout(() => stop.abort(new Error("controller stopping")), 150);
  await assert.rejects(run, /controller stopping/);
  assert.equal(deleted.length, before + 1);
  assert.match(deleted.at(-1)!.name, /^train-hang-abort-/);
  assert.equal(deleted.at(-1)!.propagationPolicy, "Background");
  assert.ok(requests.some((r) => r.startsWith("GET /apis/batch/v1/namespaces/mlops/jobs/train-hang-abort-")));
});
