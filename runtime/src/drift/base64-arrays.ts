/**
 * Typed arrays as base64 text for JSON documents (reference profiles): little-endian IEEE-754
 * doubles and unsigned 32-bit integers, independent of the host's byte order.
 */

import os from "node:os";

const LITTLE_ENDIAN = os.endianness() === "LE";

/** Float64Array → base64 of its little-endian bytes. */
export function encodeFloat64(values: Float64Array): string {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap64()).toString("base64");
}

/** base64 of little-endian doubles → Float64Array; throws when the length is not a multiple of 8. */
export function decodeFloat64(text: string): Float64Array {
  const bytes = aligned(text, 8);
  if (!LITTLE_ENDIAN) bytes.swap64();
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

/** Non-negative integers below 2³² → base64 of little-endian uint32. */
export function encodeUint32(values: ArrayLike<number>): string {
  const out = Uint32Array.from(values as ArrayLike<number>);
  const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32()).toString("base64");
}

/** base64 of little-endian uint32 → Float64Array of the integers. */
export function decodeUint32(text: string): Float64Array {
  const bytes = aligned(text, 4);
  if (!LITTLE_ENDIAN) bytes.swap32();
  return Float64Array.from(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

function aligned(text: string, width: number): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error("not base64");
  const decoded = Buffer.from(text, "base64");
  if (decoded.byteLength % width !== 0) throw new Error(`byte length ${decoded.byteLength} is not a multiple of ${width}`);
  // A fresh, zero-offset copy: typed-array views need an aligned offset.
  const copy = Buffer.alloc(decoded.byteLength);
  decoded.copy(copy);
  return copy;
}
