// Issue 17 item 1: feedback is acknowledged only once it is durable (fsync'd to the server's
// feedback log), and what a killed server acknowledged is replayed into the registry at start.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { silentLog } from "../../../runtime/src/log.ts";
import { ModelRegistry, readFeedback } from "../../../runtime/src/registry/index.ts";
import { FeedbackLog } from "../../../runtime/src/serve/feedback-log.ts";
import { createModelServer } from "../../../runtime/src/serve/server.ts";
import { startMlops } from "../../helpers/mlops-process.ts";
import { TINY_MODELS, tinyRows, tinyTargets, trainTinyModels } from "../../helpers/tiny-models.ts";

const MODEL = TINY_MODELS.regression;
let dir: string;
let registryDir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-durable-feedback-"));
  registryDir = path.join(dir, "registry");
  await trainTinyModels(registryDir);
});
after(() => rm(dir, { recursive: true, force: true }));

/** `n` feedback items for rows the server never predicted (so they carry their features). */
const items = (prefix: string, n: number) =>
  tinyRows(n, prefix.length + n).map((row, i) => ({ id: `${prefix}-${i}`, index: 0, label: tinyTargets(row).y, features: row }));

async function startServer(logDir: string) {
  // The monitor never ticks by itself here: only the feedback log stands between an answer and a loss.
  const p = startMlops(["serve", "--registry", registryDir, "--port", "0", "--grpc-port", "0", "--inference-grpc-port", "0", "--feedback-log-dir", logDir, "--monitor-interval-ms", "3600000"], { env: { MLOPS_BACKEND: "wasm" } });
  const m = await p.waitFor(/serving .* on (http:\/\/127\.0\.0\.1:\d+)/);
  return { p, base: m[1]! };
}

describe("durable feedback", () => {
  test("kill -9 at random moments under feedback load loses no acknowledged row (5 runs)", async () => {
    const logDir = path.join(dir, "log-kill");
    const acked = new Set<string>();
    const runs = 5;
    for (let run = 0; run < runs; run++) {
      const { p, base } = await startServer(logDir);
      let stop = false;
      let sent = 0;
      const client = async (c: number) => {
        for (let k = 0; !stop; k++) {
          const batch = items(`r${run}c${c}k${k}`, 20);
          try {
            const res = await fetch(`${base}/v1/models/${MODEL}/feedback`, { method: "POST", body: JSON.stringify({ feedback: batch }) });
            const body = (await res.json()) as { accepted?: number };
            sent++;
            if (res.status === 200) {
              assert.equal(body.accepted, batch.length);
              for (const b of batch) acked.add(b.id);
            }
          } catch {
            return; // the server was killed mid-request: that request was never acknowledged
          }
        }
      };
      const clients = [0, 1, 2, 3].map(client);
      await sleep(200 + Math.random() * 800);
      p.child.kill("SIGKILL");
      stop = true;
      await Promise.all(clients);
      await p.exited;
      assert.ok(sent > 0, `run ${run}: no request was answered before the kill`);
    }
    // A restart replays every segment the killed servers left.
    const { p } = await startServer(logDir);
    assert.equal((await p.stop()).code, 0);
    const stored = new Set((await readFeedback(ModelRegistry.open(registryDir), MODEL)).map((r) => r.id));
    const lost = [...acked].filter((id) => !stored.has(id));
    assert.ok(acked.size > 100, `only ${acked.size} rows were acknowledged over ${runs} runs`);
    assert.deepEqual(lost.length, 0, `${lost.length} of ${acked.size} acknowledged rows lost, e.g. ${lost.slice(0, 3).join(", ")}`);
    assert.deepEqual(await readdir(logDir, { recursive: true }), [], "the replayed log directories are removed");
  });

  test("a replay stores a dead server's rows once, even when a previous replay died between upload and delete", async () => {
    const root = path.join(dir, "log-replay");
    const registry = ModelRegistry.open(registryDir);
    const before = (await readFeedback(registry, MODEL)).length;
    // A server that died: its pid no longer runs on this host.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const orphan = path.join(root, "dead-server");
    await mkdir(path.join(orphan, MODEL), { recursive: true });
    const pidNamespace = (await import("node:fs")).readlinkSync("/proc/self/ns/pid");
    await writeFile(path.join(orphan, "owner.json"), JSON.stringify({ host: hostname(), pid: Number(dead.stdout), pidNamespace, registry: registry.storage.url, startedAt: new Date().toISOString() }));
    const rows = items("orphan", 7).map((it) => ({ id: it.id, index: 0, time: new Date().toISOString(), version: 1, features: it.features, prediction: [], label: it.label }));
    const segment = path.join(orphan, MODEL, `${Date.now()}.1.jsonl`);
    // The last line is torn, as a crash mid-write leaves it: it was never acknowledged.
    await writeFile(segment, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n{"id":"torn`);
    const first = new FeedbackLog(registry, root, "first", silentLog);
    assert.equal(await first.open(), 7);
    await first.close();
    // Put the segment back as if the replaying server had died before deleting it.
    await mkdir(path.join(orphan, MODEL), { recursive: true });
    await writeFile(path.join(orphan, "owner.json"), JSON.stringify({ host: hostname(), pid: Number(dead.stdout), pidNamespace, registry: registry.storage.url, startedAt: new Date().toISOString() }));
    await writeFile(segment, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const second = new FeedbackLog(registry, root, "second", silentLog);
    await second.open();
    await second.close();
    const stored = (await readFeedback(registry, MODEL)).filter((r) => r.id.startsWith("orphan-"));
    assert.equal(stored.length, 7, "stored once");
    assert.equal((await readFeedback(registry, MODEL)).length, before + 7);
  });

  test("a live sibling's log and another registry's log are left alone", async () => {
    const root = path.join(dir, "log-siblings");
    const registry = ModelRegistry.open(registryDir);
    const pidNamespace = (await import("node:fs")).readlinkSync("/proc/self/ns/pid");
    const row = (id: string) => JSON.stringify({ id, index: 0, time: new Date().toISOString(), version: 1, features: { x1: 0, x2: 0, color: "red" }, prediction: [], label: 10 });
    const sibling = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const leave = async (name: string, owner: object, id: string) => {
        await mkdir(path.join(root, name, MODEL), { recursive: true });
        await writeFile(path.join(root, name, "owner.json"), JSON.stringify(owner));
        await writeFile(path.join(root, name, MODEL, `${Date.now()}.1.jsonl`), `${row(id)}\n`);
      };
      const owner = { host: hostname(), pidNamespace, startedAt: new Date().toISOString() };
      await leave("live-sibling", { ...owner, pid: sibling.pid, registry: registry.storage.url }, "sibling-0");
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
      await leave("other-registry", { ...owner, pid: Number(dead.stdout), registry: "file:///somewhere/else" }, "elsewhere-0");
      const starting = new FeedbackLog(registry, root, "starting", silentLog);
      assert.equal(await starting.open(), 0);
      await starting.close();
      const ids = new Set((await readFeedback(registry, MODEL)).map((r) => r.id));
      assert.ok(!ids.has("sibling-0") && !ids.has("elsewhere-0"));
      assert.deepEqual((await readdir(root)).sort(), ["live-sibling", "other-registry"]);
    } finally {
      sibling.kill("SIGKILL");
    }
  });

  test("a server whose feedback log cannot be written refuses to start, naming the directory", async () => {
    const file = path.join(dir, "not-a-directory");
    await writeFile(file, "");
    const server = createModelServer(ModelRegistry.open(registryDir), { port: 0, grpcPort: 0, inferenceGrpcPort: 0, feedbackLogDir: path.join(file, "log") });
    await assert.rejects(server.listen(), (err: Error & { code: string }) => {
      assert.equal(err.code, "MLOPS_ERR_SERVER_FEEDBACK_LOG");
      assert.match(err.message, /not-a-directory\/log/);
      return true;
    });
    await server.close();
  });

  test("without a log directory each feedback request is written to the registry before it is answered", async () => {
    const server = createModelServer(ModelRegistry.open(registryDir), { port: 0, grpcPort: 0, inferenceGrpcPort: 0, feedbackLogDir: null, monitorIntervalMs: 3_600_000 });
    const base = await server.listen();
    try {
      const batch = items("direct", 5);
      const res = await fetch(`${base}/v1/models/${MODEL}/feedback`, { method: "POST", body: JSON.stringify({ feedback: batch }) });
      assert.equal(res.status, 200);
      const stored = (await readFeedback(ModelRegistry.open(registryDir), MODEL)).filter((r) => r.id.startsWith("direct-"));
      assert.equal(stored.length, 5, "stored before the answer, with no monitor tick");
    } finally {
      await server.close();
    }
  });
});
