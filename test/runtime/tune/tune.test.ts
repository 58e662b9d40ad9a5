import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { main } from "../../../runtime/src/cli/main.ts";
import { modelConfig } from "../../../runtime/src/data/model-config.ts";
import { parseCsv } from "../../../runtime/src/data/read-table.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { KubernetesTrialExecutor } from "../../../runtime/src/tune/kubernetes-trial-executor.ts";
import { defaultPoint } from "../../../runtime/src/tune/search-space.ts";
import { tune } from "../../../runtime/src/tune/tune-search.ts";
import { listTrials, readSearch } from "../../../runtime/src/tune/tuning-records.ts";
import { MLOPS_BIN, runMlops } from "../../helpers/run-cli.ts";

let dir = "";
let data = "";
let cfg = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-tune-"));
  // 90 rows, y from a noisy linear rule: a tiny problem each fold trains in well under a second.
  const lines = ["x1,x2,colour,y"];
  let s = 7;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 90; i++) {
    const x1 = r() * 4 - 2;
    const x2 = r() * 4 - 2;
    lines.push(`${x1.toFixed(3)},${x2.toFixed(3)},${["red", "green", "blue"][i % 3]},${x1 + 0.5 * x2 + (r() - 0.5) > 0 ? "yes" : "no"}`);
  }
  data = path.join(dir, "toy.csv");
  await writeFile(data, `${lines.join("\n")}\n`);
  cfg = path.join(dir, "toy.json");
  await writeFile(cfg, JSON.stringify({ network: { epochs: 15 } }));
});
after(() => rm(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a tune killed with SIGKILL mid-search resumes without rerunning its finished trials, then registers the best with the search as lineage", async () => {
  const registry = path.join(dir, "reg-kill");
  const reg = ModelRegistry.open(registry);
  const child = spawn(process.execPath, [MLOPS_BIN, "tune", "--data", data, "--target", "y", "--config", cfg, "--model", "toy", "--trials", "5", "--workers", "2", "--folds", "2", "--registry", registry, "--search-id", "s1"], { stdio: "ignore" });
  const finished = () => listTrials(reg, "toy", "s1").then((ts) => ts.filter((t) => ["complete", "pruned", "failed"].includes(t.status))).catch(() => []);
  for (let i = 0; i < 600 && (await finished()).length < 2; i++) await sleep(100);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
  await sleep(1500); // its workers see the parent's pipe close and exit
  const before = await finished();
  assert.ok(before.length >= 2 && before.length < 5, `${before.length} trials finished before the kill`);
  const bytes = new Map(await Promise.all(before.map(async (t) => [t.trial, await readFile(path.join(registry, "models/toy/tuning/s1/trials", `${t.trial}.json`), "utf8")] as const)));
  assert.equal((await readSearch(reg, "toy", "s1")).status, "running", "the killed session never wrote its end");

  const resumed = await runMlops(["tune", "--resume", "s1", "--model", "toy", "--registry", registry]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /^registered toy version 1 \(champion\) from tuning search s1/m);
  const after = await listTrials(reg, "toy", "s1");
  assert.deepEqual(after.map((t) => t.trial), [0, 1, 2, 3, 4]);
  const record = await readSearch(reg, "toy", "s1");
  assert.deepEqual(after[0]!.params, defaultPoint(record.space, record.config), "trial 0 is the untuned default");
  assert.ok(after.every((t) => ["complete", "pruned", "failed"].includes(t.status)), JSON.stringify(after.map((t) => t.status)));
  for (const [n, text] of bytes) assert.equal(await readFile(path.join(registry, "models/toy/tuning/s1/trials", `${n}.json`), "utf8"), text, `finished trial ${n} was rerun`);
  for (const n of bytes.keys()) assert.doesNotMatch(resumed.stderr, new RegExp(`^trial ${n} `, "m"), `trial ${n} reported again`);
  const search = await readSearch(reg, "toy", "s1");
  assert.equal(search.status, "complete");
  assert.equal(search.registered?.version, 1);
  assert.ok(search.best && after.find((t) => t.trial === search.best!.trial)?.status === "complete");
  const v = await reg.getVersion("toy", 1);
  assert.equal(v.tuning?.searchId, "s1");
  assert.equal(v.tuning?.trial, search.best!.trial);
  assert.deepEqual(v.tuning?.params, search.best!.params);
  assert.equal((v.config as { network: { learningRate: number } }).network.learningRate, search.best!.params.learningRate);
  const shown = await runMlops(["models", "show", "toy", "--registry", registry]);
  assert.match(shown.stdout, /tuning {4}search s1 trial \d+ of 5 \(tpe, 2-fold CV logLoss/);
  // A completed search resumed again does nothing and registers nothing new.
  const again = await runMlops(["tune", "--resume", "s1", "--model", "toy", "--registry", registry]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /version {3}1 \(registered earlier\)/);
  assert.deepEqual(await reg.versionNumbers("toy"), [1]);
});

// A fake Kubernetes API server that behaves like the Job controller and kubelet for an Indexed
// Job: it runs each completion index as a real `mlops tune-trial` process with JOB_COMPLETION_INDEX
// set, and reports Complete (or the failed indexes) once they exit.
const created: V1Job[] = [];
const status = new Map<string, { conditions: { type: string; status: string }[]; failedIndexes?: string; succeeded: number }>();
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let raw = "";
  req.on("data", (c) => (raw += c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(404, { kind: "Status", code: 404 });
    if (req.method === "POST") {
      const job = JSON.parse(raw) as V1Job;
      created.push(job);
      const name = job.metadata!.name!;
      const st = { conditions: [] as { type: string; status: string }[], succeeded: 0, failedIndexes: "" };
      status.set(name, st);
      const c = job.spec!.template!.spec!.containers[0]!;
      const failed: number[] = [];
      void Promise.all(
        Array.from({ length: job.spec!.completions! }, (_, index) =>
          new Promise<void>((resolve) => {
            const p = spawn(process.execPath, [MLOPS_BIN, ...c.args!], { env: { ...process.env, JOB_COMPLETION_INDEX: String(index), HOSTNAME: `${name}-${index}` }, stdio: "ignore" });
            p.on("close", (code) => {
              if (code === 0) st.succeeded++;
              else failed.push(index);
              resolve();
            });
          }),
        ),
      ).then(() => {
        st.failedIndexes = failed.sort().join(",");
        st.conditions = [{ type: failed.length ? "Failed" : "Complete", status: "True" }];
      });
      return send(201, job);
    }
    const job = created.find((j) => j.metadata?.name === m[2]);
    if (!job) return send(404, { kind: "Status", code: 404 });
    if (req.method === "GET") return send(200, { ...job, status: status.get(m[2]!) });
    if (req.method === "DELETE") return send(200, { kind: "Status", status: "Success" });
    send(405, {});
  });
});

test("trials run as a Kubernetes Indexed Job, one trial per completion index, results written to the registry", async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "c", cluster: "fake", user: "u" }],
      currentContext: "c",
    });
    const template: V1Job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "train", namespace: "mlops" }, spec: { backoffLimit: 2, template: { spec: { restartPolicy: "Never", serviceAccountName: "runtime", containers: [{ name: "train", image: "mlops:1", resources: { limits: { cpu: "2" } } }] } } } };
    const registryDir = path.join(dir, "reg-k8s");
    const registry = ModelRegistry.open(registryDir);
    const table = parseCsv(await readFile(data, "utf8"), data);
    const result = await tune({
      registry,
      registryLocation: registry.storage.url,
      executor: new KubernetesTrialExecutor({ template, workers: 2, kubeConfig: kc, pollIntervalMs: 100 }),
      model: "toy",
      table,
      config: modelConfig.parse({ target: "y", network: { epochs: 15 } }),
      searchId: "k1",
      trials: 4,
      folds: 2,
    });
    assert.equal(created.length, 2, "two Jobs of two trials each");
    const [first, second] = created;
    assert.equal(first!.spec!.completionMode, "Indexed");
    assert.equal(first!.spec!.completions, 2);
    assert.equal(first!.spec!.parallelism, 2);
    assert.equal(first!.metadata!.namespace, "mlops");
    assert.equal(first!.metadata!.labels!["mlops.dev/tuning-search"], "k1");
    const c = first!.spec!.template!.spec!.containers[0]!;
    assert.deepEqual(c.args, ["tune-trial", "--registry", registry.storage.url, "--model", "toy", "--search", "k1", "--trials", "0,1"]);
    assert.equal(c.image, "mlops:1");
    assert.equal(first!.spec!.template!.spec!.serviceAccountName, "runtime");
    assert.deepEqual(second!.spec!.template!.spec!.containers[0]!.args!.at(-1), "2,3");
    const trials = await listTrials(registry, "toy", "k1");
    assert.deepEqual(trials.map((t) => t.worker), ["kubernetes:" + first!.metadata!.name + "-0/0", "kubernetes:" + first!.metadata!.name + "-1/1", "kubernetes:" + second!.metadata!.name + "-0/0", "kubernetes:" + second!.metadata!.name + "-1/1"]);
    assert.ok(trials.every((t) => t.status === "complete" || t.status === "pruned"), JSON.stringify(trials.map((t) => [t.status, t.error])));
    assert.ok(trials.every((t) => t.rungs[0]!.folds.length === 2 && t.rungs[0]!.epochs === 5));
    assert.equal(result.search.status, "complete");
    assert.equal(result.registered?.metadata.tuning?.searchId, "k1");
  } finally {
    server.close();
  }
});

test("tune rejects bad input with coded errors naming the flag", async () => {
  const registry = path.join(dir, "reg-bad");
  const cases: [string[], RegExp][] = [
    [["tune", "--target", "y"], /--data is required .*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data], /--target is required .*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data, "--target", "y", "--budget", "soon"], /--budget must be a duration like 90s, 2m or 1h .*"soon".*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data, "--target", "y", "--sampler", "grid"], /--sampler must be one of tpe, random, got "grid" \[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data, "--target", "y", "--folds", "1"], /--folds must be an integer from 2 to 10, got "1" \[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data, "--target", "y", "--executor", "kubernetes"], /--executor kubernetes needs --job-template .*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--data", data, "--target", "y", "--search-id", "../x"], /--search-id must be 1-63 characters .*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune", "--resume", "nope", "--model", "toy"], /model "toy" has no tuning search "nope" \[MLOPS_ERR_TUNE_SEARCH_NOT_FOUND\]/],
    [["tune", "--resume", "nope"], /--resume needs --model .*\[MLOPS_ERR_CLI_USAGE\]/],
    [["tune-trial", "--model", "toy", "--search", "s"], /give --trial <n>, or --trials .*\[MLOPS_ERR_CLI_USAGE\]/],
  ];
  for (const [args, expected] of cases) {
    let stderr = "";
    const code = await main([...args, "--registry", registry], { out: () => undefined, err: (t) => (stderr += t), isTTY: false });
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, expected, args.join(" "));
  }
});
