// The retraining trigger as it runs on a cluster, with the real parts as processes on 127.0.0.1:
//   mlops serve  →  Prometheus (scraping it, evaluating the platform's rules)  →  Alertmanager (the config
//   the operator generates from the platform's AlertmanagerConfigs)  →  mlops controller --listen  →
//   retrain, gate, canary.
// Drifted traffic with labels flows into the server; the test asserts the chain's events in the model's
// history and that Alertmanager's own notification reached the controller's webhook and the stack's receiver.
// Time is kept small with test-time settings the generators support: 1 s scrape/evaluation intervals, the
// drift rule's `for:` through its `driftFor` threshold, 1 s Alertmanager grouping.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { alertRuleGroups } from "../../components/kubernetes/alert-rules.ts";
import { listEvents } from "../../runtime/src/registry/index.ts";
import { alertmanagerPayload } from "../../runtime/src/controller/alert-webhook.ts";
import { setupPulumiMocks } from "../helpers/pulumi-mocks.ts";
import { PLATFORM_NAMESPACES, renderPlatformAlerting } from "../helpers/platform-alerting.ts";
import { requireTool } from "../helpers/prometheus-tools.ts";
import { MLOPS_BIN } from "../helpers/run-cli.ts";
import { tinyTargets } from "../helpers/tiny-models.ts";
import { MODEL, type Sandbox, sandbox, writePolicy } from "../runtime/controller/setup.ts";

const mocks = setupPulumiMocks();
const children: { name: string; child: ChildProcess; output: string[] }[] = [];
const servers: Server[] = [];
let box: Sandbox | undefined;

after(async () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(children.map(({ child }) => (child.exitCode === null && child.signalCode === null ? once(child, "close") : undefined)));
  for (const s of servers) s.close();
  if (box) await rm(box.dir, { recursive: true, force: true });
});

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function start(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: string[] } {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const entry = { name, child, output: [] as string[] };
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (d: Buffer) => entry.output.push(...d.toString("utf8").split("\n").filter(Boolean)));
  children.push(entry);
  return entry;
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadline: number): Promise<T> {
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tails = children.map((c) => `--- ${c.name}\n${c.output.slice(-15).join("\n")}`).join("\n");
  throw new Error(`timed out waiting for ${what}\n${tails}`);
}

async function ready(url: string): Promise<boolean | undefined> {
  try {
    return (await fetch(url)).ok || undefined;
  } catch {
    return undefined;
  }
}

test("drifted traffic → Prometheus alert → Alertmanager → controller webhook → retrain, gate, canary", { timeout: 120_000 }, async () => {
  const deadline = Date.now() + 100_000;
  const prometheusBin = requireTool("prometheus");
  const alertmanagerBin = requireTool("alertmanager");
  box = await sandbox();
  const work = path.join(box.dir, "e2e");
  await mkdir(work, { recursive: true });
  const [servePort, promPort, amPort, hookPort] = [await freePort(), await freePort(), await freePort(), await freePort()];

  // The stack's own receiver: a webhook the test runs, to see what Alertmanager sends besides the controller.
  const teamPayloads: unknown[] = [];
  const team = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      teamPayloads.push(JSON.parse(body));
      res.end("ok");
    });
  });
  servers.push(team);
  await new Promise<void>((resolve) => team.listen(0, "127.0.0.1", resolve));
  const teamUrl = `http://127.0.0.1:${(team.address() as AddressInfo).port}/team`;

  // 1. The server with the tiny regression model.
  const serve = start("mlops serve", process.execPath, [MLOPS_BIN, "serve", "--registry", box.registryDir, "--host", "127.0.0.1", "--port", String(servePort), "--grpc-port", "off", "--inference-grpc-port", "off", "--poll-interval-ms", "200", "--monitor-interval-ms", "500", "--drift-window", "150"], { MLOPS_BACKEND: "wasm" });
  const base = `http://127.0.0.1:${servePort}`;
  await until("mlops serve", () => ready(`${base}/v2/health/ready`), deadline);

  // 2. The controller, woken only by alerts: its interval is far longer than the test.
  const policy = await writePolicy(box, {
    model: MODEL,
    intervalSeconds: 3600,
    cooldownSeconds: 1,
    trigger: { persistChecks: 1, minWindowRows: 100, maxSnapshotAgeSeconds: 30 },
    training: { referenceData: box.reference, recentRows: 300, holdoutRows: 60 },
    gate: { minHoldoutRows: 40 },
    rollout: { steps: [0.5, 1], dwellSeconds: 2, minRequestsPerStep: 5 },
    executor: { timeoutSeconds: 90, retries: 0, backoffSeconds: 1 },
  });
  const controller = start("mlops controller", process.execPath, [MLOPS_BIN, "controller", "--policy", policy, "--registry", box.registryDir, "--work-dir", box.workDir, "--listen", `127.0.0.1:${hookPort}`], { MLOPS_BACKEND: "wasm" });
  await until("the controller's webhook", () => (controller.output.some((l) => l.includes("alert webhook listening")) ? true : undefined), deadline);

  // 3. Alertmanager with the config the operator generates from the platform's AlertmanagerConfigs, the
  //    controller's in-cluster Service URL pointed at the local controller and grouping shortened.
  const { config } = await renderPlatformAlerting(mocks, { receivers: [{ name: "team", webhook: { url: teamUrl } }], defaultReceiver: "team" }, { model: MODEL });
  const text = stringify(config).replace(/http:\/\/[\w.-]+\.svc\.cluster\.local:8080\/alerts/g, `http://127.0.0.1:${hookPort}/alerts`);
  assert.ok(text.includes(`127.0.0.1:${hookPort}/alerts`), "the controller's webhook receiver is in the generated config");
  const fast = text.replace(/group_wait: \w+/g, "group_wait: 1s").replace(/group_interval: \w+/g, "group_interval: 1s");
  await writeFile(path.join(work, "alertmanager.yml"), fast);
  const alertmanager = start("alertmanager", alertmanagerBin, [`--config.file=${path.join(work, "alertmanager.yml")}`, `--storage.path=${path.join(work, "am-data")}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="]);
  await until("Alertmanager", () => ready(`http://127.0.0.1:${amPort}/-/ready`), deadline);

  // 4. Prometheus scraping the server as the ServiceMonitor would (namespace label of the runtime), with the
  //    platform's rules; the drift rule's `for:` shortened through its own threshold.
  await writeFile(path.join(work, "rules.yml"), stringify({ groups: alertRuleGroups({ driftFor: "2s" }) }));
  await writeFile(
    path.join(work, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [path.join(work, "rules.yml")],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [{ job_name: "mlops-serving", static_configs: [{ targets: [`127.0.0.1:${servePort}`], labels: { namespace: PLATFORM_NAMESPACES.runtime } }] }],
    }),
  );
  const prometheus = start("prometheus", prometheusBin, [`--config.file=${path.join(work, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(work, "prom-data")}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  await until("Prometheus", () => ready(`http://127.0.0.1:${promPort}/-/ready`), deadline);

  // 5. The world moves: x1 and x2 shift beyond the training range (2 of 3 columns drift, over Evidently's 0.5
  //    dataset-drift share); true labels come back as feedback.
  let seed = 99;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const colors = ["red", "green", "blue"] as const;
  let stop = false;
  const traffic = (async () => {
    while (!stop) {
      const rows = Array.from({ length: 10 }, () => ({ x1: Math.round((2.5 + random() * 2) * 1e4) / 1e4, x2: Math.round((-4.5 + random() * 2) * 1e4) / 1e4, color: colors[Math.floor(random() * 3)]! }));
      for (const row of rows) {
        const r = await fetch(`${base}/v1/models/${MODEL}:predict`, { method: "POST", body: JSON.stringify({ instances: [row] }) }).catch(() => undefined);
        if (!r?.ok) continue;
        const body = (await r.json()) as { id: string };
        await fetch(`${base}/v1/models/${MODEL}/feedback`, { method: "POST", body: JSON.stringify({ feedback: [{ id: body.id, label: tinyTargets(row).y }] }) }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  try {
    // Prometheus sees the drift and fires; Alertmanager routes it; the controller wakes and runs the cycle.
    await until("MlopsDatasetDriftSustained firing in Prometheus", async () => {
      const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return r.data.alerts.find((a) => a.labels.alertname === "MlopsDatasetDriftSustained" && a.state === "firing");
    }, deadline);
    const woke = await until("the controller's webhook to receive Alertmanager's notification", () => controller.output.find((l) => l.includes("alert received; running a pass now")), deadline);
    assert.match(woke, /MlopsDatasetDriftSustained/);
    const events = await until("retrain, gate and the first canary step in the model history", async () => {
      const e = (await listEvents(box!.registry, MODEL)).filter((x) => x.actor === "controller");
      return e.some((x) => x.type === "canary-step") ? e : undefined;
    }, deadline);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 5), ["drift-detected", "retrain-started", "retrain-finished", "gate-passed", "canary-step"], JSON.stringify(events, null, 2));
    assert.equal(events.find((e) => e.type === "retrain-finished")?.version, 2);

    // Alertmanager's own payload, as the stack's receiver got it (the controller got the same group).
    const payload = await until("Alertmanager's notification at the stack's receiver", () => teamPayloads.find((p) => JSON.stringify(p).includes("MlopsDatasetDriftSustained")), deadline);
    const parsed = alertmanagerPayload.parse(payload);
    assert.match(parsed.receiver ?? "", /\/team$/);
    assert.ok(parsed.groupKey, "an Alertmanager group key");
    const alert = parsed.alerts.find((a) => a.labels.alertname === "MlopsDatasetDriftSustained")!;
    assert.equal(alert.status, "firing");
    assert.deepEqual([alert.labels.namespace, alert.labels.model, alert.labels.mlops_trigger], [PLATFORM_NAMESPACES.runtime, MODEL, "retrain"]);
  } finally {
    stop = true;
    await traffic;
    for (const c of [prometheus, alertmanager, controller, serve]) c.child.kill("SIGTERM");
    await Promise.all([prometheus, alertmanager, controller, serve].map((c) => (c.child.exitCode === null && c.child.signalCode === null ? once(c.child, "close") : undefined)));
  }
  assert.equal(serve.child.exitCode, 0, "mlops serve stopped cleanly");
  assert.equal(controller.child.exitCode, 0, "the controller stopped cleanly");
});
