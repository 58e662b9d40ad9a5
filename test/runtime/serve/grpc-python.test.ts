/**
 * The gRPC APIs driven by Python clients: grpcio + grpcio-tools generate stubs from runtime/protos
 * inside the test (test/fixtures/grpc/python_clients.py), as a Python application would. Needs
 * python3 with grpcio, grpcio-tools and numpy (`python3 -m pip install grpcio grpcio-tools numpy`;
 * .ci/run installs them). Without them the test is skipped locally and fails in CI.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { protoPath as healthProto } from "grpc-health-check";
import { PROTOS } from "../../helpers/grpc-clients.ts";
import { type TinyServer, startTinyServer } from "../../helpers/tiny-server.ts";

const probe = spawnSync("python3", ["-c", "import grpc, grpc_tools, numpy"], { encoding: "utf8" });
const missing = probe.status !== 0 ? `python3 with grpcio, grpcio-tools and numpy is not available (${(probe.stderr || String(probe.error)).trim().split("\n").at(-1)})` : undefined;
if (missing && process.env.CI) throw new Error(`${missing}; .ci/run installs them with pip`);

let tiny: TinyServer;
before(async () => {
  if (!missing) tiny = await startTinyServer("mlops-grpc-py-", { pollIntervalMs: 50 });
});
after(() => tiny?.stop());

async function rest(p: string, body: unknown) {
  const res = await fetch(`${tiny.base}${p}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return (await res.json()) as Record<string, any>;
}

test("Python grpcio clients generated from runtime/protos get the REST answers over both gRPC APIs", { skip: missing }, async () => {
  const script = path.resolve(import.meta.dirname, "../../fixtures/grpc/python_clients.py");
  const { stdout } = await promisify(execFile)("python3", [script, PROTOS, path.resolve(path.dirname(healthProto), "../.."), tiny.server.grpc.tfServing!, tiny.server.grpc.inference!, JSON.stringify(tiny.names)], { timeout: 120_000 });
  const r = JSON.parse(stdout);
  const rows = [
    { x1: 0.5, x2: -1.25, color: "red" },
    { x1: -1.75, x2: 0.25, color: "blue" },
    { x1: 1.5, x2: 1, color: "green" },
  ];

  const predict = await rest(`/v1/models/${tiny.names.multiclass}:predict`, { instances: rows });
  assert.equal(r.predict.dtype, "DT_FLOAT");
  assert.deepEqual(r.predict.shape, [3, 3]);
  assert.deepEqual(r.predict.values, Array.from(new Float32Array(predict.predictions.flat())));
  assert.equal(r.predict.version, 1);
  assert.equal(r.predict.headers["x-mlops-model-version"], "1");
  assert.match(r.predict.headers["x-mlops-prediction-id"], /^[0-9a-f-]{36}$/);

  const classify = await rest(`/v1/models/${tiny.names.binary}:classify`, { examples: rows });
  assert.deepEqual(r.classify, classify.results.map((k: [string, number][]) => k.map(([l, s]) => [l, Math.fround(s)])));

  assert.equal(r.metadata_unpacked, true, "Any.Unpack(SignatureDefMap) succeeds");
  assert.deepEqual(r.metadata, { method: "tensorflow/serving/predict", inputs: { x1: "DT_FLOAT", x2: "DT_FLOAT", color: "DT_STRING" }, output_shape: [-1, 3] });
  assert.deepEqual(r.status, [[1, "AVAILABLE"]]);
  assert.equal(r.errors.unknown_model[0], "NOT_FOUND");
  assert.match(r.errors.unknown_model[1], /Servable not found for request: model "no-such-model"/);
  assert.equal(r.errors.wrong_dtype[0], "INVALID_ARGUMENT");
  assert.match(r.errors.wrong_dtype[1], /feature "x1" is numerical/);

  const infer = await rest(`/v2/models/${tiny.names.multiclass}/infer`, {
    inputs: [
      { name: "x1", datatype: "FP32", shape: [3], data: rows.map((x) => x.x1) },
      { name: "x2", datatype: "INT64", shape: [3], data: rows.map((x) => Math.round(x.x2)) },
      { name: "color", datatype: "BYTES", shape: [3], data: rows.map((x) => x.color) },
    ],
  });
  const json = Object.fromEntries(infer.outputs.map((o: any) => [o.name, o.data]));
  assert.equal(r.infer.id, "py-1");
  assert.equal(r.infer.version, "1");
  assert.deepEqual(r.infer.outputs.predictions, { datatype: "FP32", shape: [3, 3], values: Array.from(new Float32Array(json.predictions)) });
  assert.deepEqual(r.infer.outputs.label, { datatype: "BYTES", shape: [3], values: json.label });
  assert.equal(r.infer_unknown_version[0], "NOT_FOUND");
  assert.deepEqual(r.server_metadata, ["binary_tensor_data"]);
  assert.equal(r.health, "SERVING");
});
