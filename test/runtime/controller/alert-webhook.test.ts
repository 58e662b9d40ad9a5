import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { AlertWebhook } from "../../../runtime/src/controller/alert-webhook.ts";
import { BIN, MODEL, type Sandbox, mlops, sandbox, writePolicy } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));

/** An Alertmanager v4 webhook notification, as Alertmanager sends it. */
const notification = (alerts: { alertname: string; model?: string; status?: "firing" | "resolved" }[]) => ({
  receiver: "mlops-controller",
  status: "firing",
  alerts: alerts.map((a) => ({
    status: a.status ?? "firing",
    labels: { alertname: a.alertname, severity: "warning", ...(a.model ? { model: a.model } : {}) },
    annotations: { summary: "dataset drift sustained" },
    startsAt: "2026-11-23T12:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus/graph",
    fingerprint: "abc",
  })),
  groupLabels: { alertname: "MlopsDatasetDrift" },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: "http://alertmanager:9093",
  version: "4",
  groupKey: '{}:{alertname="MlopsDatasetDrift"}',
  truncatedAlerts: 0,
});

async function withWebhook(fn: (base: string, woken: [string, string[]][]) => Promise<void>) {
  const woken: [string, string[]][] = [];
  const hook = new AlertWebhook({ wake: (model, names) => woken.push([model, names]), maxBodyBytes: 4096 });
  const { port } = await hook.listen("127.0.0.1", 0);
  try {
    await fn(`http://127.0.0.1:${port}`, woken);
  } finally {
    await hook.close();
  }
}

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

test("a firing Alertmanager alert wakes the model named by its model label", async () => {
  await withWebhook(async (base, woken) => {
    const res = await post(`${base}/alerts`, notification([{ alertname: "MlopsDatasetDrift", model: "churn" }, { alertname: "MlopsQualityDrop", model: "churn" }, { alertname: "MlopsDatasetDrift", model: "cars", status: "resolved" }, { alertname: "NodeDown" }]));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { woken: ["churn"] });
    assert.deepEqual(woken, [["churn", ["MlopsDatasetDrift", "MlopsQualityDrop"]]]);
  });
});

test("a malformed payload is a 400 naming the field, and wakes nobody", async () => {
  await withWebhook(async (base, woken) => {
    const notJson = await post(`${base}/alerts`, "{not json");
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /body is not JSON/);
    const v3 = await post(`${base}/alerts`, { ...notification([{ alertname: "A", model: "m" }]), version: "3" });
    assert.equal(v3.status, 400);
    assert.match(((await v3.json()) as { error: string }).error, /not an Alertmanager v4 webhook payload: version: /);
    const noName = await post(`${base}/alerts`, { version: "4", status: "firing", alerts: [{ status: "firing", labels: { model: "m" } }] });
    assert.equal(noName.status, 400);
    assert.match(((await noName.json()) as { error: string }).error, /alerts\.0\.labels: must have an alertname/);
    const big = await post(`${base}/alerts`, { version: "4", status: "firing", alerts: [], pad: "x".repeat(5000) });
    assert.equal(big.status, 413);
    assert.deepEqual(woken, []);
  });
});

test("other paths are 404 and other methods 405", async () => {
  await withWebhook(async (base) => {
    const other = await post(`${base}/api/v2/alerts`, notification([]));
    assert.equal(other.status, 404);
    assert.match(((await other.json()) as { error: string }).error, /posts to \/alerts/);
    const get = await fetch(`${base}/alerts`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
  });
});

test("mlops controller --listen runs a pass as soon as an alert for its model arrives", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const file = await writePolicy(box, { model: MODEL, intervalSeconds: 3600 });
  const child = spawn(process.execPath, [BIN, "controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MLOPS_LOG_LEVEL: "debug" },
  });
  let stderr = "";
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const w of waiters.splice(0)) (w.test() ? w.resolve : () => waiters.push(w))();
  });
  const until = (test: () => boolean) => new Promise<void>((resolve) => (test() ? resolve() : waiters.push({ test, resolve })));
  const checks = () => (stderr.match(/"msg":"trigger check"/g) ?? []).length;
  try {
    await until(() => /"msg":"alert webhook listening on POST \/alerts"/.test(stderr) && checks() >= 1);
    const port = Number(/"port":(\d+)/.exec(stderr)?.[1]);
    const other = await post(`http://127.0.0.1:${port}/alerts`, notification([{ alertname: "MlopsDatasetDrift", model: "someone-else" }]));
    assert.deepEqual(await other.json(), { woken: ["someone-else"] });
    const res = await post(`http://127.0.0.1:${port}/alerts`, notification([{ alertname: "MlopsDatasetDrift", model: MODEL }]));
    assert.equal(res.status, 200);
    // The interval is an hour: a second check now can only come from the alert.
    await until(() => checks() >= 2);
    assert.match(stderr, /"msg":"alert received; running a pass now"/);
    assert.equal(checks(), 2);
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = await once(child, "close");
  assert.equal(code, 0, stderr);
  assert.match(stderr, /"msg":"controller stopped"/);
});

test("mlops controller --listen with a malformed address exits 2 naming the flag", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const r = await mlops(["controller", "--policy", await writePolicy(box, { model: MODEL }), "--registry", box.registryDir, "--listen", "localhost"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--listen must be <host>:<port>, got "localhost" \[MLOPS_ERR_CLI_USAGE\]/);
});
