// A bounded closed-loop gRPC load generator (ghz is not available here): `--connections` calls in
// flight at a time over `--channels` @grpc/grpc-js channels (HTTP/2 connections; default one per
// 16 calls, as a client multiplexes), each call sending the same pre-encoded request
// for `--duration` seconds (and at most `--max-requests`), like wrk's connections. The request
// bytes are sent and the reply bytes taken as they are (no protobuf work in the generator).
// Prints one JSON line: requests, errors, requests/s, p50/p99 latency in ms.
// usage: node bench/grpc-load.ts --target 127.0.0.1:8500 --method /tensorflow.serving.PredictionService/Predict
//                                --body <file> [--connections 64] [--channels 4] [--duration 10] [--max-requests 2000000]
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { flag } from "./lib.ts";

const target = flag("target");
const method = flag("method");
const bodyFile = flag("body");
if (!target || !method || !bodyFile) {
  console.error("usage: node bench/grpc-load.ts --target host:port --method /pkg.Service/Method --body <file> [--connections 64] [--duration 10]");
  process.exit(2);
}
const body = readFileSync(bodyFile);
const connections = Number(flag("connections", "64"));
const channels = Number(flag("channels", String(Math.max(1, Math.ceil(connections / 16)))));
const durationMs = Number(flag("duration", "10")) * 1000;
const maxRequests = Number(flag("max-requests", "2000000"));
const same = (b: Buffer) => b;

// Own subchannel pools: grpc-js would otherwise share one TCP connection between the channels.
const pool = Array.from({ length: channels }, () => new grpc.Client(target, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
await Promise.all(pool.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())))));
const clients = Array.from({ length: connections }, (_, i) => pool[i % channels]!);

const latencies = new Float64Array(Math.min(maxRequests, 4_000_000));
let requests = 0;
let errors = 0;
let firstError = "";
const started = performance.now();
const end = started + durationMs;

await Promise.all(
  clients.map(
    (client) =>
      new Promise<void>((resolve) => {
        const next = () => {
          if (performance.now() >= end || requests >= maxRequests) return resolve();
          const t = performance.now();
          client.makeUnaryRequest(method, same, same, body, (err) => {
            if (err) {
              errors++;
              firstError ||= `${err.code} ${err.details}`;
            }
            if (requests < latencies.length) latencies[requests] = performance.now() - t;
            requests++;
            next();
          });
        };
        next();
      }),
  ),
);
const seconds = (performance.now() - started) / 1000;
for (const c of pool) c.close();
const sorted = latencies.subarray(0, Math.min(requests, latencies.length)).sort();
const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN);
console.log(JSON.stringify({ requests, errors, firstError, requestsPerSecond: requests / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) }));
