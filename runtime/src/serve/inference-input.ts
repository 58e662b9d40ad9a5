import type { Cell } from "../data/table.ts";
import { mlopsError, showValue } from "../errors.ts";
import { ELEMENT_BYTES, decodeRawTensor } from "./raw-tensor.ts";

/** Raw rows pulled out of a request body: `get(row, featureIndex)` in the model's feature order. */
export interface RequestRows {
  n: number;
  get: (row: number, k: number) => Cell | undefined;
}

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

/**
 * Throws MLOPS_ERR_INFER_TOO_MANY_ROWS (413) when a request's `rows` exceed what the server can
 * queue at once: checked before any row is read, so an oversized request costs no work.
 */
export function assertRowLimit(field: string, rows: number, limit: number): void {
  if (rows > limit) throw mlopsError("MLOPS_ERR_INFER_TOO_MANY_ROWS", { field, rows, limit });
}
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A TF Serving JSON value as the model reads it: `{"b64": "..."}` is a string given in base64
 * (TF Serving's encoding of binary strings), and a one-element list is its element (tf.Example
 * features are lists; a scalar feature is a list of one).
 */
function tfValue(v: unknown, row: number, feature: string): Cell {
  if (v === null || typeof v !== "object") return v as Cell;
  if (Array.isArray(v)) {
    if (v.length !== 1) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row, feature, reason: `got a list of ${v.length} values; the feature takes one value (a scalar or a one-element list)` });
    // One level only (tf.Example's list of one): unwrapping deeper would recurse on hostile nesting.
    if (Array.isArray(v[0])) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row, feature, reason: "got a nested list; the feature takes one value (a scalar or a one-element list)" });
    return tfValue(v[0], row, feature);
  }
  const keys = Object.keys(v);
  const b64 = (v as Record<string, unknown>).b64;
  if (keys.length === 1 && typeof b64 === "string") {
    if (!BASE64.test(b64)) throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row, feature, reason: `{"b64": ...} holds ${showValue(b64)}, which is not base64` });
    return Buffer.from(b64, "base64").toString("utf8");
  }
  throw mlopsError("MLOPS_ERR_INFER_FEATURE", { row, feature, reason: `expected a number, a string, {"b64": "<base64>"} or null, got ${showValue(v)}` });
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * Rows from TF Serving's row format: each instance is an object keyed by feature name or an
 * array in feature order (a bare value when the model has one feature). Every feature must be
 * present; send null for an unknown value. Values may be `{"b64": ...}` or one-element lists.
 */
export function rowsFromInstances(features: readonly string[], instances: unknown, field = "instances", maxRows: number = Number.POSITIVE_INFINITY): RequestRows {
  if (!Array.isArray(instances)) throw bad(`${field} must be a list, got ${showValue(instances)}`);
  if (instances.length === 0) throw bad(`${field} is empty: send at least one row`);
  assertRowLimit(field, instances.length, maxRows);
  // One pass checks every row and reads its cells into a flat row-major array, so encoding and
  // the drift window read plain array slots (the request hot path, bench/serving.ts).
  const n = instances.length;
  const width = features.length;
  const cells: Cell[] = new Array(n * width);
  for (let r = 0, o = 0; r < n; r++) {
    const inst: unknown = instances[r];
    if (Array.isArray(inst)) {
      if (inst.length !== width) throw bad(`${field}[${r}] has ${inst.length} values; the model takes ${width} (${features.join(", ")})`);
      for (let k = 0; k < width; k++) cells[o++] = tfValue(inst[k], r, features[k]!);
    } else if (isRecord(inst) && !(width === 1 && "b64" in inst && features[0] !== "b64")) {
      let keys = 0;
      for (const _ in inst) keys++;
      for (let k = 0; k < width; k++) {
        const name = features[k]!;
        const v = inst[name];
        if (v === undefined && !Object.hasOwn(inst, name)) {
          const unknown = Object.keys(inst).filter((key) => !features.includes(key));
          throw bad(`${field}[${r}] is missing feature ${showValue(name)}; send null if the value is unknown${unknown.length ? ` (it has unknown ${unknown.map((u) => showValue(u)).join(", ")})` : ""}`);
        }
        cells[o++] = tfValue(v, r, name);
      }
      if (keys !== width) {
        const unknown = Object.keys(inst).find((key) => !features.includes(key));
        throw bad(`${field}[${r}] has unknown feature ${showValue(unknown)}; the model takes ${features.join(", ")}`);
      }
    } else if (width === 1) cells[o++] = tfValue(inst, r, features[0]!);
    else throw bad(`${field}[${r}] must be an object keyed by feature name or a list of ${width} values, got ${showValue(inst)}`);
  }
  return { n, get: (r, k) => cells[r * width + k] };
}

/**
 * Rows from TF Serving's columnar format: `{feature: [values...]}` with every feature and equal
 * lengths (a scalar per feature means one row), or a list of rows in feature order.
 */
export function rowsFromColumns(features: readonly string[], inputs: unknown, maxRows: number = Number.POSITIVE_INFINITY): RequestRows {
  if (Array.isArray(inputs)) return rowsFromInstances(features, inputs, "inputs", maxRows);
  if (!isRecord(inputs)) throw bad(`inputs must be an object keyed by feature name or a list of rows, got ${showValue(inputs)}`);
  for (const key of Object.keys(inputs)) {
    if (!features.includes(key)) throw bad(`inputs has unknown feature ${showValue(key)}; the model takes ${features.join(", ")}`);
  }
  const cols = features.map((f) => {
    if (!(f in inputs)) throw bad(`inputs is missing feature ${showValue(f)}; send null values if unknown`);
    const v = inputs[f];
    return Array.isArray(v) ? v : [v];
  });
  const n = cols[0]!.length;
  assertRowLimit("inputs", n, maxRows);
  cols.forEach((c, k) => {
    if (c.length !== n) throw bad(`inputs.${features[k]} has ${c.length} values but inputs.${features[0]} has ${n}; every feature needs one value per row`);
  });
  if (n === 0) throw bad("inputs is empty: send at least one row");
  return { n, get: (r, k) => tfValue(cols[k]![r], r, features[k]!) };
}

/**
 * Rows from TF Serving's `:classify` / `:regress` body: each example merged with the shared
 * `context` (a feature may be in one or the other, not both).
 */
export function rowsFromExamples(features: readonly string[], examples: unknown, context: unknown, maxRows: number = Number.POSITIVE_INFINITY): RequestRows {
  if (!Array.isArray(examples)) throw bad('request must have "examples": a list of objects keyed by feature name');
  assertRowLimit("examples", examples.length, maxRows);
  const ctx = context ?? {};
  if (!isRecord(ctx)) throw bad('"context" must be an object keyed by feature name');
  const merged = examples.map((e, i) => {
    if (!isRecord(e)) throw bad(`examples[${i}] must be an object keyed by feature name`);
    for (const key of Object.keys(ctx)) if (key in e) throw bad(`examples[${i}] repeats feature ${showValue(key)}, which the context already gives; a feature goes in the context or in the examples, not both`);
    return { ...ctx, ...e };
  });
  return rowsFromInstances(features, merged, "examples", maxRows);
}

/** One input tensor of an Open Inference Protocol request, whatever it was encoded as. */
export interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  /** The values, flattened row-major. */
  data: ArrayLike<unknown>;
}

/** The binary section of a REST request (Triton's binary tensor data extension) and how far it has been read. */
export interface BinarySection {
  bytes: Uint8Array;
  offset: number;
}

/**
 * The values of an OIP `data` list, flat or nested along the tensor's shape: iterative, never
 * deeper than the shape has dimensions, and never more values than the shape holds (so a body
 * nested 10,000 deep or far larger than declared is a 400, not a stack overflow or a long loop).
 */
function flatten(data: unknown[], rank: number, size: number, where: string): unknown[] {
  const out: unknown[] = [];
  const stack: { list: unknown[]; next: number; depth: number }[] = [{ list: data, next: 0, depth: 1 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.list.length) {
      stack.pop();
      continue;
    }
    const item = top.list[top.next++];
    if (Array.isArray(item)) {
      if (top.depth >= rank) throw bad(`${where}: data is nested deeper than its shape's ${rank} dimension${rank === 1 ? "" : "s"}`);
      stack.push({ list: item, next: 0, depth: top.depth + 1 });
    } else {
      if (out.length >= size) throw bad(`${where}: data has more values than its shape holds (${size})`);
      out.push(item);
    }
  }
  return out;
}

/** Checks an input's name, shape and datatype (gRPC and REST alike); returns the element count. */
export function checkTensorHeader(name: unknown, shape: unknown, datatype: unknown, where: string, maxRows: number = Number.POSITIVE_INFINITY): number {
  if (typeof name !== "string" || name === "") throw bad(`${where}.name must be a non-empty string`);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw bad(`${where} (${name}): shape must be a list of non-negative integers, got ${showValue(shape)}`);
  }
  if (typeof datatype !== "string" || (ELEMENT_BYTES[datatype] === undefined && datatype !== "BYTES")) {
    throw bad(`${where} (${name}): datatype ${showValue(datatype)} is not an Open Inference Protocol tensor type`);
  }
  const rows = (shape as number[])[0]!;
  if (rows > maxRows) throw mlopsError("MLOPS_ERR_INFER_TOO_MANY_ROWS", { field: `${where} (${name})`, rows, limit: maxRows });
  return (shape as number[]).reduce((a, b) => a * b, 1);
}

/**
 * Reads `inputs[i]` of a JSON /infer request: `data` inline, or — with the binary tensor data
 * extension — `parameters.binary_data_size` bytes taken, in input order, from the binary section.
 */
export function readJsonTensor(t: unknown, i: number, binary?: BinarySection, maxRows: number = Number.POSITIVE_INFINITY): InferTensor {
  const where = `inputs[${i}]`;
  if (!isRecord(t)) throw bad(`${where} must be an object with name, shape, datatype and data`);
  const size = checkTensorHeader(t.name, t.shape, t.datatype, where, maxRows);
  const name = t.name as string;
  const datatype = t.datatype as string;
  const params = t.parameters;
  if (params !== undefined && !isRecord(params)) throw bad(`${where} (${name}): parameters must be an object`);
  const binarySize = params?.binary_data_size;
  if (binarySize !== undefined) {
    if (!Number.isInteger(binarySize) || (binarySize as number) < 0) throw bad(`${where} (${name}): parameters.binary_data_size must be a non-negative integer, got ${showValue(binarySize)}`);
    if (t.data !== undefined) throw bad(`${where} (${name}): give data or parameters.binary_data_size, not both`);
    if (!binary) throw bad(`${where} (${name}): parameters.binary_data_size needs the Inference-Header-Content-Length header (the length of the JSON part) and the tensor bytes after the JSON`);
    const end = binary.offset + (binarySize as number);
    if (end > binary.bytes.length) throw bad(`${where} (${name}): binary_data_size ${binarySize} runs past the end of the body (${binary.bytes.length - binary.offset} binary bytes left)`);
    const data = decodeRawTensor(datatype, binary.bytes.subarray(binary.offset, end), size, `${where} (${name})`);
    binary.offset = end;
    return { name, shape: t.shape as number[], datatype, data };
  }
  if (!Array.isArray(t.data)) throw bad(`${where} (${name}): data must be a list`);
  const data = flatten(t.data, (t.shape as number[]).length, size, `${where} (${name})`);
  if (data.length !== size) throw bad(`${where} (${name}): shape ${JSON.stringify(t.shape)} holds ${size} values but data has ${data.length}`);
  if (datatype === "BOOL" && data.some((d) => typeof d !== "boolean")) throw bad(`${where} (${name}): BOOL data must be true/false`);
  return { name, shape: t.shape as number[], datatype, data };
}

/** Rows from the JSON `inputs` of an Open Inference Protocol v2 request; see {@link rowsFromTensors}. */
export function rowsFromInferInputs(
  features: readonly string[],
  kinds: readonly ("numerical" | "categorical")[],
  inputs: unknown,
  { binary, maxRows = Number.POSITIVE_INFINITY }: { binary?: BinarySection | undefined; maxRows?: number } = {},
): RequestRows {
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad("inputs must be a non-empty list of tensors");
  const tensors = inputs.map((t, i) => readJsonTensor(t, i, binary, maxRows));
  if (binary && binary.offset !== binary.bytes.length) throw bad(`the body has ${binary.bytes.length - binary.offset} binary bytes after the last input's binary_data_size`);
  return rowsFromTensors(features, kinds, tensors);
}

/**
 * Rows from Open Inference Protocol tensors (REST or gRPC): one tensor per feature (shape [n] or
 * [n, 1], named after the feature), or a single [n, features] tensor in feature order.
 */
export function rowsFromTensors(features: readonly string[], kinds: readonly ("numerical" | "categorical")[], tensors: readonly InferTensor[]): RequestRows {
  if (tensors.length === 0) throw bad("inputs must be a non-empty list of tensors");
  const checkType = (t: InferTensor, k: number) => {
    if (kinds[k] === "numerical" && (t.datatype === "BYTES" || t.datatype === "BOOL")) {
      throw bad(`input ${t.name}: feature ${showValue(features[k])} is numerical; send it as FP32 (or another numeric type), not ${t.datatype}`);
    }
  };
  const only = tensors[0]!;
  if (tensors.length === 1 && only.shape.length === 2 && !(features.length === 1 && only.name === features[0])) {
    const [n, width] = only.shape as [number, number];
    if (width !== features.length) throw bad(`input ${only.name} has ${width} columns; the model takes ${features.length} (${features.join(", ")})`);
    if (n === 0) throw bad(`input ${only.name} is empty: send at least one row`);
    // One tensor holds one datatype: BYTES (JSON numbers and strings) when some feature is categorical.
    const mixed = kinds.includes("categorical");
    if (mixed && only.datatype !== "BYTES") throw bad(`input ${only.name}: the model has categorical features (${features.filter((_, k) => kinds[k] === "categorical").join(", ")}); send the [n, ${width}] tensor as BYTES, or one tensor per feature`);
    if (!mixed) features.forEach((_, k) => checkType(only, k));
    return { n, get: (r, k) => only.data[r * width + k] as Cell };
  }
  const byName = new Map<string, InferTensor>();
  for (const t of tensors) {
    const k = features.indexOf(t.name);
    if (k < 0) throw bad(`input ${showValue(t.name)} is not a feature of the model (${features.join(", ")}); or send one [n, ${features.length}] tensor`);
    if (byName.has(t.name)) throw bad(`input ${showValue(t.name)} appears twice`);
    if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) throw bad(`input ${t.name}: shape must be [n] or [n, 1], got ${JSON.stringify(t.shape)}`);
    checkType(t, k);
    byName.set(t.name, t);
  }
  const cols = features.map((f) => {
    const t = byName.get(f);
    if (!t) throw bad(`input for feature ${showValue(f)} is missing`);
    return t;
  });
  const n = cols[0]!.shape[0]!;
  for (const t of cols) if (t.shape[0] !== n) throw bad(`input ${t.name} has ${t.shape[0]} rows but ${cols[0]!.name} has ${n}`);
  if (n === 0) throw bad("inputs are empty: send at least one row");
  return { n, get: (r, k) => cols[k]!.data[r] as Cell };
}
