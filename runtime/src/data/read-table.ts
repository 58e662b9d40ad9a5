import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { mlopsError } from "../errors.ts";
import type { Cell, Table } from "./table.ts";

/** Dataset file formats the runtime reads. */
export type TableFormat = "csv" | "jsonl";

/** Infers the format from the file extension: .csv; .jsonl / .ndjson; anything else is an error. */
export function tableFormat(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw mlopsError("MLOPS_ERR_DATA_FORMAT", { path: file });
}

/**
 * Reads a CSV (header row required) or JSON Lines dataset. Empty CSV cells become null; JSONL
 * keeps numbers, strings, booleans and null, and rejects nested values with the line number.
 */
export async function readTable(file: string): Promise<Table> {
  const format = tableFormat(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: file });
    throw err;
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const table = format === "csv" ? parseCsv(text, file, digest) : parseJsonl(text, file, digest);
  if (table.rows.length === 0) throw mlopsError("MLOPS_ERR_DATA_EMPTY", { path: file });
  return table;
}

/** Parses CSV text with a header row. */
export function parseCsv(text: string, source: string, digest = digestOf(text)): Table {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true, trim: false });
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: e.lines ?? 0, reason: e.message.replace(/^Invalid Record Length: /, "") });
  }
  const header = records[0];
  if (!header || header.length === 0) throw mlopsError("MLOPS_ERR_DATA_EMPTY", { path: source });
  const columns = header.map((h) => h.trim());
  checkColumns(columns, source, 1);
  const rows = records.slice(1).map((r) => r.map((c): Cell => (c === "" ? null : c)));
  return { source, columns, rows, digest };
}

/** Parses JSON Lines text: one flat JSON object per line; the columns are the union of keys in first-seen order. */
export function parseJsonl(text: string, source: string, digest = digestOf(text)): Table {
  const objects: Record<string, unknown>[] = [];
  const lineNumbers: number[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: i + 1, reason: `not valid JSON (${(err as Error).message})` });
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: i + 1, reason: "each line must be a JSON object" });
    }
    objects.push(value as Record<string, unknown>);
    lineNumbers.push(i + 1);
  }
  const index = new Map<string, number>();
  for (const o of objects) for (const k of Object.keys(o)) if (!index.has(k)) index.set(k, index.size);
  const columns = [...index.keys()];
  const rows = objects.map((o, r) => {
    const row: Cell[] = new Array(columns.length).fill(null);
    for (const [k, v] of Object.entries(o)) {
      if (v !== null && typeof v === "object") {
        throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: lineNumbers[r]!, reason: `field ${JSON.stringify(k)} is a nested ${Array.isArray(v) ? "array" : "object"}; only flat records are supported` });
      }
      row[index.get(k)!] = v as Cell;
    }
    return row;
  });
  return { source, columns, rows, digest };
}

/** Builds a table from in-memory records (e.g. feedback rows); the digest covers their canonical JSON. */
export function tableFromRecords(records: readonly Record<string, Cell>[], source: string): Table {
  return parseJsonl(records.map((r) => JSON.stringify(r)).join("\n"), source);
}

function checkColumns(columns: string[], source: string, line: number): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === "") throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line, reason: "header has an empty column name" });
    if (seen.has(c)) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line, reason: `header repeats column ${JSON.stringify(c)}` });
    seen.add(c);
  }
}

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
