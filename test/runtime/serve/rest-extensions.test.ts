import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FIT, SERVE, encodeRows, type PreprocessorState } from "../../../runtime/src/data/preprocessor.ts";
import { parseJson } from "../../../runtime/src/serve/json.ts";
import { type TinyServer, startTinyServer } from "../../helpers/tiny-server.ts";

let tiny: TinyServer;
let base: string;
before(async () => {
  tiny = await startTinyServer("mlops-rest-ext-", { pollIntervalMs: 50 });
  base = tiny.base;
});
after(() => tiny?.stop());

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return { status: res.status, body: parseJson(await res.text()) as Record<string, unknown> };
}

// Feature values exactly representable in float32, so FP32 tensors and JSON numbers encode alike.
const ROWS = [
  { x1: 0.5, x2: -1.25, color: "red" },
  { x1: -1.75, x2: 0.25, color: "blue" },
  { x1: 1.5, x2: 1, color: "green" },
];

// --- Triton's binary tensor data extension ------------------------------------------------------
// The request is built the way tritonclient.http builds it (triton-inference-server/client
// src/python/library/tritonclient/http/_utils.py `_get_inference_request`, _infer_input.py
// `set_data_from_numpy(binary_data=True)` and `_get_tensor`, _client.py `infer`): the JSON object
// ({"id"?, "inputs": [{"name","shape","datatype","parameters":{"binary_data_size"}}], "outputs"? |
// "parameters": {"binary_data_output": true}}) serialised compactly, then each input's
// `tobytes()` (numpy, little-endian) in input order; BYTES via serialize_byte_tensor (a "<I"
// length before each element); header Inference-Header-Content-Length = len(JSON); no
// Content-Type. The response is read as _infer_result.py `InferResult` reads it.

interface TritonInput {
  name: string;
  datatype: string;
  shape: number[];
  raw: Buffer;
}

const fp32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
const int64 = (values: number[]) => Buffer.from(new BigInt64Array(values.map(BigInt)).buffer);
const bool = (values: boolean[]) => Buffer.from(values.map((v) => (v ? 1 : 0)));
function serializeByteTensor(values: string[]): Buffer {
  return Buffer.concat(values.flatMap((v) => {
    const bytes = Buffer.from(v, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    return [len, bytes];
  }));
}

function tritonRequest(inputs: TritonInput[], outputs?: { name: string; binary_data: boolean }[], id?: string): { body: Buffer; headers: Record<string, string> } {
  const request: Record<string, unknown> = {};
  if (id !== undefined) request.id = id;
  request.inputs = inputs.map((i) => ({ name: i.name, shape: i.shape, datatype: i.datatype, parameters: { binary_data_size: i.raw.length } }));
  if (outputs) request.outputs = outputs.map((o) => ({ name: o.name, parameters: { binary_data: o.binary_data } }));
  else request.parameters = { binary_data_output: true };
  const json = JSON.stringify(request);
  return { body: Buffer.concat([Buffer.from(json), ...inputs.map((i) => i.raw)]), headers: { "Inference-Header-Content-Length": String(json.length) } };
}

interface TritonResult {
  status: number;
  json: Record<string, any>;
  asNumpy(name: string): (number | string)[] | undefined;
}

async function tritonInfer(model: string, req: { body: Buffer; headers: Record<string, string> }): Promise<TritonResult> {
  const res = await fetch(`${base}/v2/models/${model}/infer`, { method: "POST", body: req.body, headers: req.headers });
  const body = Buffer.from(await res.arrayBuffer());
  const headerLength = res.headers.get("inference-header-content-length");
  const json = JSON.parse((headerLength === null ? body : body.subarray(0, Number(headerLength))).toString("utf8"));
  const buffer = headerLength === null ? Buffer.alloc(0) : body.subarray(Number(headerLength));
  const offsets = new Map<string, number>();
  let at = 0;
  for (const o of json.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      offsets.set(o.name, at);
      at += size;
    }
  }
  return {
    status: res.status,
    json,
    asNumpy(name) {
      const o = (json.outputs as any[]).find((x) => x.name === name);
      if (!o) return undefined;
      const size = o.parameters?.binary_data_size;
      if (size === undefined) return o.data;
      const bytes = buffer.subarray(offsets.get(name)!, offsets.get(name)! + size);
      if (o.datatype === "BYTES") {
        const out: string[] = [];
        for (let p = 0; p < bytes.length; ) {
          const len = bytes.readUInt32LE(p);
          out.push(bytes.subarray(p + 4, p + 4 + len).toString("utf8"));
          p += 4 + len;
        }
        return out;
      }
      assert.equal(o.datatype, "FP32");
      return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
    },
  };
}

const binaryInputs = (rows = ROWS): TritonInput[] => [
  { name: "x1", datatype: "FP32", shape: [rows.length], raw: fp32(rows.map((r) => r.x1)) },
  { name: "x2", datatype: "INT64", shape: [rows.length], raw: int64(rows.map((r) => Math.round(r.x2))) },
  { name: "color", datatype: "BYTES", shape: [rows.length], raw: serializeByteTensor(rows.map((r) => r.color)) },
];

const jsonInfer = (model: string, rows = ROWS) =>
  post(`/v2/models/${model}/infer`, {
    inputs: [
      { name: "x1", datatype: "FP32", shape: [rows.length], data: rows.map((r) => r.x1) },
      { name: "x2", datatype: "INT64", shape: [rows.length], data: rows.map((r) => Math.round(r.x2)) },
      { name: "color", datatype: "BYTES", shape: [rows.length], data: rows.map((r) => r.color) },
    ],
  });

describe("binary tensor data extension (REST)", () => {
  test("GET /v2 advertises binary_tensor_data", async () => {
    const r = (await (await fetch(`${base}/v2`)).json()) as { extensions: string[] };
    assert.deepEqual(r.extensions, ["binary_tensor_data"]);
  });

  test("a request built as tritonclient.http builds it gets the JSON form's predictions, as binary outputs", async () => {
    const model = tiny.names.multiclass;
    const reference = await jsonInfer(model);
    assert.equal(reference.status, 200);
    const r = await tritonInfer(model, tritonRequest(binaryInputs(), undefined, "req-7"));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.id, "req-7");
    assert.deepEqual(r.json.outputs.map((o: any) => [o.name, o.datatype, o.shape, o.data]), [
      ["predictions", "FP32", [3, 3], undefined],
      ["label", "BYTES", [3], undefined],
    ]);
    const ref = Object.fromEntries((reference.body.outputs as any[]).map((o) => [o.name, o.data]));
    assert.deepEqual(r.asNumpy("predictions"), Array.from(new Float32Array(ref.predictions)));
    assert.deepEqual(r.asNumpy("label"), ref.label);
  });

  test("per-output binary_data picks which outputs come back as bytes; the others stay JSON", async () => {
    const model = tiny.names.binary;
    const r = await tritonInfer(model, tritonRequest(binaryInputs(), [{ name: "label", binary_data: true }, { name: "predictions", binary_data: false }]));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const [label, predictions] = r.json.outputs;
    assert.equal(label.name, "label");
    assert.equal(label.parameters.binary_data_size, r.asNumpy("label")!.reduce((s: number, v) => s + 4 + Buffer.byteLength(String(v)), 0));
    assert.equal(predictions.parameters, undefined);
    assert.equal(predictions.data.length, 3);
    const all = await tritonInfer(model, tritonRequest(binaryInputs(), [{ name: "predictions", binary_data: false }]));
    assert.equal(all.status, 200);
    assert.equal(all.json.outputs[0].data.length, 3, "no binary output: a plain JSON response");
  });

  test("BOOL is one byte per element: true for a categorical feature is refused, naming the input", async () => {
    const inputs = binaryInputs();
    inputs[2] = { name: "color", datatype: "BOOL", shape: [3], raw: bool([true, false, true]) };
    const r = await tritonInfer(tiny.names.binary, tritonRequest(inputs));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /instance 0, feature "color": is categorical \((?=[^)]*"red")(?=[^)]*"green")(?=[^)]*"blue")[^)]*\); got the boolean true/);
  });

  test("binary sections that do not match the JSON part are a 400 naming the input", async () => {
    const model = tiny.names.binary;
    const send = async (body: Buffer, headerLength: string) =>
      tritonInfer(model, { body, headers: { "Inference-Header-Content-Length": headerLength } });
    const good = tritonRequest(binaryInputs());
    const jsonLength = Number(good.headers["Inference-Header-Content-Length"]);
    // Header longer than the body.
    let r = await send(good.body, String(good.body.length + 1));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /Inference-Header-Content-Length must be the byte length of the JSON part/);
    // Body cut short: the last input's bytes are missing.
    r = await send(good.body.subarray(0, good.body.length - 2), String(jsonLength));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /inputs\[2\] \(color\): binary_data_size \d+ runs past the end of the body/);
    // Extra bytes after the last input.
    r = await send(Buffer.concat([good.body, Buffer.from([1, 2, 3])]), String(jsonLength));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /3 binary bytes after the last input's binary_data_size/);
    // FP32 bytes that do not fill the shape.
    const short = binaryInputs();
    short[0] = { ...short[0]!, raw: fp32([1, 2]) };
    r = await tritonInfer(model, tritonRequest(short));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /inputs\[0\] \(x1\): shape holds 3 FP32 values \(12 bytes\) but the raw data has 8 bytes/);
    // A BYTES length prefix that claims more than there is.
    const lying = binaryInputs();
    const raw = Buffer.from(lying[2]!.raw);
    raw.writeUInt32LE(200, 0);
    lying[2] = { ...lying[2]!, raw };
    r = await tritonInfer(model, tritonRequest(lying));
    assert.equal(r.status, 400);
    assert.match(r.json.error, /inputs\[2\] \(color\): BYTES element 0 claims 200 bytes/);
    // binary_data_size without the header.
    const noHeader = await fetch(`${base}/v2/models/${model}/infer`, { method: "POST", body: good.body.subarray(0, jsonLength) });
    assert.equal(noHeader.status, 400);
    assert.match(((await noHeader.json()) as { error: string }).error, /binary_data_size needs the Inference-Header-Content-Length header/);
    // And the server still answers.
    assert.equal((await jsonInfer(model)).status, 200);
  });
});

// --- TF Serving REST details ------------------------------------------------------------------
// ../shared/specs/oip/tensorflow_serving_api_rest.md: "Encoding binary values" ({"b64": ...} for
// an input feature or tensor, as in the classify example) and the classify/regress request format
// (`<value>|<list>` per feature, context features "MUST NOT appear in examples").

const b64 = (s: string) => ({ b64: Buffer.from(s).toString("base64") });

describe("TF Serving REST details", () => {
  test('{"b64": ...} stands for its decoded string in rows, columns and :classify examples', async () => {
    const m = tiny.names.binary;
    const plain = await post(`/v1/models/${m}:predict`, { instances: ROWS });
    const rows = await post(`/v1/models/${m}:predict`, { instances: ROWS.map((r) => ({ ...r, color: b64(r.color) })) });
    const cols = await post(`/v1/models/${m}:predict`, { inputs: { x1: ROWS.map((r) => r.x1), x2: ROWS.map((r) => r.x2), color: ROWS.map((r) => b64(r.color)) } });
    assert.equal(plain.status, 200);
    assert.deepEqual(rows.body.predictions, plain.body.predictions);
    assert.deepEqual(cols.body.outputs, plain.body.predictions);
    const classify = await post(`/v1/models/${m}:classify`, { examples: ROWS.map((r) => ({ ...r, color: b64(r.color) })) });
    const classifyPlain = await post(`/v1/models/${m}:classify`, { examples: ROWS });
    assert.equal(classify.status, 200);
    assert.deepEqual(classify.body.results, classifyPlain.body.results);
  });

  test("tf.Example-style one-element lists are the value; longer lists are a 400 naming the feature", async () => {
    const m = tiny.names.regression;
    const plain = await post(`/v1/models/${m}:regress`, { examples: ROWS });
    const lists = await post(`/v1/models/${m}:regress`, { examples: ROWS.map((r) => ({ x1: [r.x1], x2: [r.x2], color: [r.color] })) });
    assert.equal(lists.status, 200);
    assert.deepEqual(lists.body.results, plain.body.results);
    const predict = await post(`/v1/models/${m}:predict`, { instances: ROWS.map((r) => ({ ...r, x1: [r.x1] })) });
    assert.equal(predict.status, 200);
    assert.deepEqual(predict.body.predictions, (plain.body.results as number[]).map((v) => [v]));
    const columns = await post(`/v1/models/${m}:predict`, { inputs: { x1: ROWS.map((r) => [r.x1]), x2: ROWS.map((r) => r.x2), color: ROWS.map((r) => [b64(r.color)]) } });
    assert.deepEqual(columns.body.outputs, predict.body.predictions);
    const two = await post(`/v1/models/${m}:regress`, { examples: [{ ...ROWS[0], x2: [1, 2] }] });
    assert.equal(two.status, 400);
    assert.match(String(two.body.error), /instance 0, feature "x2": got a list of 2 values; the feature takes one value/);
  });

  test("bad base64 and a feature in both context and example are 400s naming the feature", async () => {
    const m = tiny.names.binary;
    const r = await post(`/v1/models/${m}:predict`, { instances: [{ ...ROWS[0], color: { b64: "not base64!" } }] });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /instance 0, feature "color": \{"b64": \.\.\.\} holds "not base64!", which is not base64/);
    const typo = await post(`/v1/models/${m}:predict`, { instances: [{ x1: 1, x2: 1, colour: "blue" }] });
    assert.equal(typo.status, 400);
    assert.match(String(typo.body.error), /instances\[0\] is missing feature "color"; send null if the value is unknown \(it has unknown "colour"\)/);
    const c = await post(`/v1/models/${m}:classify`, { context: { color: "red" }, examples: [{ x1: 1, x2: 1, color: "blue" }] });
    assert.equal(c.status, 400);
    assert.match(String(c.body.error), /examples\[0\] repeats feature "color", which the context already gives/);
  });
});

// --- categorical features sent as numbers or booleans ----------------------------------------

describe("categorical values that are not strings", () => {
  test("a number or boolean for a categorical feature is a 400 naming the input and its categories, on v1 and v2", async () => {
    const m = tiny.names.binary;
    const v1 = await post(`/v1/models/${m}:predict`, { instances: [{ ...ROWS[0], color: 1 }] });
    assert.equal(v1.status, 400);
    assert.match(String(v1.body.error), /^instance 0, feature "color": is categorical \((?=[^)]*"red")(?=[^)]*"green")(?=[^)]*"blue")[^)]*\); got the number 1, which is not one of its categories: send the category as a string$/);
    const v2 = await post(`/v2/models/${m}/infer`, {
      inputs: [
        { name: "x1", datatype: "FP32", shape: [1], data: [0.5] },
        { name: "x2", datatype: "FP32", shape: [1], data: [0.5] },
        { name: "color", datatype: "BOOL", shape: [1], data: [false] },
      ],
    });
    assert.equal(v2.status, 400);
    assert.match(String(v2.body.error), /feature "color": is categorical .*got the boolean false/);
  });

  test("serving accepts a number whose text is a known category, as training read it; files keep reading numbers as text", () => {
    const state: PreprocessorState = {
      formatVersion: 1,
      target: "y",
      features: [{ name: "cylinders", kind: "categorical", categories: ["4", "6", "8"] }],
      targetTransform: { task: "regression", mean: 0, std: 1 },
      width: 4,
    };
    const rows: unknown[] = [6, "8"];
    assert.deepEqual(Array.from(encodeRows(state, 2, (r) => rows[r] as number, SERVE)), [0, 1, 0, 0, 0, 0, 1, 0]);
    assert.throws(() => encodeRows(state, 1, () => 5, SERVE), /instance 0, feature "cylinders": is categorical \("4", "6", "8"\); got the number 5/);
    assert.throws(() => encodeRows(state, 1, () => true, SERVE), /got the boolean true/);
    // Training and file scoring are unchanged: an unseen number goes to the out-of-vocabulary bucket.
    assert.deepEqual(Array.from(encodeRows(state, 1, () => 5, FIT)), [0, 0, 0, 1]);
  });
});
