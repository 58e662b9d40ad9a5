import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer } from "node:net";
import { status } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { writeRollout } from "../../../runtime/src/registry/index.ts";
import { parseJson } from "../../../runtime/src/serve/json.ts";
import { PROTOS, call, grpcClients } from "../../helpers/grpc-clients.ts";
import { type TinyServer, startTinyServer, waitFor } from "../../helpers/tiny-server.ts";
import { tinyRows, tinyTargets, trainAnotherVersion } from "../../helpers/tiny-models.ts";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let tiny: TinyServer;
let tf: ReturnType<typeof grpcClients>;
let oip: ReturnType<typeof grpcClients>;
before(async () => {
  tiny = await startTinyServer("mlops-grpc-", { pollIntervalMs: 50, bodyLimit: 64 * 1024 });
  tf = grpcClients(tiny.server.grpc.tfServing!);
  oip = grpcClients(tiny.server.grpc.inference!);
});
after(async () => {
  tf?.close();
  oip?.close();
  await tiny?.stop();
});

async function rest(p: string, body: unknown) {
  const res = await fetch(`${tiny.base}${p}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return { status: res.status, body: parseJson(await res.text()) as Record<string, any> };
}

// Values exactly representable in float32, so every encoding gives the model the same inputs.
const ROWS = [
  { x1: 0.5, x2: -1.25, color: "red" },
  { x1: -1.75, x2: 0.25, color: "blue" },
  { x1: 1.5, x2: 1, color: "green" },
] as const;

const DT_FLOAT = "DT_FLOAT";
const DT_STRING = "DT_STRING";
const shape = (...dims: number[]) => ({ dim: dims.map((size) => ({ size })) });
const floatTensor = (values: number[]) => ({ dtype: DT_FLOAT, tensor_shape: shape(values.length), float_val: values });
const stringTensor = (values: string[]) => ({ dtype: DT_STRING, tensor_shape: shape(values.length), string_val: values.map((v) => Buffer.from(v)) });
const predictRequest = (model: string, rows: readonly { x1: number; x2: number; color: string }[] = ROWS, spec: Record<string, unknown> = {}) => ({
  model_spec: { name: model, ...spec },
  inputs: { x1: floatTensor(rows.map((r) => r.x1)), x2: floatTensor(rows.map((r) => r.x2)), color: stringTensor(rows.map((r) => r.color)) },
});
const example = (row: Record<string, unknown>) => ({
  features: {
    feature: Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? { bytes_list: { value: [Buffer.from(v)] } } : Number.isInteger(v) ? { int64_list: { value: [v] } } : { float_list: { value: [v] } }]),
    ),
  },
});

describe("TF Serving gRPC (tensorflow.serving.PredictionService, ModelService)", () => {
  test("Predict answers what REST :predict answers, with the version in model_spec and the prediction id in the headers", async () => {
    const model = tiny.names.multiclass;
    const r = await call(tf.prediction, "Predict", predictRequest(model));
    assert.equal(r.error, undefined, r.error?.details);
    const out = r.response.outputs.predictions;
    assert.equal(out.dtype, DT_FLOAT);
    assert.deepEqual(out.tensor_shape.dim.map((d: { size: number }) => d.size), [3, 3]);
    assert.deepEqual(r.response.model_spec, { name: model, version: { value: 1 }, signature_name: "serving_default", version_choice: "version" });
    const viaRest = await rest(`/v1/models/${model}:predict`, { instances: ROWS });
    assert.deepEqual(out.float_val, Array.from(new Float32Array(viaRest.body.predictions.flat())));
    assert.equal(r.headers.get("x-mlops-model-version")[0], "1");
    assert.match(String(r.headers.get("x-mlops-prediction-id")[0]), /^[0-9a-f-]{36}$/);
  });

  test("a gRPC prediction id takes REST feedback, like a REST one", async () => {
    const model = tiny.names.binary;
    const r = await call(tf.prediction, "Predict", predictRequest(model));
    const id = String(r.headers.get("x-mlops-prediction-id")[0]);
    const f = await rest(`/v1/models/${model}/feedback`, { feedback: ROWS.map((row, index) => ({ id, index, label: tinyTargets(row).label })) });
    assert.equal(f.status, 200, JSON.stringify(f.body));
    assert.equal(f.body.accepted, 3);
  });

  test("tensor_content (little-endian bytes) and a one-value list filling the shape read as the typed lists do", async () => {
    const model = tiny.names.regression;
    const plain = await call(tf.prediction, "Predict", predictRequest(model, [ROWS[0], { ...ROWS[1], x2: ROWS[0].x2 }]));
    const req = predictRequest(model, [ROWS[0], ROWS[1]]);
    req.inputs.x1 = { dtype: DT_FLOAT, tensor_shape: shape(2), tensor_content: Buffer.from(new Float32Array([ROWS[0].x1, ROWS[1].x1]).buffer) } as any;
    req.inputs.x2 = { dtype: DT_FLOAT, tensor_shape: shape(2), float_val: [ROWS[0].x2] };
    const packed = await call(tf.prediction, "Predict", req);
    assert.equal(packed.error, undefined, packed.error?.details);
    assert.deepEqual(packed.response.outputs.predictions.float_val, plain.response.outputs.predictions.float_val);
  });

  test("Classify and Regress take tf.Examples (bytes/float/int64 lists, with or without context) and match REST", async () => {
    const c = await call(tf.prediction, "Classify", { model_spec: { name: tiny.names.binary }, input: { example_list: { examples: ROWS.map(example) } } });
    assert.equal(c.error, undefined, c.error?.details);
    const viaRest = await rest(`/v1/models/${tiny.names.binary}:classify`, { examples: ROWS });
    assert.deepEqual(
      c.response.result.classifications.map((k: { classes: { label: string; score: number }[] }) => k.classes.map((x) => [x.label, x.score])),
      viaRest.body.results.map((r: [string, number][]) => r.map(([l, s]) => [l, Math.fround(s)])),
    );
    const withContext = await call(tf.prediction, "Regress", {
      model_spec: { name: tiny.names.regression },
      input: { example_list_with_context: { context: example({ color: "red" }), examples: [example({ x1: 0.5, x2: -1.25 })] } },
    });
    assert.equal(withContext.error, undefined, withContext.error?.details);
    const direct = await rest(`/v1/models/${tiny.names.regression}:regress`, { examples: [ROWS[0]] });
    assert.deepEqual(withContext.response.result.regressions.map((r: { value: number }) => r.value), direct.body.results.map(Math.fround));
    assert.equal(withContext.response.model_spec.version.value, 1);
  });

  test("GetModelMetadata packs the serving_default SignatureDef in a google.protobuf.Any", async () => {
    const r = await call(tf.prediction, "GetModelMetadata", { model_spec: { name: tiny.names.multiclass }, metadata_field: ["signature_def"] });
    assert.equal(r.error, undefined, r.error?.details);
    const any = r.response.metadata.signature_def;
    assert.equal(any.type_url, "type.googleapis.com/tensorflow.serving.SignatureDefMap");
    // Decoded as a client decodes an Any: with its own copy of the message type.
    const root = new protobuf.Root();
    root.resolvePath = (_o, t) => (t.startsWith("google/") ? t : path.join(PROTOS, t));
    root.loadSync("tensorflow_serving/apis/get_model_metadata.proto", { keepCase: true });
    const map = root.lookupType("tensorflow.serving.SignatureDefMap").toObject(root.lookupType("tensorflow.serving.SignatureDefMap").decode(any.value), { enums: String, longs: Number }) as any;
    const sig = map.signature_def.serving_default;
    assert.equal(sig.method_name, "tensorflow/serving/predict");
    assert.deepEqual(Object.keys(sig.inputs).sort(), ["color", "x1", "x2"]);
    assert.equal(sig.inputs.x1.dtype, "DT_FLOAT");
    assert.equal(sig.inputs.color.dtype, "DT_STRING");
    assert.deepEqual(sig.outputs.predictions.tensor_shape.dim.map((d: { size: number }) => d.size), [-1, 3]);
  });

  test("GetModelStatus reports loaded versions as AVAILABLE; an unknown version is NOT_FOUND", async () => {
    const r = await call(tf.model, "GetModelStatus", { model_spec: { name: tiny.names.binary } });
    assert.equal(r.error, undefined, r.error?.details);
    assert.deepEqual(r.response.model_version_status[0], { version: 1, state: "AVAILABLE", status: { error_code: "OK", error_message: "" } });
    const missing = await call(tf.model, "GetModelStatus", { model_spec: { name: tiny.names.binary, version: { value: 99 } } });
    assert.equal(missing.error?.code, status.NOT_FOUND);
    assert.match(missing.error!.details, /Servable not found for request: model "tiny-binary" has no version "99"/);
  });

  test("bad requests get the TF Serving status codes, name what is wrong, and the server keeps serving", async () => {
    const model = tiny.names.binary;
    const cases: [string, unknown, status, RegExp][] = [
      ["Predict", predictRequest("no-such-model"), status.NOT_FOUND, /Servable not found for request: model "no-such-model" is not in the registry/],
      ["Predict", predictRequest(model, ROWS, { version: { value: 7 } }), status.NOT_FOUND, /has no version "7"/],
      ["Predict", predictRequest(model, ROWS, { version_label: "canary-x" }), status.NOT_FOUND, /has no version labelled "canary-x"/],
      ["Predict", { inputs: predictRequest(model).inputs }, status.INVALID_ARGUMENT, /model_spec\.name is required/],
      ["Predict", predictRequest(model, ROWS, { signature_name: "train" }), status.INVALID_ARGUMENT, /signature name: "train" not found/],
      ["Predict", { ...predictRequest(model), inputs: { ...predictRequest(model).inputs, x1: stringTensor(["1", "2", "3"]) } }, status.INVALID_ARGUMENT, /input x1: feature "x1" is numerical; send it as FP32/],
      ["Predict", { ...predictRequest(model), inputs: { ...predictRequest(model).inputs, x2: floatTensor([1, 2]) } }, status.INVALID_ARGUMENT, /input x2 has 2 rows but x1 has 3/],
      ["Predict", { ...predictRequest(model), inputs: { ...predictRequest(model).inputs, x1: { dtype: DT_FLOAT, tensor_shape: shape(3), float_val: [1, 2] } } }, status.INVALID_ARGUMENT, /input "x1": tensor_shape \[3\] holds 3 values but float_val has 2/],
      ["Predict", { ...predictRequest(model), inputs: { ...predictRequest(model).inputs, color: floatTensor([1, 2, 3]) } }, status.INVALID_ARGUMENT, /feature "color": is categorical .*got the number 1/],
      ["Predict", { ...predictRequest(model), output_filter: ["scores"] }, status.INVALID_ARGUMENT, /output_filter names "scores"/],
      ["Regress", { model_spec: { name: model }, input: { example_list: { examples: ROWS.map(example) } } }, status.INVALID_ARGUMENT, /Regress is not supported by model "tiny-binary": it is a binary classifier/],
      ["Classify", { model_spec: { name: model }, input: { example_list: { examples: [example({ x1: 1, x2: 2 })] } } }, status.INVALID_ARGUMENT, /examples\[0\] is missing feature "color"/],
      ["GetModelMetadata", { model_spec: { name: model }, metadata_field: ["graph"] }, status.INVALID_ARGUMENT, /metadata_field "graph" is not supported/],
      ["Predict", predictRequest(model, Array.from({ length: 8000 }, () => ROWS[0])), status.RESOURCE_EXHAUSTED, /Received message larger than max/],
    ];
    for (const [method, request, code, message] of cases) {
      const r = await call(tf.prediction, method, request);
      assert.equal(r.error?.code, code, `${method} ${message}: got ${r.error?.code} ${r.error?.details}`);
      assert.match(r.error!.details, message);
    }
    // A method the server does not implement, called as a client generated from the full upstream protos would.
    const multi = await new Promise<{ code?: number; details?: string }>((resolve) =>
      tf.prediction.makeUnaryRequest("/tensorflow.serving.PredictionService/MultiInference", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e ?? {})),
    );
    assert.equal(multi.code, status.UNIMPLEMENTED);
    const ok = await call(tf.prediction, "Predict", predictRequest(model));
    assert.equal(ok.error, undefined, "still serving after the bad requests");
    const metrics = await (await fetch(`${tiny.base}/metrics`)).text();
    assert.match(metrics, /mlops_requests_total\{model="tiny-binary",version="1",endpoint="predict",status="200",protocol="grpc"\} [1-9]/);
    assert.match(metrics, /mlops_requests_total\{model="tiny-binary",version="1",endpoint="predict",status="400",protocol="grpc"\} [1-9]/);
    assert.match(metrics, /mlops_requests_total\{model="no-such-model",version="",endpoint="predict",status="404",protocol="grpc"\} 1/);
  });

  test("unlabelled gRPC traffic follows the model's canary rollout", async () => {
    const model = tiny.names.regression;
    const v2 = await trainAnotherVersion(tiny.registryDir, model);
    await writeRollout(tiny.registry, model, { mode: "canary", challenger: v2, weight: 1, reason: "test" });
    await waitFor(async () => (await call(tf.prediction, "Predict", predictRequest(model))).response?.model_spec.version.value === v2);
    const pinned = await call(tf.prediction, "Predict", predictRequest(model, ROWS, { version: { value: 1 } }));
    assert.equal(pinned.response.model_spec.version.value, 1, "a version asked for by number is not split");
    await writeRollout(tiny.registry, model, { mode: "none", challenger: null, weight: 0, reason: "test" });
    await waitFor(async () => (await call(tf.prediction, "Predict", predictRequest(model))).response?.model_spec.version.value === 1);
  });
});

// --- Open Inference Protocol gRPC -------------------------------------------------------------
// raw_input_contents layouts (kserve/open-inference-protocol open_inference_grpc.proto, Triton's
// binary data rules): little-endian, row-major; BOOL one byte; BYTES a 4-byte LE length per element.

const rawFp32 = (v: number[]) => Buffer.from(new Float32Array(v).buffer);
const rawInt64 = (v: number[]) => Buffer.from(new BigInt64Array(v.map(BigInt)).buffer);
const rawBool = (v: boolean[]) => Buffer.from(v.map((b) => (b ? 1 : 0)));
const rawBytes = (v: string[]) =>
  Buffer.concat(v.flatMap((s) => {
    const b = Buffer.from(s);
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return [n, b];
  }));
const readBytes = (b: Buffer) => {
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 4 + b.readUInt32LE(o)) out.push(b.subarray(o + 4, o + 4 + b.readUInt32LE(o)).toString());
  return out;
};

const rawInferRequest = (model: string, rows: readonly { x1: number; x2: number; color: string }[] = ROWS) => ({
  model_name: model,
  inputs: [
    { name: "x1", datatype: "FP32", shape: [rows.length] },
    { name: "x2", datatype: "INT64", shape: [rows.length] },
    { name: "color", datatype: "BYTES", shape: [rows.length] },
  ],
  raw_input_contents: [rawFp32(rows.map((r) => r.x1)), rawInt64(rows.map((r) => Math.round(r.x2))), rawBytes(rows.map((r) => r.color))],
});

describe("Open Inference Protocol gRPC (inference.GRPCInferenceService)", () => {
  test("ModelInfer with raw_input_contents (FP32, INT64, BYTES) answers in raw_output_contents what REST /infer answers", async () => {
    const model = tiny.names.multiclass;
    const r = await call(oip.inference, "ModelInfer", { ...rawInferRequest(model), id: "grpc-1" });
    assert.equal(r.error, undefined, r.error?.details);
    assert.equal(r.response.id, "grpc-1");
    assert.equal(r.response.model_version, "1");
    assert.deepEqual(r.response.outputs.map((o: any) => [o.name, o.datatype, o.shape]), [["predictions", "FP32", [3, 3]], ["label", "BYTES", [3]]]);
    const [probs, labels] = r.response.raw_output_contents as Buffer[];
    const viaRest = await rest(`/v2/models/${model}/infer`, {
      inputs: [
        { name: "x1", datatype: "FP32", shape: [3], data: ROWS.map((x) => x.x1) },
        { name: "x2", datatype: "INT64", shape: [3], data: ROWS.map((x) => Math.round(x.x2)) },
        { name: "color", datatype: "BYTES", shape: [3], data: ROWS.map((x) => x.color) },
      ],
    });
    const json = Object.fromEntries(viaRest.body.outputs.map((o: any) => [o.name, o.data]));
    assert.deepEqual(Array.from(new Float32Array(probs!.buffer.slice(probs!.byteOffset, probs!.byteOffset + probs!.length))), Array.from(new Float32Array(json.predictions)));
    assert.deepEqual(readBytes(labels!), json.label);
  });

  test("ModelInfer with typed contents answers in typed contents; outputs can be picked", async () => {
    const model = tiny.names.binary;
    const r = await call(oip.inference, "ModelInfer", {
      model_name: model,
      model_version: "champion",
      inputs: [
        { name: "x1", datatype: "FP32", shape: [3, 1], contents: { fp32_contents: ROWS.map((x) => x.x1) } },
        { name: "x2", datatype: "FP64", shape: [3], contents: { fp64_contents: ROWS.map((x) => x.x2) } },
        { name: "color", datatype: "BYTES", shape: [3], contents: { bytes_contents: ROWS.map((x) => Buffer.from(x.color)) } },
      ],
      outputs: [{ name: "label" }],
    });
    assert.equal(r.error, undefined, r.error?.details);
    assert.deepEqual(r.response.raw_output_contents, []);
    assert.equal(r.response.outputs.length, 1);
    assert.deepEqual(r.response.outputs[0].contents.bytes_contents.map(String), (await rest(`/v2/models/${model}/infer`, { inputs: [
      { name: "x1", datatype: "FP32", shape: [3], data: ROWS.map((x) => x.x1) },
      { name: "x2", datatype: "FP64", shape: [3], data: ROWS.map((x) => x.x2) },
      { name: "color", datatype: "BYTES", shape: [3], data: ROWS.map((x) => x.color) },
    ], outputs: [{ name: "label" }] })).body.outputs[0].data);
  });

  test("liveness, readiness, server and model metadata", async () => {
    assert.deepEqual((await call(oip.inference, "ServerLive", {})).response, { live: true });
    assert.deepEqual((await call(oip.inference, "ServerReady", {})).response, { ready: true });
    assert.deepEqual((await call(oip.inference, "ModelReady", { name: tiny.names.binary, version: "1" })).response, { ready: true });
    assert.deepEqual((await call(oip.inference, "ModelReady", { name: tiny.names.binary, version: "9" })).response, { ready: false });
    const meta = (await call(oip.inference, "ServerMetadata", {})).response;
    assert.equal(meta.name, "pulumi-mlops");
    assert.deepEqual(meta.extensions, ["binary_tensor_data"]);
    const m = (await call(oip.inference, "ModelMetadata", { name: tiny.names.regression, version: "" })).response;
    assert.equal(m.platform, "tensorflowjs_layers");
    assert.deepEqual(m.inputs.map((i: any) => [i.name, i.datatype, i.shape]), [["x1", "FP32", [-1]], ["x2", "FP32", [-1]], ["color", "BYTES", [-1]]]);
  });

  test("raw BOOL is one byte per element: true for a categorical feature is refused, naming it", async () => {
    const req = rawInferRequest(tiny.names.binary);
    req.inputs[2] = { name: "color", datatype: "BOOL", shape: [3] };
    req.raw_input_contents[2] = rawBool([true, false, false]);
    const r = await call(oip.inference, "ModelInfer", req);
    assert.equal(r.error?.code, status.INVALID_ARGUMENT);
    assert.match(r.error!.details, /instance 0, feature "color": is categorical .*got the boolean true/);
  });

  test("bad requests get NOT_FOUND / INVALID_ARGUMENT / RESOURCE_EXHAUSTED naming what is wrong, and the server keeps serving", async () => {
    const model = tiny.names.binary;
    const base = rawInferRequest(model);
    const cases: [unknown, status, RegExp][] = [
      [{ ...base, model_name: "nope" }, status.NOT_FOUND, /model "nope" is not in the registry/],
      [{ ...base, model_version: "5" }, status.NOT_FOUND, /has no version "5"/],
      [{ ...base, model_name: "" }, status.INVALID_ARGUMENT, /model_name is required/],
      [{ ...base, inputs: [{ ...base.inputs[0], datatype: "BYTES" }, base.inputs[1], base.inputs[2]], raw_input_contents: [rawBytes(["1", "2", "3"]), ...base.raw_input_contents.slice(1)] }, status.INVALID_ARGUMENT, /input x1: feature "x1" is numerical/],
      [{ ...base, inputs: [{ ...base.inputs[0], datatype: "FP99" }, base.inputs[1], base.inputs[2]] }, status.INVALID_ARGUMENT, /inputs\[0\] \(x1\): datatype "FP99" is not an Open Inference Protocol tensor type/],
      [{ ...base, raw_input_contents: [rawFp32([1, 2]), ...base.raw_input_contents.slice(1)] }, status.INVALID_ARGUMENT, /inputs\[0\] \(x1\): shape holds 3 FP32 values \(12 bytes\) but the raw data has 8 bytes/],
      [{ ...base, raw_input_contents: base.raw_input_contents.slice(0, 2) }, status.INVALID_ARGUMENT, /raw_input_contents has 2 entries for 3 inputs/],
      [{ ...base, inputs: [{ ...base.inputs[0], shape: [2] }, base.inputs[1], base.inputs[2]], raw_input_contents: [rawFp32([1, 2]), ...base.raw_input_contents.slice(1)] }, status.INVALID_ARGUMENT, /input x1 has 2 rows but|input x2 has 3 rows but x1 has 2/],
      [{ ...base, outputs: [{ name: "scores" }] }, status.INVALID_ARGUMENT, /output "scores" is not produced by the model/],
      [{ ...base, inputs: [{ ...base.inputs[0], shape: [20000] }, base.inputs[1], base.inputs[2]], raw_input_contents: [rawFp32(new Array(20000).fill(1)), ...base.raw_input_contents.slice(1)] }, status.RESOURCE_EXHAUSTED, /Received message larger than max/],
    ];
    for (const [request, code, message] of cases) {
      const r = await call(oip.inference, "ModelInfer", request);
      assert.equal(r.error?.code, code, `${message}: got ${r.error?.code} ${r.error?.details}`);
      assert.match(r.error!.details, message);
    }
    assert.equal((await call(oip.inference, "ModelInfer", base)).error, undefined, "still serving");
    const metrics = await (await fetch(`${tiny.base}/metrics`)).text();
    assert.match(metrics, /mlops_requests_total\{model="nope",version="",endpoint="infer",status="404",protocol="grpc"\} 1/);
  });
});

describe("grpc.health.v1", () => {
  test("the server and each service report SERVING once models are loaded; an unknown service is NOT_FOUND", async () => {
    for (const [client, service] of [
      [tf, ""],
      [tf, "tensorflow.serving.PredictionService"],
      [tf, "tensorflow.serving.ModelService"],
      [oip, ""],
      [oip, "inference.GRPCInferenceService"],
    ] as const) {
      const r = await call(client.health, "Check", { service });
      assert.equal(r.response?.status, "SERVING", `${service}: ${r.error?.details}`);
    }
    const wrong = await call(tf.health, "Check", { service: "inference.GRPCInferenceService" });
    assert.equal(wrong.error?.code, status.NOT_FOUND, "the TF Serving port does not serve the inference service");
  });
});

test("one port can carry both APIs when both options name it", async () => {
  const port = await freePort();
  const both = await startTinyServer("mlops-grpc-one-", { grpcPort: port, inferenceGrpcPort: port });
  try {
    assert.equal(both.server.grpc.tfServing, both.server.grpc.inference);
    const c = grpcClients(both.server.grpc.tfServing!);
    const rows = tinyRows(2, 3);
    const p = await call(c.prediction, "Predict", predictRequest(both.names.binary, rows));
    const i = await call(c.inference, "ModelInfer", rawInferRequest(both.names.binary, rows.map((r) => ({ ...r, x2: Math.round(r.x2) }))));
    c.close();
    assert.equal(p.error, undefined);
    assert.equal(i.error, undefined);
  } finally {
    await both.stop();
  }
});
