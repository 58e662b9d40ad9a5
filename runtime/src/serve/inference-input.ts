import type { Cell } from "../data/table.ts";
import { mlopsError, showValue } from "../errors.ts";

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
 * Rows from TF Serving's row format: each instance is an object keyed by feature name or an
 * array in feature order (a bare value when the model has one feature). Every feature must be
 * present; send null for an unknown value.
 */
export function rowsFromInstances(features: readonly string[], instances: unknown, field = "instances", maxRows: number = Number.POSITIVE_INFINITY): RequestRows {
  if (!Array.isArray(instances)) throw bad(`${field} must be a list, got ${showValue(instances)}`);
  if (instances.length === 0) throw bad(`${field} is empty: send at least one row`);
  assertRowLimit(field, instances.length, maxRows);
  const index = new Map(features.map((f, k) => [f, k]));
  const rows: (readonly unknown[])[] = instances.map((inst, r) => {
    if (Array.isArray(inst)) {
      if (inst.length !== features.length) throw bad(`${field}[${r}] has ${inst.length} values; the model takes ${features.length} (${features.join(", ")})`);
      return inst;
    }
    if (isRecord(inst)) {
      const row = new Array<unknown>(features.length);
      for (const key of Object.keys(inst)) {
        const k = index.get(key);
        if (k === undefined) throw bad(`${field}[${r}] has unknown feature ${showValue(key)}; the model takes ${features.join(", ")}`);
        row[k] = inst[key];
      }
      for (let k = 0; k < features.length; k++) {
        if (!(features[k]! in inst)) throw bad(`${field}[${r}] is missing feature ${showValue(features[k])}; send null if the value is unknown`);
      }
      return row;
    }
    if (features.length === 1) return [inst];
    throw bad(`${field}[${r}] must be an object keyed by feature name or a list of ${features.length} values, got ${showValue(inst)}`);
  });
  return { n: rows.length, get: (r, k) => rows[r]![k] as Cell };
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
  return { n, get: (r, k) => cols[k]![r] as Cell };
}

const NUMERIC_TYPES = new Set(["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64"]);

/** One tensor of an Open Inference Protocol request. */
interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
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

function readTensor(t: unknown, i: number, maxRows: number): InferTensor {
  const where = `inputs[${i}]`;
  if (!isRecord(t)) throw bad(`${where} must be an object with name, shape, datatype and data`);
  if (typeof t.name !== "string" || t.name === "") throw bad(`${where}.name must be a non-empty string`);
  if (!Array.isArray(t.shape) || t.shape.length === 0 || !t.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw bad(`${where} (${t.name}): shape must be a list of non-negative integers, got ${showValue(t.shape)}`);
  }
  if (typeof t.datatype !== "string" || (!NUMERIC_TYPES.has(t.datatype) && t.datatype !== "BYTES")) {
    throw bad(`${where} (${t.name}): datatype ${showValue(t.datatype)} is not an Open Inference Protocol tensor type`);
  }
  if (!Array.isArray(t.data)) throw bad(`${where} (${t.name}): data must be a list`);
  const shape = t.shape as number[];
  if (shape[0]! > maxRows) throw mlopsError("MLOPS_ERR_INFER_TOO_MANY_ROWS", { field: `${where} (${t.name})`, rows: shape[0]!, limit: maxRows });
  const size = shape.reduce((a, b) => a * b, 1);
  const data = flatten(t.data, shape.length, size, `${where} (${t.name})`);
  if (data.length !== size) throw bad(`${where} (${t.name}): shape ${JSON.stringify(t.shape)} holds ${size} values but data has ${data.length}`);
  if (t.datatype === "BOOL" && data.some((d) => typeof d !== "boolean")) throw bad(`${where} (${t.name}): BOOL data must be true/false`);
  return { name: t.name, shape: t.shape as number[], datatype: t.datatype, data };
}

/**
 * Rows from an Open Inference Protocol v2 request: one tensor per feature (shape [n] or [n, 1],
 * named after the feature), or a single [n, features] tensor in feature order.
 */
export function rowsFromInferInputs(features: readonly string[], kinds: readonly ("numerical" | "categorical")[], inputs: unknown, maxRows: number = Number.POSITIVE_INFINITY): RequestRows {
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad("inputs must be a non-empty list of tensors");
  const tensors = inputs.map((t, i) => readTensor(t, i, maxRows));
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
