import { mlopsError } from "../../errors.ts";
import type { InferTensor } from "../inference-input.ts";
import { ELEMENT_BYTES, decodeRawTensor } from "../raw-tensor.ts";
import { toNumber } from "./protos.ts";

/** tensorflow.DataType numbers (tensorflow/core/framework/types.proto). */
export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, UINT16: 17, HALF: 19, UINT32: 22, UINT64: 23 } as const;

/** Each supported DataType: its Open Inference Protocol name (for raw tensor_content) and the typed list holding its values. */
const TYPES: Record<number, { name: string; oip: string; field: string }> = {
  [DT.FLOAT]: { name: "DT_FLOAT", oip: "FP32", field: "float_val" },
  [DT.DOUBLE]: { name: "DT_DOUBLE", oip: "FP64", field: "double_val" },
  [DT.INT32]: { name: "DT_INT32", oip: "INT32", field: "int_val" },
  [DT.INT16]: { name: "DT_INT16", oip: "INT16", field: "int_val" },
  [DT.INT8]: { name: "DT_INT8", oip: "INT8", field: "int_val" },
  [DT.UINT8]: { name: "DT_UINT8", oip: "UINT8", field: "int_val" },
  [DT.UINT16]: { name: "DT_UINT16", oip: "UINT16", field: "int_val" },
  [DT.INT64]: { name: "DT_INT64", oip: "INT64", field: "int64_val" },
  [DT.UINT32]: { name: "DT_UINT32", oip: "UINT32", field: "uint32_val" },
  [DT.UINT64]: { name: "DT_UINT64", oip: "UINT64", field: "uint64_val" },
  [DT.BOOL]: { name: "DT_BOOL", oip: "BOOL", field: "bool_val" },
  [DT.HALF]: { name: "DT_HALF", oip: "FP16", field: "half_val" },
  [DT.STRING]: { name: "DT_STRING", oip: "BYTES", field: "string_val" },
};

/** The fields of a decoded tensorflow.TensorProto this server reads. */
export interface TensorProtoMessage {
  dtype: number;
  tensor_shape?: { dim?: { size: unknown }[]; unknown_rank?: boolean } | null;
  tensor_content?: Uint8Array;
  [field: string]: unknown;
}

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

/**
 * Reads PredictRequest input `name` as a flat tensor. Values come from tensor_content (raw
 * little-endian bytes) or from the typed list for the dtype; as in TensorFlow, a typed list
 * holding one value fills the whole shape. Strings are read as UTF-8. A tensor without a shape
 * is a vector of its values.
 */
export function readTensorProto(name: string, t: TensorProtoMessage): InferTensor {
  const where = `input ${JSON.stringify(name)}`;
  const type = TYPES[t.dtype];
  if (!type) throw bad(`${where}: dtype ${t.dtype} is not supported; send DT_FLOAT (or another numeric type) for numerical features and DT_STRING for categorical ones`);
  const half = t.dtype === DT.HALF;
  let shape: number[] | undefined;
  if (t.tensor_shape && !t.tensor_shape.unknown_rank && t.tensor_shape.dim && t.tensor_shape.dim.length > 0) {
    shape = t.tensor_shape.dim.map((d) => toNumber(d.size));
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`${where}: tensor_shape ${JSON.stringify(shape)} has a dimension that is not a non-negative size`);
  }
  const content = t.tensor_content;
  if (content && content.length > 0) {
    if (type.oip === "BYTES") throw bad(`${where}: DT_STRING values go in string_val, not tensor_content`);
    const count = shape ? shape.reduce((a, b) => a * b, 1) : Math.floor(content.length / ELEMENT_BYTES[type.oip]!);
    if (!shape) shape = [count];
    return { name, shape, datatype: type.oip, data: decodeRawTensor(type.oip, content, count, where) };
  }
  const list = (t[type.field] ?? []) as ArrayLike<unknown>;
  let data: ArrayLike<unknown>;
  if (type.oip === "BYTES") data = Array.from(list as ArrayLike<Uint8Array>, (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"));
  else if (type.oip === "INT64" || type.oip === "UINT64") data = Array.from(list, toNumber);
  else if (half) data = decodeRawTensor("FP16", Buffer.from(Uint16Array.from(list as ArrayLike<number>).buffer), list.length, where);
  else data = list;
  if (!shape) shape = [data.length];
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length === 1 && size > 1) data = Array.from({ length: size }, () => data[0]);
  if (data.length !== size) throw bad(`${where}: tensor_shape ${JSON.stringify(shape)} holds ${size} values but ${type.field} has ${data.length}`);
  return { name, shape, datatype: type.oip, data };
}

/** A [dims...] tensorflow.TensorShapeProto. */
export const tensorShape = (dims: readonly number[]) => ({ dim: dims.map((size) => ({ size, name: "" })), unknown_rank: false });
