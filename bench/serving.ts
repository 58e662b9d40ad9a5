// Serving benchmark: requests/s and p50/p99 latency of predict requests against (a) `mlops serve`
// over a freshly trained cars-mpg model and (b) a bare server answering the same reply bytes (the
// ceiling). REST: 1-row requests at 1, 16 and 64 connections and 64-row requests at 64, against a
// bare node:http server, plus the Open Inference Protocol v2 endpoint at 64; load from wrk (one
// thread). gRPC: TF Serving Predict (1 and 64 rows) and OIP ModelInfer (raw tensors, 1 row) at 64
// connections against a bare @grpc/grpc-js server, load from bench/grpc-load.ts (a bounded Node
// generator over @grpc/grpc-js). Every server and load generator is its own process.
//
// usage: node bench/serving.ts [--duration <s>] [--connections 1,16,64] [--threads 1]
//                              [--backends default | tfjs-node,wasm,cpu] [--repeat <n>] [--registry <dir>]
//                              [--feedback log,direct | none] [--baseline-bin <mlops.js>]
//   --log-level is passed to mlops serve (default warn: the info level writes one access-log line
//   per request to stderr, synchronously, which this benchmark would otherwise measure too).
//   --backends starts one mlops server per listed backend (default: one, on the backend the
//   runtime picks itself, or MLOPS_BACKEND when set); each adds ~45 s at the default duration.
//   --feedback measures POST /v1/models/cars-mpg/feedback (1 and 20 labelled rows per request) on
//   one server per durability mode: "log" (fsync'd feedback log, the default) and "direct" (each
//   request written to the registry); --baseline-bin adds a server from another checkout (e.g.
//   the code before durable feedback, which acknowledged rows held only in memory).
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../runtime/src/serve/grpc/protos.ts";
import { type Child, MLOPS, MODEL, addonBuilt, fmt, hasCommand, machineLine, markdownTable, run, startChild, tempDir, benchRegistry, flag, ROOT } from "./lib.ts";

/** What one wrk run measured. */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

const DURATION = Number(flag("duration", "10"));
const CONNECTIONS = flag("connections", "1,16,64").split(",").map(Number);
const THREADS = Number(flag("threads", "1"));
/** Runs per configuration; with more than one the table shows medians. */
const REPEAT = Number(flag("repeat", "1"));
/** Log level of the mlops servers (`info` adds the per-request access log). */
const LOG_LEVEL = flag("log-level", "warn");
/** mlops servers to start: "default" lets the runtime pick (MLOPS_BACKEND if set); or a list like tfjs-node,wasm,cpu. */
const BACKENDS = flag("backends", "default").split(",");
/** Feedback durability modes to measure ("none" skips the feedback runs). */
const FEEDBACK = flag("feedback", "log,direct").split(",").filter((m) => m !== "none");
/** An `mlops.js` from another checkout, measured on the feedback endpoint as the baseline. */
const BASELINE_BIN = flag("baseline-bin");
/** Targets (issue 16): at 64 connections, 1-row requests >= 60 % and 64-row requests >= 50 % of the ceiling's requests/s, same run. */
const TARGETS = [
  { rows: 1, share: 0.6 },
  { rows: 64, share: 0.5 },
];
const TARGET_CONNECTIONS = 64;

const toMs = (value: string, unit: string): number => Number(value) * ({ us: 1e-3, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[unit]!;

/** Parses wrk's --latency report. */
export function parseWrk(out: string): WrkResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s+(\d+) requests in/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps) throw new Error(`cannot read wrk output:\n${out}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: pct("50"),
    p99Ms: pct("99"),
    requests: Number(total?.[1] ?? 0),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: sock ? sock.slice(1).reduce((s, v) => s + Number(v), 0) : 0,
  };
}

/** A wrk Lua script that POSTs `body` as JSON. */
const luaScript = (body: string) => `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`;

async function wrk(url: string, script: string, connections: number, seconds: number): Promise<WrkResult> {
  const threads = Math.min(THREADS, connections);
  const r = await run("wrk", [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s", "-s", script, url], { timeoutMs: (seconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${r.stderr}${r.stdout}`);
  return parseWrk(r.stdout);
}

/** Sum and count of a histogram for the benchmark model, from Prometheus text. */
function histogram(text: string, name: string): { sum: number; count: number } {
  const read = (suffix: string) => {
    let total = 0;
    for (const line of text.split("\n")) if (line.startsWith(`${name}_${suffix}{`) && line.includes(`model="${MODEL}"`)) total += Number(line.split(" ").at(-1));
    return total;
  };
  return { sum: read("sum"), count: read("count") };
}

/** Batching counters for the model, read from /metrics. */
async function batching(base: string): Promise<{ rows: { sum: number; count: number }; requests: { sum: number; count: number } }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return { rows: histogram(text, "mlops_batch_size_rows"), requests: histogram(text, "mlops_batch_size_requests") };
}

/** One measured configuration. */
interface Row {
  server: string;
  protocol: "REST" | "gRPC";
  endpoint: string;
  /** Rows per request. */
  rows: number;
  connections: number;
  result: WrkResult;
  /** Mean rows (= requests, single-row bodies) per model call during the run. */
  meanBatch?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Collapses repeated runs of each configuration into one row of per-column medians (errors summed). */
function medians(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.server}|${r.protocol}|${r.endpoint}|${r.rows}|${r.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const pick = (f: (r: WrkResult) => number) => median(g.map((r) => f(r.result)));
    const batches = g.map((r) => r.meanBatch).filter((b): b is number => b !== undefined);
    return {
      server: g[0]!.server,
      protocol: g[0]!.protocol,
      endpoint: g[0]!.endpoint,
      rows: g[0]!.rows,
      connections: g[0]!.connections,
      result: {
        requestsPerSecond: pick((r) => r.requestsPerSecond),
        p50Ms: pick((r) => r.p50Ms),
        p99Ms: pick((r) => r.p99Ms),
        requests: g.reduce((s, r) => s + r.result.requests, 0),
        non2xx: g.reduce((s, r) => s + r.result.non2xx, 0),
        socketErrors: g.reduce((s, r) => s + r.result.socketErrors, 0),
      },
      ...(batches.length ? { meanBatch: median(batches) } : {}),
    };
  });
}

/** Runs bench/grpc-load.ts against `target` (a child process, like wrk). */
async function grpcLoad(target: string, method: string, bodyFile: string, connections: number, seconds: number): Promise<WrkResult> {
  const r = await run(process.execPath, [path.join(ROOT, "bench", "grpc-load.ts"), "--target", target, "--method", method, "--body", bodyFile, "--connections", String(connections), "--duration", String(seconds)], { timeoutMs: (seconds + 60) * 1000 });
  if (r.code !== 0) throw new Error(`grpc-load failed (${r.code}): ${r.stderr}`);
  const o = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { requests: number; errors: number; firstError: string; requestsPerSecond: number; p50Ms: number; p99Ms: number };
  if (o.errors > 0) console.error(`  grpc-load ${method}: ${o.errors} errors, first: ${o.firstError}`);
  return { requestsPerSecond: o.requestsPerSecond, p50Ms: o.p50Ms, p99Ms: o.p99Ms, requests: o.requests, non2xx: o.errors, socketErrors: 0 };
}

/** One unary call with raw bytes both ways: the model server's exact reply, for the gRPC ceiling. */
function grpcCall(target: string, method: string, body: Buffer): Promise<Buffer> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, body, (err, reply) => {
      client.close();
      if (err || !reply) reject(new Error(`${method} probe failed: ${err?.code} ${err?.details}`));
      else resolve(reply);
    }),
  );
}

const PREDICT = "/tensorflow.serving.PredictionService/Predict";
const INFER = "/inference.GRPCInferenceService/ModelInfer";

if (import.meta.main) {
  if (!hasCommand("wrk")) {
    console.error("bench/serving.ts needs wrk (HTTP load generator), which is not on PATH.\n  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk\n  macOS:         brew install wrk");
    process.exit(2);
  }
  console.log(`# serving benchmark\n${machineLine()}\nwrk -t${THREADS} -d${DURATION}s --latency (REST), bench/grpc-load.ts (gRPC); connections ${CONNECTIONS.join(", ")}; ${REPEAT} run(s) each; mlops serve --log-level ${LOG_LEVEL}\n`);
  const tmp = await tempDir("serving");
  const children: Child[] = [];
  const stopAll = () => Promise.all(children.map((c) => c.stop()));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    const t0 = performance.now();
    const registry = await benchRegistry(tmp);
    console.log(`registry ${registry} (${flag("registry") ? "given" : `cars-mpg trained with mlops train in ${((performance.now() - t0) / 1000).toFixed(1)} s`})`);

    // One mlops server per requested backend (default: the runtime's own choice), all on the same registry.
    const servers: { label: string; child: Child; tfGrpc: string; oipGrpc: string }[] = [];
    for (const b of BACKENDS) {
      const { MLOPS_BACKEND: inherited, ...rest } = process.env;
      const backend = b === "default" ? inherited : b;
      const child = await startChild([MLOPS, "serve", "--registry", registry, "--port", "0", "--grpc-port", "0", "--inference-grpc-port", "0", "--log-level", LOG_LEVEL, "--feedback-log-dir", path.join(tmp, `feedback-log-${b}`)], backend ? { ...rest, MLOPS_BACKEND: backend } : rest);
      children.push(child);
      const g = /TF Serving gRPC (\S+), inference gRPC (\S+)\)/.exec(child.stderr());
      if (!g) throw new Error(`no gRPC addresses in: ${child.stderr()}`);
      // The backend line is logged at info; below that the label says what was asked for.
      const chosen = /"backend":"([^"]+)"/.exec(child.stderr())?.[1] ?? backend ?? (addonBuilt("tfjs-node") ? "tfjs-node?" : "wasm");
      servers.push({ label: `mlops (${chosen})`, child, tfGrpc: g[1]!, oipGrpc: g[2]! });
    }

    // Later-year cars (1977+), as the demo replays them; Origin is categorical.
    const instance = { Cylinders: 4, Displacement: 97, Horsepower: 75, Weight_in_lbs: 2265, Acceleration: 18.2, Origin: "Japan" };
    const origins = ["USA", "Europe", "Japan"];
    const instances = (n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? instance : { ...instance, Weight_in_lbs: 2000 + 10 * i, Horsepower: 70 + (i % 40), Origin: origins[i % 3]! }));
    const v1Body = (n: number) => JSON.stringify({ instances: instances(n) });
    const v2Body = JSON.stringify({
      inputs: Object.entries(instance).map(([name, v]) => ({ name, shape: [1], datatype: typeof v === "string" ? "BYTES" : "FP32", data: [v] })),
    });
    const v1Path = `/v1/models/${MODEL}:predict`;
    const v2Path = `/v2/models/${MODEL}/infer`;
    // gRPC requests as a tensorflow-serving-api client (one TensorProto per feature) and tritonclient.grpc (raw_input_contents) send them.
    const PredictRequest = messageType("tensorflow.serving.PredictRequest");
    const ModelInferRequest = messageType("inference.ModelInferRequest");
    const predictRequest = (n: number) => {
      const rows = instances(n);
      const inputs = Object.fromEntries(
        Object.keys(instance).map((f) => {
          const values = rows.map((r) => (r as Record<string, string | number>)[f]!);
          const shape = { dim: [{ size: n }] };
          return [f, typeof values[0] === "string" ? { dtype: 7, tensor_shape: shape, string_val: values.map((v) => Buffer.from(String(v))) } : { dtype: 1, tensor_shape: shape, float_val: values }];
        }),
      );
      return Buffer.from(PredictRequest.encode({ model_spec: { name: MODEL }, inputs }).finish());
    };
    const inferRequest = () => {
      const entries = Object.entries(instance);
      const raw = entries.map(([, v]) => {
        if (typeof v !== "string") return Buffer.from(new Float32Array([v]).buffer);
        const b = Buffer.from(v);
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        return Buffer.concat([len, b]);
      });
      return Buffer.from(ModelInferRequest.encode({ model_name: MODEL, inputs: entries.map(([name, v]) => ({ name, datatype: typeof v === "string" ? "BYTES" : "FP32", shape: [1] })), raw_input_contents: raw }).finish());
    };
    const grpcCases = [
      { endpoint: "TF Predict", rows: 1, method: PREDICT, body: predictRequest(1), api: "tfGrpc" as const },
      { endpoint: "TF Predict", rows: 64, method: PREDICT, body: predictRequest(64), api: "tfGrpc" as const },
      { endpoint: "OIP ModelInfer (raw)", rows: 1, method: INFER, body: inferRequest(), api: "oipGrpc" as const },
    ];

    const replies = new Map<number, string>();
    for (const s of servers) {
      for (const [p, body, rows] of [[v1Path, v1Body(1), 1], [v1Path, v1Body(64), 64], [v2Path, v2Body, 1]] as const) {
        const res = await fetch(`${s.child.url}${p}`, { method: "POST", body, headers: { "content-type": "application/json" } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${s.label} ${p} probe failed: ${res.status} ${text}`);
        if (p === v1Path) replies.set(rows, text);
      }
      console.log(`${s.label} on ${s.child.url} (gRPC ${s.tfGrpc}, ${s.oipGrpc}): ${v1Body(1).length} B request → ${replies.get(1)}; 64 rows: ${v1Body(64).length} B → ${replies.get(64)!.length} B`);
    }

    // The ceilings answer with the very bytes the model server returned.
    const ceilings = new Map<number, Child>();
    for (const rows of [1, 64]) {
      const c = await startChild([path.join(ROOT, "bench", "ceiling-server.ts"), replies.get(rows)!]);
      children.push(c);
      ceilings.set(rows, c);
    }
    const grpcReplyArgs: string[] = [];
    for (const [i, g] of grpcCases.entries()) {
      const reply = await grpcCall(servers[0]![g.api], g.method, g.body);
      const requestFile = path.join(tmp, `grpc-${i}.req`);
      await writeFile(requestFile, g.body);
      (g as typeof g & { file: string }).file = requestFile;
      // The ceiling answers one reply per method; the 64-row Predict gets its own ceiling below.
      if (g.rows === 1) {
        const replyFile = path.join(tmp, `grpc-${i}.reply`);
        await writeFile(replyFile, reply);
        grpcReplyArgs.push(`${g.method}=${replyFile}`);
      } else {
        const replyFile = path.join(tmp, `grpc-${i}.reply`);
        await writeFile(replyFile, reply);
        const c = await startChild([path.join(ROOT, "bench", "grpc-ceiling-server.ts"), `${g.method}=${replyFile}`]);
        children.push(c);
        (g as typeof g & { ceiling?: string }).ceiling = c.url.replace("http://", "");
      }
    }
    const grpcCeiling = await startChild([path.join(ROOT, "bench", "grpc-ceiling-server.ts"), ...grpcReplyArgs]);
    children.push(grpcCeiling);
    console.log(`ceilings: node:http ${[...ceilings.values()].map((c) => c.url).join(", ")}; gRPC ${grpcCeiling.url}\n`);

    const scripts = new Map<string, string>();
    for (const [name, body] of [["v1-1", v1Body(1)], ["v1-64", v1Body(64)], ["v2-1", v2Body]] as const) {
      const f = path.join(tmp, `${name}.lua`);
      await writeFile(f, luaScript(body));
      scripts.set(name, f);
    }

    const raw: Row[] = [];
    // Warm up (JIT, connection setup) at the highest concurrency before measuring.
    const warmC = Math.max(...CONNECTIONS, TARGET_CONNECTIONS);
    const warm = Math.min(3, DURATION);
    await wrk(`${ceilings.get(1)!.url}/`, scripts.get("v1-1")!, warmC, warm);
    for (const s of servers) {
      await wrk(`${s.child.url}${v1Path}`, scripts.get("v1-1")!, warmC, warm);
      await wrk(`${s.child.url}${v1Path}`, scripts.get("v1-64")!, warmC, warm);
      for (const g of grpcCases) await grpcLoad(s[g.api], g.method, (g as typeof g & { file: string }).file, warmC, warm);
    }
    const report = (row: Row) => {
      raw.push(row);
      const r = row.result;
      console.error(`  ${row.server.padEnd(18)} ${row.protocol.padEnd(4)} ${row.endpoint.padEnd(22)} rows=${String(row.rows).padStart(2)} c=${String(row.connections).padStart(2)}: ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${row.meanBatch !== undefined ? `, mean batch ${row.meanBatch.toFixed(2)}` : ""}${r.non2xx || r.socketErrors ? `, ${r.non2xx} errors, ${r.socketErrors} socket errors` : ""}`);
    };
    const measure = async (server: string, protocol: Row["protocol"], endpoint: string, rows: number, c: number, load: () => Promise<WrkResult>, metricsFrom?: string) => {
      const before = metricsFrom ? await batching(metricsFrom) : undefined;
      const result = await load();
      const row: Row = { server, protocol, endpoint, rows, connections: c, result };
      if (before && metricsFrom) {
        const after = await batching(metricsFrom);
        const calls = after.rows.count - before.rows.count;
        row.meanBatch = calls > 0 ? (after.rows.sum - before.rows.sum) / calls : Number.NaN;
      }
      report(row);
    };
    // Ceiling and mlops alternate in each configuration, so drift on a shared machine hits both alike.
    for (let rep = 0; rep < REPEAT; rep++) {
      for (const c of CONNECTIONS) {
        await measure("ceiling", "REST", "POST / (fixed body)", 1, c, () => wrk(`${ceilings.get(1)!.url}/`, scripts.get("v1-1")!, c, DURATION));
        for (const s of servers) await measure(s.label, "REST", `v1 ${MODEL}:predict`, 1, c, () => wrk(`${s.child.url}${v1Path}`, scripts.get("v1-1")!, c, DURATION), s.child.url);
      }
      const c = TARGET_CONNECTIONS;
      await measure("ceiling", "REST", "POST / (fixed body)", 64, c, () => wrk(`${ceilings.get(64)!.url}/`, scripts.get("v1-64")!, c, DURATION));
      for (const s of servers) await measure(s.label, "REST", `v1 ${MODEL}:predict`, 64, c, () => wrk(`${s.child.url}${v1Path}`, scripts.get("v1-64")!, c, DURATION), s.child.url);
      for (const s of servers) await measure(s.label, "REST", `v2 ${MODEL}/infer`, 1, c, () => wrk(`${s.child.url}${v2Path}`, scripts.get("v2-1")!, c, DURATION), s.child.url);
      for (const g of grpcCases) {
        const file = (g as typeof g & { file: string }).file;
        const ceilingAt = (g as typeof g & { ceiling?: string }).ceiling ?? grpcCeiling.url.replace("http://", "");
        await measure("ceiling", "gRPC", `${g.endpoint} (fixed reply)`, g.rows, c, () => grpcLoad(ceilingAt, g.method, file, c, DURATION));
        for (const s of servers) await measure(s.label, "gRPC", g.endpoint, g.rows, c, () => grpcLoad(s[g.api], g.method, file, c, DURATION), s.child.url);
      }
    }
    // Feedback: what acknowledging only durable rows costs, per mode (and the baseline's in-memory acks).
    const feedbackServers: { label: string; child: Child }[] = [];
    for (const mode of FEEDBACK) {
      const logFlag = mode === "direct" ? "none" : path.join(tmp, "feedback-log-bench");
      const child = await startChild([MLOPS, "serve", "--registry", registry, "--port", "0", "--grpc-port", "0", "--inference-grpc-port", "0", "--log-level", LOG_LEVEL, "--feedback-log-dir", logFlag]);
      children.push(child);
      feedbackServers.push({ label: mode === "direct" ? "direct to registry" : "fsync'd log", child });
    }
    if (BASELINE_BIN) {
      const child = await startChild([path.resolve(BASELINE_BIN), "serve", "--registry", registry, "--port", "0"]);
      children.push(child);
      feedbackServers.push({ label: "baseline (memory)", child });
    }
    const label = 31.5;
    const fbBody = (n: number) => JSON.stringify({ feedback: Array.from({ length: n }, (_, i) => ({ id: `bench-${i}`, index: 0, label, features: instance })) });
    const fbScripts: [number, string][] = [];
    for (const n of [1, 20]) {
      const file = path.join(tmp, `feedback-${n}.lua`);
      await writeFile(file, luaScript(fbBody(n)));
      fbScripts.push([n, file]);
      for (const s of feedbackServers) {
        const res = await fetch(`${s.child.url}/v1/models/${MODEL}/feedback`, { method: "POST", body: fbBody(n) });
        if (res.status !== 200) throw new Error(`${s.label} feedback probe failed: ${res.status} ${await res.text()}`);
      }
    }
    for (const s of feedbackServers) await wrk(`${s.child.url}/v1/models/${MODEL}/feedback`, fbScripts[0]![1], warmC, warm);
    for (let rep = 0; rep < REPEAT; rep++) {
      for (const c of CONNECTIONS) {
        for (const [n, script] of fbScripts) {
          for (const s of feedbackServers) {
            const url = `${s.child.url}/v1/models/${MODEL}/feedback`;
            await measure(s.label, "REST", "v1 feedback", n, c, () => wrk(url, script, c, DURATION));
          }
        }
      }
    }
    const rows = REPEAT > 1 ? medians(raw) : raw;

    console.log(REPEAT > 1 ? `\nmedians of ${REPEAT} runs per row (each column separately):` : "");
    const ceilingOf = (r: Row) =>
      rows.find((x) => x.server === "ceiling" && x.protocol === r.protocol && x.rows === r.rows && x.connections === r.connections && (r.protocol === "REST" || x.endpoint.startsWith(r.endpoint)));
    console.log(
      markdownTable(
        ["server", "protocol", "endpoint", "rows/req", "conns", "req/s", "% of ceiling", "p50 ms", "p99 ms", "mean batch (rows/model call)", "errors"],
        rows.map((r) => {
          const ceil = r.server === "ceiling" ? undefined : ceilingOf(r);
          return [
            r.server,
            r.protocol,
            r.endpoint,
            r.rows,
            r.connections,
            fmt(r.result.requestsPerSecond),
            ceil ? `${((100 * r.result.requestsPerSecond) / ceil.result.requestsPerSecond).toFixed(0)} %` : "—",
            r.result.p50Ms.toFixed(2),
            r.result.p99Ms.toFixed(2),
            r.meanBatch === undefined ? "—" : r.meanBatch.toFixed(2),
            r.result.non2xx + r.result.socketErrors,
          ];
        }),
      ),
    );
    for (const s of servers) {
      for (const t of TARGETS) {
        const ours = rows.find((r) => r.server === s.label && r.protocol === "REST" && r.endpoint.startsWith("v1") && r.rows === t.rows && r.connections === TARGET_CONNECTIONS);
        const ceil = ours && ceilingOf(ours);
        if (!ours || !ceil) continue;
        const share = ours.result.requestsPerSecond / ceil.result.requestsPerSecond;
        console.log(`target for ${s.label}, REST ${t.rows}-row requests at ${TARGET_CONNECTIONS} connections (>= ${t.share * 100} % of the ceiling's req/s): ${(share * 100).toFixed(1)} % → ${share >= t.share ? "MET" : "NOT MET"}`);
      }
    }
    const errors = rows.reduce((s, r) => s + r.result.non2xx + r.result.socketErrors, 0);
    if (errors > 0) console.log(`warning: ${errors} errors or socket errors; see the rows above`);
  } finally {
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}
