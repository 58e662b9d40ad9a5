/**
 * JSON with the non-finite number literals TF Serving reads and writes (NaN, Infinity,
 * -Infinity), which standard JSON.parse rejects and JSON.stringify turns into null.
 */

const TOKENS = ["NaN", "Infinity", "-Infinity"] as const;
const SENTINEL = "\u0000mlops-nonfinite:";
/** The sentinel as it is spelled inside JSON text (a raw NUL is not allowed in a JSON string). */
const SENTINEL_TEXT = "\\u0000mlops-nonfinite:";

/** Parses JSON text, also accepting bare NaN, Infinity and -Infinity outside strings. */
export function parseJson(text: string): unknown {
  // Valid JSON cannot hold the literals, so plain JSON.parse is right whenever it succeeds; only
  // a body it rejects is scanned for them (and re-thrown as is when it has none).
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!text.includes("NaN") && !text.includes("Infinity")) throw err;
  }
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    if (c === 78 /* N */ || c === 73 /* I */ || c === 45 /* - */) {
      const token = TOKENS.find((t) => text.startsWith(t, i));
      if (token) {
        out += `${text.slice(last, i)}"${SENTINEL_TEXT}${token}"`;
        i += token.length - 1;
        last = i + 1;
      }
    }
  }
  out += text.slice(last);
  return JSON.parse(out, (_key, value) => {
    if (typeof value === "string" && value.startsWith(SENTINEL)) {
      const token = value.slice(SENTINEL.length);
      return token === "NaN" ? Number.NaN : token === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return value;
  });
}

/** Serialises to JSON, writing non-finite numbers as NaN / Infinity / -Infinity literals as TF Serving does. */
export function stringifyJson(value: unknown): string {
  let nonFinite = false;
  const text = JSON.stringify(value, (_key, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) {
      nonFinite = true;
      return `${SENTINEL}${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"}`;
    }
    return v;
  });
  if (!nonFinite) return text;
  return text.replace(/"\\u0000mlops-nonfinite:(NaN|Infinity|-Infinity)"/g, "$1");
}

/** `count` numbers as a JSON list, non-finite ones as TF Serving writes them (the request hot path: no replacer, no copies). */
export function numbersJson(values: ArrayLike<number>, start = 0, count = values.length - start): string {
  let out = "[";
  for (let i = 0; i < count; i++) out += (i === 0 ? "" : ",") + values[start + i];
  return out + "]";
}

/** n × width values (row-major) as a JSON list of rows, in one pass (one string, no row arrays). */
export function rowsJson(values: ArrayLike<number>, n: number, width: number): string {
  let out = "[";
  for (let r = 0, o = 0; r < n; r++) {
    out += r === 0 ? "[" : ",[";
    for (let k = 0; k < width; k++, o++) out += (k === 0 ? "" : ",") + values[o];
    out += "]";
  }
  return out + "]";
}
