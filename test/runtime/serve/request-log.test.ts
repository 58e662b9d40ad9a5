// The server's access log: fastify runs on the runtime's pino logger, one line per request carrying its
// request id, with kubelet probes and Prometheus scrapes kept out of the info level.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { type ModelServer, createModelServer } from "../../../runtime/src/serve/server.ts";
import { runMlops } from "../../helpers/run-cli.ts";
import { tinyRows, trainTinyModels } from "../../helpers/tiny-models.ts";

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  model?: string;
  version?: string;
}

let dir = "";
let names: Awaited<ReturnType<typeof trainTinyModels>>;
const started: { server: ModelServer; lines: Line[]; base: string }[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mlops-request-log-"));
  names = await trainTinyModels(path.join(dir, "registry"));
});
after(async () => {
  for (const s of started) await s.server.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(level: string) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const server = createModelServer(ModelRegistry.open(path.join(dir, "registry")), { port: 0, grpcPort: null, inferenceGrpcPort: null }, pino({ level }, sink));
  const base = await server.listen();
  const s = { server, lines, base };
  started.push(s);
  return s;
}

const requests = (lines: Line[]) => lines.filter((l) => l.msg === "request" || l.msg === "request errored");

test("logs one line per request with its id, status, duration, model and version; probes and /metrics only at debug", async () => {
  const { base, lines } = await start("info");
  const [row] = tinyRows(1, 7);
  const res = await fetch(`${base}/v1/models/${names.regression}:predict`, { method: "POST", body: JSON.stringify({ instances: [row] }), headers: { "x-request-id": "req-abc-123" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-request-id"), "req-abc-123", "the id is echoed for the client");
  for (const p of ["/metrics", "/v2/health/ready", "/v2/health/live"]) assert.equal((await fetch(`${base}${p}`)).status, 200, p);
  const missing = await fetch(`${base}/v1/models/nope:predict`, { method: "POST", body: JSON.stringify({ instances: [row] }) });
  assert.equal(missing.status, 404);
  const generated = missing.headers.get("x-request-id");
  assert.ok(generated, "a request without an id gets one");
  await new Promise((r) => setTimeout(r, 50));
  const logged = requests(lines);
  assert.deepEqual(logged.map((l) => [l.level, l.method, l.path, l.status]), [
    [30, "POST", `/v1/models/${names.regression}:predict`, 200],
    [30, "POST", "/v1/models/nope:predict", 404],
  ]);
  const [predict, notFound] = logged as [Line, Line];
  assert.equal(predict.reqId, "req-abc-123");
  assert.equal(predict.model, names.regression);
  assert.equal(predict.version, "1");
  assert.ok(typeof predict.ms === "number" && predict.ms >= 0);
  assert.equal(notFound.reqId, generated);
  assert.ok(!lines.some((l) => l.msg === "incoming request"), "one line per request, not two");
});

test("at debug the probes and scrapes are logged too", async () => {
  const { base, lines } = await start("debug");
  await fetch(`${base}/metrics`);
  await fetch(`${base}/v2/health/ready`);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(requests(lines).map((l) => [l.level, l.path]), [[20, "/metrics"], [20, "/v2/health/ready"]]);
});

test("mlops serve takes --log-level and rejects an unknown level, naming the flag", async () => {
  const bad = await runMlops(["serve", "--registry", path.join(dir, "registry"), "--port", "0", "--log-level", "loud"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
  const help = await runMlops(["serve", "--help"]);
  assert.match(help.stdout, /--log-level <level>/);
});
