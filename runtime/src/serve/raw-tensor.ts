import { mlopsError } from "../errors.ts";

/**
 * Raw tensor bytes as the Open Inference Protocol carries them in gRPC `raw_input_contents` /
 * `raw_output_contents` and in Triton's binary tensor data extension over REST: little-endian,
 * row-major, no padding; BOOL is one byte (0 or 1); BYTES is each element as a 4-byte
 * little-endian length followed by its bytes.
 */

/** Bytes per element of each fixed-size Open Inference Protocol datatype. */
export const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

/** IEEE 754 half precision → number. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes `count` elements of `datatype` from `bytes`; `where` names the tensor in errors.
 * Numbers come back as numbers (64-bit integers beyond 2^53 lose precision, as in JSON), BOOL as
 * booleans and BYTES as UTF-8 strings.
 */
export function decodeRawTensor(datatype: string, bytes: Uint8Array, count: number, where: string): ArrayLike<number | boolean | string> {
  if (datatype === "BYTES") {
    const out: string[] = new Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    for (let i = 0; i < count; i++) {
      if (o + 4 > bytes.length) throw bad(`${where}: BYTES data ends inside element ${i} of ${count} (each element is a 4-byte little-endian length, then its bytes)`);
      const len = view.getUint32(o, true);
      o += 4;
      if (o + len > bytes.length) throw bad(`${where}: BYTES element ${i} claims ${len} bytes but only ${bytes.length - o} remain`);
      out[i] = Buffer.from(bytes.buffer, bytes.byteOffset + o, len).toString("utf8");
      o += len;
    }
    if (o !== bytes.length) throw bad(`${where}: ${bytes.length - o} bytes left over after the ${count} BYTES elements the shape holds`);
    return out;
  }
  const size = ELEMENT_BYTES[datatype];
  if (size === undefined) throw bad(`${where}: datatype ${JSON.stringify(datatype)} is not an Open Inference Protocol tensor type`);
  if (bytes.length !== count * size) throw bad(`${where}: shape holds ${count} ${datatype} values (${count * size} bytes) but the raw data has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (datatype) {
    case "FP32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case "FP64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "BOOL": {
      const out: boolean[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const b = bytes[i]!;
        if (b > 1) throw bad(`${where}: BOOL element ${i} is byte ${b}; BOOL is one byte, 0 or 1`);
        out[i] = b === 1;
      }
      return out;
    }
    default: {
      const read: (o: number) => number = {
        UINT8: (o: number) => view.getUint8(o),
        UINT16: (o: number) => view.getUint16(o, true),
        UINT32: (o: number) => view.getUint32(o, true),
        UINT64: (o: number) => Number(view.getBigUint64(o, true)),
        INT8: (o: number) => view.getInt8(o),
        INT16: (o: number) => view.getInt16(o, true),
        INT32: (o: number) => view.getInt32(o, true),
        INT64: (o: number) => Number(view.getBigInt64(o, true)),
        FP16: (o: number) => half(view.getUint16(o, true)),
      }[datatype]!;
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = read(i * size);
      return out;
    }
  }
}

/** FP32 values as little-endian bytes. */
export function encodeFp32(values: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

/** Strings as BYTES elements: each a 4-byte little-endian length, then its UTF-8 bytes. */
export function encodeBytesTensor(values: readonly string[]): Buffer {
  const parts = values.map((v) => Buffer.from(v, "utf8"));
  const out = Buffer.allocUnsafe(parts.reduce((s, p) => s + 4 + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, o);
    p.copy(out, o + 4);
    o += 4 + p.length;
  }
  return out;
}
