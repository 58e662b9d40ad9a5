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
  if (!text.includes("NaN") && !text.includes("Infinity")) return JSON.parse(text);
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
