import type { Cell } from "./table.ts";

/** Strings that mean "no value" in a numerical column (compared case-insensitively, trimmed). */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(["", "na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a", "#na", "n.a.", "#value!", "#div/0!", "#null!", "missing", "unknown"]);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NUMBER_PADDED = /^\s+[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s+$/;
const MISSING: NumericReading = Object.freeze({ kind: "missing" });
const JUNK: NumericReading = Object.freeze({ kind: "junk" });

/** How a cell reads as a number: a finite value, missing, or junk (text that is not a number). */
export type NumericReading = { kind: "number"; value: number } | { kind: "missing" } | { kind: "junk" };

/**
 * Reads a cell as a number. JSON numbers pass; NaN reads as missing (TF Serving accepts NaN in
 * JSON, and for a tabular feature it can only mean "unknown"); ±Infinity, booleans and
 * non-numeric text are junk. Numeric strings are accepted only when `strings` is true (CSV input).
 */
export function readNumber(cell: Cell | undefined, strings: boolean): NumericReading {
  if (cell === null || cell === undefined) return MISSING;
  if (typeof cell === "number") {
    if (Number.isNaN(cell)) return MISSING;
    return Number.isFinite(cell) ? { kind: "number", value: cell } : JUNK;
  }
  if (typeof cell === "string" && strings) {
    // The common case first, without allocating: a plain number. Number() ignores surrounding whitespace.
    if (NUMBER.test(cell) || NUMBER_PADDED.test(cell)) {
      const v = Number(cell);
      return Number.isFinite(v) ? { kind: "number", value: v } : JUNK;
    }
    if (cell.length <= 16 && MISSING_TOKENS.has(cell.trim().toLowerCase())) return MISSING;
  }
  return JUNK;
}

/** Reads a cell as a category label: strings as-is, numbers and booleans as their JSON text; null/"" are missing. */
export function readCategory(cell: Cell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "string") return cell === "" ? null : cell;
  if (typeof cell === "number" && Number.isNaN(cell)) return null;
  return String(cell);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Reads an ISO 8601 date (`2024-03-05`) or date-time (`2024-03-05T10:20:30Z`, `2024-03-05 10:20`,
 * with an optional offset) as milliseconds since the epoch in UTC; a date-time without an offset
 * is read as UTC, so the result never depends on the machine's time zone. Null when the cell is
 * not such a string or names an impossible day (2023-02-30).
 */
export function readDate(cell: Cell | undefined): number | null {
  if (typeof cell !== "string" || cell.length < 10 || cell.length > 35) return null;
  const m = ISO_DATE.exec(cell.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = Date.UTC(y, mo - 1, d);
  const check = new Date(day);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  if (m[4] === undefined) return day;
  const t = Date.parse(m[7] === undefined ? `${cell.trim().replace(" ", "T")}Z` : cell.trim().replace(" ", "T"));
  return Number.isFinite(t) ? t : null;
}
