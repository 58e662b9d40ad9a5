import { describeError, mlopsError } from "../errors.ts";
import type { BinarySection } from "./inference-input.ts";
import { parseJson } from "./json.ts";

/** Where a parsed body keeps the binary section that followed its JSON part. */
const BINARY: unique symbol = Symbol("mlops.binarySection");

const bad = (reason: string) => mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason });

/**
 * Parses a request body. Plain bodies are JSON (with NaN/Infinity, whatever the content type, as
 * TF Serving reads them). With `Inference-Header-Content-Length` (Triton's binary tensor data
 * extension) the first that many bytes are the JSON object and the rest is tensor data, kept on
 * the parsed object for the /infer handler.
 */
export function parseRequestBody(body: Buffer, headerLength: string | string[] | undefined): unknown {
  if (headerLength === undefined) {
    const text = body.toString("utf8");
    if (text.trim() === "") return undefined;
    return json(text);
  }
  const raw = Array.isArray(headerLength) ? headerLength[0]! : headerLength;
  const length = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(length) || length > body.length) {
    throw bad(`Inference-Header-Content-Length must be the byte length of the JSON part of the body (0-${body.length}), got ${JSON.stringify(raw)}`);
  }
  const parsed = json(body.toString("utf8", 0, length));
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw bad("the JSON part of the body must be an object");
  Object.defineProperty(parsed, BINARY, { value: { bytes: body.subarray(length), offset: 0 } satisfies BinarySection, enumerable: false });
  return parsed;
}

function json(text: string): unknown {
  try {
    return parseJson(text);
  } catch (err) {
    // A body nested deeper than the parser's stack is the client's mistake, not a server fault.
    throw bad(err instanceof RangeError ? "request body is nested too deeply to read" : `request body is not valid JSON: ${describeError(err)}`);
  }
}

/** The binary section after a body's JSON part, if the request used the binary tensor data extension. */
export function binarySection(body: object): BinarySection | undefined {
  return (body as { [BINARY]?: BinarySection })[BINARY];
}
