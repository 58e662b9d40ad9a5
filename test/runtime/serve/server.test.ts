import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import { parseJson } from "../../../runtime/src/serve/json.ts";
import { createModelServer } from "../../../runtime/src/serve/server.ts";
import { type TinyServer, startTinyServer, waitFor } from "../../helpers/tiny-server.ts";
import { TINY_FEATURES as FEATURES, tinyRows, trainAnotherVersion } from "../../helpers/tiny-models.ts";

let dir: string;
let registry: ModelRegistry;
let base: string;
let names: { binary: string; multiclass: string; regression: string };

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, url: string, body?: unknown, init: RequestInit = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${base}${url}`, { method, ...(payload === undefined ? {} : { body: payload, headers: { "content-type": "application/json" } }), ...init });
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : (parseJson(text) as Record<string, unknown>), headers: res.headers };
}

const predictions = (r: Reply) => r.body.predictions as number[][];
const arrayRow = (row: object) => FEATURES.map((f) => (row as Record<string, unknown>)[f]);

let tiny: TinyServer;
before(async () => {
  tiny = await startTinyServer("mlops-serve-", { pollIntervalMs: 50, bodyLimit: 64 * 1024 });
  ({ dir, registry, base, names } = tiny);
});
after(() => tiny?.stop());

describe("TF Serving REST", () => {
  test("reports each loaded version as AVAILABLE", async () => {
    const r = await call("GET", `/v1/models/${names.binary}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { model_version_status: [{ version: "1", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } }] });
  });

  test("serves metadata with the signature, feature kinds, classes and lineage", async () => {
    const r = await call("GET", `/v1/models/${names.multiclass}/metadata`);
    assert.equal(r.status, 200);
    const spec = r.body.model_spec as Record<string, string>;
    assert.deepEqual(spec, { name: names.multiclass, signature_name: "", version: "1" });
    const sig = (r.body.metadata as any).signature_def.signature_def.serving_default;
    assert.deepEqual(Object.keys(sig.inputs).sort(), [...FEATURES].sort());
    assert.equal(sig.method_name, "tensorflow/serving/predict");
    const mlops = r.body.mlops as Record<string, any>;
    assert.equal(mlops.task, "multiclass");
    assert.deepEqual(mlops.classes, ["a", "b", "c"]);
    assert.match(mlops.dataset.digest, /^[0-9a-f]{64}$/);
    assert.ok(mlops.aliases.includes("champion"));
  });

  test("predicts rows given as objects or as arrays in feature order, identically", async () => {
    const rows = tinyRows(5, 7);
    const a = await call("POST", `/v1/models/${names.binary}:predict`, { instances: rows });
    const b = await call("POST", `/v1/models/${names.binary}:predict`, { instances: rows.map(arrayRow), signature_name: "serving_default" });
    assert.equal(a.status, 200);
    assert.equal(a.headers.get("x-mlops-model-version"), "1");
    assert.equal(predictions(a).length, 5);
    for (const p of predictions(a)) assert.ok(p.length === 1 && p[0]! >= 0 && p[0]! <= 1);
    assert.deepEqual(b.body.predictions, a.body.predictions);
    assert.notEqual(b.body.id, a.body.id, "each prediction gets its own id");
  });

  test("the columnar form answers with outputs equal to the row form's predictions", async () => {
    const rows = tinyRows(4, 8);
    const byRow = await call("POST", `/v1/models/${names.multiclass}:predict`, { instances: rows });
    const columns = Object.fromEntries(FEATURES.map((f) => [f, rows.map((r) => r[f])]));
    const byColumn = await call("POST", `/v1/models/${names.multiclass}:predict`, { inputs: columns });
    assert.equal(byColumn.status, 200);
    assert.deepEqual(byColumn.body.outputs, byRow.body.predictions);
    for (const p of predictions(byRow)) assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5, "softmax rows sum to 1");
  });

  test(":classify returns labelled scores and :regress values, like TF Serving", async () => {
    const rows = tinyRows(3, 9);
    const c = await call("POST", `/v1/models/${names.binary}:classify`, { examples: rows });
    assert.equal(c.status, 200);
    const results = c.body.results as [string, number][][];
    assert.equal(results.length, 3);
    for (const r of results) {
      assert.deepEqual(r.map(([label]) => label), ["no", "yes"]);
      assert.ok(Math.abs(r[0]![1] + r[1]![1] - 1) < 1e-6);
    }
    const { color, ...rest } = rows[0]!;
    const withContext = await call("POST", `/v1/models/${names.regression}:regress`, { context: { color }, examples: [rest] });
    const direct = await call("POST", `/v1/models/${names.regression}:predict`, { instances: [rows[0]] });
    assert.equal(withContext.status, 200);
    assert.deepEqual(withContext.body.results, [predictions(direct)[0]![0]]);
  });

  test("refuses :regress on a classifier and :classify on a regressor with 400", async () => {
    const a = await call("POST", `/v1/models/${names.binary}:regress`, { examples: tinyRows(1, 1) });
    assert.equal(a.status, 400);
    assert.match(String(a.body.error), /:regress is not supported by model "tiny-binary": it is a binary classifier/);
    const b = await call("POST", `/v1/models/${names.regression}:classify`, { examples: tinyRows(1, 1) });
    assert.equal(b.status, 400);
  });

  test("accepts a body sent as curl -d sends it (form content type)", async () => {
    const r = await call("POST", `/v1/models/${names.binary}:predict`, JSON.stringify({ instances: tinyRows(1, 3) }), {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(r.status, 200);
  });

  test("treats NaN and null as unknown values (imputed and counted), Infinity as a 400", async () => {
    const row = tinyRows(1, 4)[0]!;
    const text = JSON.stringify({ instances: [{ ...row, x1: "__NAN__" }, { ...row, x1: null }] }).replace('"__NAN__"', "NaN");
    const r = await call("POST", `/v1/models/${names.regression}:predict`, text);
    assert.equal(r.status, 200);
    assert.equal(predictions(r)[0]![0], predictions(r)[1]![0]);
    const inf = await call("POST", `/v1/models/${names.regression}:predict`, JSON.stringify({ instances: [{ ...row, x1: "__INF__" }] }).replace('"__INF__"', "Infinity"));
    assert.equal(inf.status, 400);
    assert.match(String(inf.body.error), /instance 0, feature "x1": expected a JSON number/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /mlops_imputed_values_total\{model="tiny-regression",version="1",feature="x1"\} [2-9]/);
  });
});

describe("versions and labels", () => {
  test("/versions/{n} and /labels/{alias} reach the version they name; a moved alias is picked up without a restart", async () => {
    const v2 = await trainAnotherVersion(path.join(dir, "registry"), names.binary);
    await registry.setAlias(names.binary, "challenger", v2);
    await waitFor(async () => (await call("GET", `/v1/models/${names.binary}/labels/challenger`)).status === 200);
    const rows = tinyRows(3, 11);
    const champion = await call("POST", `/v1/models/${names.binary}:predict`, { instances: rows });
    const challenger = await call("POST", `/v1/models/${names.binary}/labels/challenger:predict`, { instances: rows });
    const byNumber = await call("POST", `/v1/models/${names.binary}/versions/${v2}:predict`, { instances: rows });
    assert.equal(champion.headers.get("x-mlops-model-version"), "1");
    assert.equal(challenger.headers.get("x-mlops-model-version"), String(v2));
    assert.deepEqual(byNumber.body.predictions, challenger.body.predictions);
    assert.notDeepEqual(challenger.body.predictions, champion.body.predictions);
    const oip = await call("POST", `/v2/models/${names.binary}/versions/challenger/infer`, inferBody(rows));
    assert.equal(oip.body.model_version, String(v2));
    const status = await call("GET", `/v1/models/${names.binary}`);
    assert.deepEqual((status.body.model_version_status as { version: string }[]).map((s) => s.version), ["1", String(v2)]);
  });

  test("promoting a new champion swaps versions without failing a single in-flight request", async () => {
    const v = await trainAnotherVersion(path.join(dir, "registry"), names.regression);
    const rows = tinyRows(2, 12);
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await call("POST", `/v1/models/${names.regression}:predict`, { instances: rows });
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        seen.add(r.headers.get("x-mlops-model-version") ?? "?");
      }
    });
    await new Promise((r) => setTimeout(r, 100));
    await registry.setAlias(names.regression, "champion", v);
    await waitFor(async () => (await call("POST", `/v1/models/${names.regression}:predict`, { instances: rows })).headers.get("x-mlops-model-version") === String(v));
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(load);
    assert.deepEqual(failures, []);
    assert.ok(seen.has("1") && seen.has(String(v)), `answered by ${[...seen]}`);
  });
});

function inferBody(rows: object[]) {
  const get = (r: object, f: string) => (r as Record<string, unknown>)[f];
  return {
    inputs: FEATURES.map((f) => ({
      name: f,
      shape: [rows.length],
      datatype: typeof get(rows[0]!, f) === "string" ? "BYTES" : "FP32",
      data: rows.map((r) => get(r, f)),
    })),
  };
}

describe("Open Inference Protocol v2", () => {
  test("health, server metadata and model readiness", async () => {
    assert.equal((await call("GET", "/v2/health/live")).status, 200);
    assert.deepEqual((await call("GET", "/v2/health/ready")).body, { ready: true });
    const meta = await call("GET", "/v2");
    assert.equal(meta.body.name, "pulumi-mlops");
    assert.equal((await call("GET", `/v2/models/${names.binary}/ready`)).status, 200);
    assert.equal((await call("GET", `/v2/models/${names.binary}/versions/1/ready`)).status, 200);
    assert.equal((await call("GET", `/v2/models/${names.binary}/versions/99/ready`)).status, 400);
    assert.equal((await call("GET", "/v2/models/nope/ready")).status, 400);
  });

  test("model metadata lists inputs with their datatypes and the outputs", async () => {
    const r = await call("GET", `/v2/models/${names.multiclass}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.name, names.multiclass);
    assert.deepEqual(r.body.inputs, FEATURES.map((f) => ({ name: f, datatype: f === "color" ? "BYTES" : "FP32", shape: [-1] })));
    assert.deepEqual(r.body.outputs, [
      { name: "predictions", datatype: "FP32", shape: [-1, 3] },
      { name: "label", datatype: "BYTES", shape: [-1] },
    ]);
    const v = await call("GET", `/v2/models/${names.multiclass}/versions/1`);
    assert.deepEqual(v.body.versions, ["1"]);
  });

  test("infer with one tensor per feature matches TF Serving's predictions; id is echoed", async () => {
    const rows = tinyRows(4, 13);
    const r = await call("POST", `/v2/models/${names.multiclass}/infer`, { id: "req-1", ...inferBody(rows) });
    assert.equal(r.status, 200);
    assert.equal(r.body.model_name, names.multiclass);
    assert.equal(r.body.model_version, "1");
    assert.equal(r.body.id, "req-1");
    const [pred, label] = r.body.outputs as { name: string; shape: number[]; datatype: string; data: unknown[] }[];
    assert.deepEqual(pred!.shape, [4, 3]);
    const tfs = await call("POST", `/v1/models/${names.multiclass}:predict`, { instances: rows });
    assert.deepEqual(pred!.data, predictions(tfs).flat());
    assert.equal(label!.datatype, "BYTES");
    label!.data.forEach((l, i) => {
      const p = predictions(tfs)[i]!;
      assert.equal(l, ["a", "b", "c"][p.indexOf(Math.max(...p))]);
    });
  });

  test("infer accepts a single [n, features] tensor and honours the requested outputs", async () => {
    const rows = tinyRows(2, 14);
    const r = await call("POST", `/v2/models/${names.regression}/infer`, {
      inputs: [{ name: "input", shape: [2, FEATURES.length], datatype: "BYTES", data: rows.map(arrayRow) }],
      outputs: [{ name: "predictions" }],
    });
    assert.equal(r.status, 200);
    const outs = r.body.outputs as { name: string; data: number[] }[];
    assert.deepEqual(outs.map((o) => o.name), ["predictions"]);
    const tfs = await call("POST", `/v1/models/${names.regression}:predict`, { instances: rows });
    assert.deepEqual(outs[0]!.data, predictions(tfs).flat());
  });

  test("infer rejects malformed tensors with a message naming the input", async () => {
    const rows = tinyRows(2, 15);
    const cases: [unknown, RegExp][] = [
      [{ inputs: [] }, /inputs must be a non-empty list/],
      [{ inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }, /categorical features \(color\); send the \[n, 3\] tensor as BYTES/],
      [{ inputs: [{ name: "input", shape: [1, 2], datatype: "BYTES", data: [1, 2] }] }, /input input has 2 columns; the model takes 3/],
      [{ inputs: [{ name: "x1", shape: [3], datatype: "FP32", data: [1, 2] }] }, /shape \[3\] holds 3 values but data has 2/],
      [{ inputs: [{ name: "x1", shape: [2], datatype: "FLOAT", data: [1, 2] }] }, /datatype "FLOAT" is not an Open Inference Protocol tensor type/],
      [{ ...inferBody(rows), outputs: [{ name: "logits" }] }, /output "logits" is not produced/],
      [{ inputs: inferBody(rows).inputs.map((t) => (t.name === "x1" ? { ...t, datatype: "BYTES" } : t)) }, /feature "x1" is numerical/],
      [{ inputs: inferBody(rows).inputs.filter((t) => t.name !== "x2") }, /input for feature "x2" is missing/],
      [{ inputs: [...inferBody(rows).inputs, { name: "zzz", shape: [2], datatype: "FP32", data: [1, 2] }] }, /input "zzz" is not a feature/],
    ];
    for (const [body, message] of cases) {
      const r = await call("POST", `/v2/models/${names.regression}/infer`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(String(r.body.error), message);
    }
  });
});

describe("bad input", () => {
  const predict = (body: unknown) => call("POST", `/v1/models/${names.binary}:predict`, body);
  const row = () => tinyRows(1, 16)[0]!;

  test("answers each malformed predict request with 400 and a message naming the problem", async () => {
    const cases: [unknown, RegExp][] = [
      [{ instances: [] }, /instances is empty/],
      [{}, /exactly one of "instances"/],
      [{ instances: [row()], inputs: {} }, /exactly one of "instances"/],
      [{ instances: [arrayRow(row()).slice(1)] }, /instances\[0\] has 2 values; the model takes 3/],
      [{ instances: [{ ...row(), age: 3 }] }, /instances\[0\] has unknown feature "age"/],
      [{ instances: [{ x1: 1, color: "red" }] }, /instances\[0\] is missing feature "x2"/],
      [{ instances: [{ ...row(), x2: "12kg" }] }, /instance 0, feature "x2": expected a JSON number/],
      [{ instances: [{ ...row(), x2: true }] }, /feature "x2": expected a JSON number/],
      [{ instances: [{ ...row(), color: { r: 1 } }] }, /feature "color": expected a number, a string, \{"b64": "<base64>"\} or null, got \{"r":1\}/],
      [{ instances: "all of them" }, /instances must be a list/],
      [{ instances: [row()], signature_name: "train" }, /signature name: "train" not found/],
      [[row()], /body must be a JSON object/],
      [{ inputs: { x1: [1, 2], x2: [1], color: ["a", "b"] } }, /inputs.x2 has 1 values but inputs.x1 has 2/],
    ];
    for (const [body, message] of cases) {
      const r = await predict(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(r.body), ["error"]);
      assert.match(String(r.body.error), message);
    }
  });

  test("answers invalid JSON with 400 and an oversized body with 413", async () => {
    const r = await call("POST", `/v1/models/${names.binary}:predict`, '{"instances": [');
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /not valid JSON/);
    const big = JSON.stringify({ instances: tinyRows(2000, 1) });
    const t = await call("POST", `/v1/models/${names.binary}:predict`, big);
    assert.equal(t.status, 413);
    assert.match(String(t.body.error), /exceeds the limit of 65536 bytes/);
  });

  test("answers unknown models, versions, labels and routes with 404, wrong methods with 405", async () => {
    const expect = async (method: string, url: string, status: number, message: RegExp, body?: unknown) => {
      const r = await call(method, url, body);
      assert.equal(r.status, status, url);
      assert.match(String(r.body.error), message, url);
    };
    await expect("POST", "/v1/models/nope:predict", 404, /model "nope" is not in the registry/, { instances: [row()] });
    await expect("POST", `/v1/models/${names.binary}/versions/42:predict`, 404, /has no version "42"/, { instances: [row()] });
    await expect("POST", `/v1/models/${names.binary}/versions/abc:predict`, 404, /has no version "abc"/, { instances: [row()] });
    await expect("POST", `/v1/models/${names.binary}/labels/canary:predict`, 404, /no version labelled "canary"/, { instances: [row()] });
    await expect("GET", `/v1/models/${names.binary}/versions/42`, 404, /has no version "42"/);
    await expect("GET", `/v2/models/nope`, 404, /not in the registry/);
    await expect("GET", "/v3/anything", 404, /no route/);
    await expect("GET", `/v1/models/${names.binary}:predict`, 405, /use POST/);
  });

  test("survives hundreds of random garbage requests and keeps serving", async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const atoms = ["null", "true", "1e309", "-0", '"x"', "[]", "{}", "NaN", "[[[[[[[[", '{"instances":', '"\\u0000"', "1".repeat(400)];
    const values = () => {
      const pick = () => atoms[Math.floor(rnd() * atoms.length)]!;
      const n = Math.floor(rnd() * 4);
      return `{"instances": [${Array.from({ length: n }, () => `{"x1": ${pick()}, "x2": ${pick()}, "color": ${pick()}}`).join(",")}]}`;
    };
    const bodies = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? atoms[i % atoms.length]! : i % 3 === 1 ? values() : Buffer.from(values()).subarray(0, Math.floor(rnd() * 60)).toString()));
    const urls = [`/v1/models/${names.binary}:predict`, `/v1/models/${names.binary}:classify`, `/v2/models/${names.binary}/infer`];
    const replies = await Promise.all(bodies.map((b, i) => call("POST", urls[i % urls.length]!, b)));
    for (const r of replies) {
      assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `status ${r.status}: ${JSON.stringify(r.body)}`);
      if (r.status !== 200) assert.equal(typeof r.body.error, "string");
    }
    assert.equal((await call("GET", "/v2/health/live")).status, 200);
  });
});

describe("metrics and batching", () => {
  test("/metrics exports request counts and latency by model, version, endpoint and status, batch sizes and loaded versions", async () => {
    await call("POST", `/v1/models/${names.binary}:predict`, { instances: tinyRows(2, 17) });
    await call("POST", `/v1/models/${names.binary}:predict`, { instances: [] });
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /mlops_requests_total\{model="tiny-binary",version="1",endpoint="predict",status="200",protocol="http"\} \d+/);
    assert.match(text, /mlops_requests_total\{model="tiny-binary",version="1",endpoint="predict",status="400",protocol="http"\} \d+/);
    assert.match(text, /mlops_request_duration_seconds_bucket\{le="0.005",model="tiny-binary",version="1",endpoint="predict",status="200",protocol="http"\} \d+/);
    assert.match(text, /mlops_batch_size_rows_count\{model="tiny-binary",version="1"\} \d+/);
    assert.match(text, /mlops_loaded_versions\{model="tiny-binary",version="1",alias="champion"\} 1/);
  });

  test("concurrent requests are merged into fewer model calls and each gets its own answer", async () => {
    const batching = createModelServer(registry, { port: 0, grpcPort: null, inferenceGrpcPort: null, batchTimeoutMicros: 200_000 });
    const url = await batching.listen();
    try {
      const rows = tinyRows(32, 18);
      const one = async (r: object) => {
        const res = await fetch(`${url}/v1/models/${names.multiclass}:predict`, { method: "POST", body: JSON.stringify({ instances: [r] }) });
        return ((await res.json()) as { predictions: number[][] }).predictions[0];
      };
      const together = await Promise.all(rows.map(one));
      const alone = await call("POST", `/v1/models/${names.multiclass}:predict`, { instances: rows });
      together.forEach((p, i) => p!.forEach((v, j) => assert.ok(Math.abs(v - predictions(alone)[i]![j]!) < 1e-6)));
      const text = await (await fetch(`${url}/metrics`)).text();
      const calls = Number(/mlops_batch_size_requests_count\{model="tiny-multiclass",version="1"\} (\d+)/.exec(text)?.[1]);
      const requests = Number(/mlops_batch_size_requests_sum\{model="tiny-multiclass",version="1"\} (\d+)/.exec(text)?.[1]);
      // The warm-up call at load is not a request; 32 requests arrived within the 200 ms window.
      assert.equal(requests, 32);
      assert.ok(calls < 16, `${requests} requests took ${calls} model calls`);
    } finally {
      await batching.close();
    }
  });
});
