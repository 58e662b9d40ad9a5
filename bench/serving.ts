// Serving benchmark: requests/s and p50/p99 latency of single-row predict requests against
// (a) `mlops serve` over a freshly trained cars-mpg model and (b) a bare node:http server
// answering a fixed body of the same size (the ceiling), at 1, 16 and 64 connections, plus the
// Open Inference Protocol v2 endpoint at 64. Both servers are child processes; the load comes
// from wrk (one thread), so the load generator never shares the server's thread.
//
// usage: node bench/serving.ts [--duration <s>] [--connections 1,16,64] [--threads 1]
//                              [--backends default | tfjs-node,wasm,cpu] [--repeat <n>] [--registry <dir>]
//                              [--feedback log,direct | none] [--baseline-bin <mlops.js>]
//   --backends starts one mlops server per listed backend (default: one, on the backend the
//   runtime picks itself, or MLOPS_BACKEND when set); each adds ~45 s at the default duration.
//   --feedback measures POST /v1/models/cars-mpg/feedback (1 and 20 labelled rows per request) on
//   one server per durability mode: "log" (fsync'd feedback log, the default) and "direct" (each
//   request written to the registry); --baseline-bin adds a server from another checkout (e.g.
//   the code before durable feedback, which acknowledged rows held only in memory).
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Child, MLOPS, MODEL, fmt, hasCommand, machineLine, markdownTable, run, startChild, tempDir, benchRegistry, flag, ROOT } from "./lib.ts";

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
/** mlops servers to start: "default" lets the runtime pick (MLOPS_BACKEND if set); or a list like tfjs-node,wasm,cpu. */
const BACKENDS = flag("backends", "default").split(",");
/** Feedback durability modes to measure ("none" skips the feedback runs). */
const FEEDBACK = flag("feedback", "log,direct").split(",").filter((m) => m !== "none");
/** An `mlops.js` from another checkout, measured on the feedback endpoint as the baseline. */
const BASELINE_BIN = flag("baseline-bin");
/** Target from the issue: at 64 connections, >= 50 % of the ceiling's requests/s and p99 <= 10 ms. */
const TARGET = { share: 0.5, p99Ms: 10, connections: 64 };

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
  endpoint: string;
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
    const key = `${r.server}|${r.endpoint}|${r.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const pick = (f: (r: WrkResult) => number) => median(g.map((r) => f(r.result)));
    const batches = g.map((r) => r.meanBatch).filter((b): b is number => b !== undefined);
    return {
      server: g[0]!.server,
      endpoint: g[0]!.endpoint,
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

if (import.meta.main) {
  if (!hasCommand("wrk")) {
    console.error("bench/serving.ts needs wrk (HTTP load generator), which is not on PATH.\n  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk\n  macOS:         brew install wrk");
    process.exit(2);
  }
  console.log(`# serving benchmark\n${machineLine()}\nwrk -t${THREADS} -d${DURATION}s --latency; connections ${CONNECTIONS.join(", ")}; ${REPEAT} run(s) each\n`);
  const tmp = await tempDir("serving");
  const children: Child[] = [];
  const stopAll = () => Promise.all(children.map((c) => c.stop()));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    const t0 = performance.now();
    const registry = await benchRegistry(tmp);
    console.log(`registry ${registry} (${flag("registry") ? "given" : `cars-mpg trained with mlops train in ${((performance.now() - t0) / 1000).toFixed(1)} s`})`);

    // One mlops server per requested backend (default: the runtime's own choice), all on the same registry.
    const servers: { label: string; child: Child }[] = [];
    for (const b of BACKENDS) {
      const { MLOPS_BACKEND: inherited, ...rest } = process.env;
      const backend = b === "default" ? inherited : b;
      const child = await startChild([MLOPS, "serve", "--registry", registry, "--port", "0", "--feedback-log-dir", path.join(tmp, `feedback-log-${b}`)], backend ? { ...rest, MLOPS_BACKEND: backend } : rest);
      children.push(child);
      servers.push({ label: `mlops (${/"backend":"([^"]+)"/.exec(child.stderr())?.[1] ?? "?"})`, child });
    }

    // One later-year car (1977+), as the demo replays them; Origin is categorical.
    const instance = { Cylinders: 4, Displacement: 97, Horsepower: 75, Weight_in_lbs: 2265, Acceleration: 18.2, Origin: "Japan" };
    const v1Body = JSON.stringify({ instances: [instance] });
    const v2Body = JSON.stringify({
      inputs: Object.entries(instance).map(([name, v]) => ({ name, shape: [1], datatype: typeof v === "string" ? "BYTES" : "FP32", data: [v] })),
    });
    const v1Path = `/v1/models/${MODEL}:predict`;
    const v2Path = `/v2/models/${MODEL}/infer`;
    let reply = "";
    for (const s of servers) {
      for (const [p, body] of [[v1Path, v1Body], [v2Path, v2Body]] as const) {
        const res = await fetch(`${s.child.url}${p}`, { method: "POST", body, headers: { "content-type": "application/json" } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${s.label} ${p} probe failed: ${res.status} ${text}`);
        if (p === v1Path) reply = text;
      }
      console.log(`${s.label} on ${s.child.url}: ${v1Body.length} B request → ${reply}`);
    }

    // The ceiling answers with the very bytes the model server returned.
    const ceiling = await startChild([path.join(ROOT, "bench", "ceiling-server.ts"), reply]);
    children.push(ceiling);
    console.log(`ceiling (bare node:http) on ${ceiling.url}\n`);

    const v1Script = path.join(tmp, "predict.lua");
    const v2Script = path.join(tmp, "infer.lua");
    await writeFile(v1Script, luaScript(v1Body));
    await writeFile(v2Script, luaScript(v2Body));

    const raw: Row[] = [];
    // Warm up (JIT, connection setup) at the highest concurrency before measuring.
    const warmC = Math.max(...CONNECTIONS, TARGET.connections);
    const warm = Math.min(3, DURATION);
    await wrk(`${ceiling.url}/`, v1Script, warmC, warm);
    for (const s of servers) await wrk(`${s.child.url}${v1Path}`, v1Script, warmC, warm);
    const measure = async (server: string, endpoint: string, url: string, script: string, c: number, metricsFrom?: string) => {
      const before = metricsFrom ? await batching(metricsFrom) : undefined;
      const result = await wrk(url, script, c, DURATION);
      const row: Row = { server, endpoint, connections: c, result };
      if (before && metricsFrom) {
        const after = await batching(metricsFrom);
        const calls = after.rows.count - before.rows.count;
        row.meanBatch = calls > 0 ? (after.rows.sum - before.rows.sum) / calls : Number.NaN;
      }
      raw.push(row);
      const r = result;
      console.error(`  ${server.padEnd(18)} ${endpoint.padEnd(22)} c=${String(c).padStart(2)}: ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${row.meanBatch !== undefined ? `, mean batch ${row.meanBatch.toFixed(2)}` : ""}${r.non2xx || r.socketErrors ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : ""}`);
    };
    // Ceiling and mlops alternate at each concurrency, so drift on a shared machine hits both alike.
    for (let rep = 0; rep < REPEAT; rep++) {
      for (const c of CONNECTIONS) {
        await measure("ceiling", "POST / (fixed body)", `${ceiling.url}/`, v1Script, c);
        for (const s of servers) await measure(s.label, `v1 ${MODEL}:predict`, `${s.child.url}${v1Path}`, v1Script, c, s.child.url);
      }
      for (const s of servers) await measure(s.label, `v2 ${MODEL}/infer`, `${s.child.url}${v2Path}`, v2Script, TARGET.connections, s.child.url);
    }
    // Feedback: what acknowledging only durable rows costs, per mode (and the baseline's in-memory acks).
    const feedbackServers: { label: string; child: Child }[] = [];
    for (const mode of FEEDBACK) {
      const logFlag = mode === "direct" ? "none" : path.join(tmp, "feedback-log-bench");
      const child = await startChild([MLOPS, "serve", "--registry", registry, "--port", "0", "--feedback-log-dir", logFlag]);
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
          for (const s of feedbackServers) await measure(s.label, `feedback ${n} row${n === 1 ? "" : "s"}`, `${s.child.url}/v1/models/${MODEL}/feedback`, script, c);
        }
      }
    }
    const rows = REPEAT > 1 ? medians(raw) : raw;

    console.log(REPEAT > 1 ? `\nmedians of ${REPEAT} runs per row (each column separately):` : "");
    console.log(
      markdownTable(
        ["server", "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "mean batch (rows/model call)", "errors"],
        rows.map((r) => [
          r.server,
          r.endpoint,
          r.connections,
          fmt(r.result.requestsPerSecond),
          r.result.p50Ms.toFixed(2),
          r.result.p99Ms.toFixed(2),
          r.meanBatch === undefined ? "—" : r.meanBatch.toFixed(2),
          r.result.non2xx + r.result.socketErrors,
        ]),
      ),
    );
    const ceil = rows.find((r) => r.server === "ceiling" && r.connections === TARGET.connections);
    for (const s of servers) {
      const ours = rows.find((r) => r.server === s.label && r.endpoint.startsWith("v1") && r.connections === TARGET.connections);
      if (!ceil || !ours) continue;
      const share = ours.result.requestsPerSecond / ceil.result.requestsPerSecond;
      const met = share >= TARGET.share && ours.result.p99Ms <= TARGET.p99Ms;
      console.log(
        `\ntarget for ${s.label} at ${TARGET.connections} connections (>= ${TARGET.share * 100} % of ceiling req/s, p99 <= ${TARGET.p99Ms} ms): ` +
          `${(share * 100).toFixed(1)} % of ceiling, p99 ${ours.result.p99Ms.toFixed(2)} ms → ${met ? "MET" : "NOT MET"}` +
          ` (throughput ${share >= TARGET.share ? "met" : "not met"}, p99 ${ours.result.p99Ms <= TARGET.p99Ms ? "met" : "not met"}; the ceiling's own p99 is ${ceil.result.p99Ms.toFixed(2)} ms)`,
      );
    }
    const errors = rows.reduce((s, r) => s + r.result.non2xx + r.result.socketErrors, 0);
    if (errors > 0) console.log(`warning: ${errors} non-2xx responses or socket errors; see the rows above`);
  } finally {
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}
