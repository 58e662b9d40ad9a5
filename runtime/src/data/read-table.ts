import { createHash } from "node:crypto";
import { mlopsError } from "../errors.ts";
import { CsvParser } from "./csv-format.ts";
import { type DatasetFormat, requireFormat } from "./dataset-format.ts";
import { type Dataset, DatasetDigest, checkColumns, hashFiles, openDataset, positionNoun, readBatches } from "./dataset-reader.ts";
import type { Cell, ColumnType, Table } from "./table.ts";

/** Dataset file formats the runtime reads. */
export type TableFormat = DatasetFormat;

/**
 * The format of a file name: .csv; .jsonl / .ndjson; either with .gz; .parquet. Anything else
 * is MLOPS_ERR_DATA_FORMAT.
 */
export function tableFormat(file: string): TableFormat {
  return requireFormat(file).format;
}

/**
 * Reads a whole dataset into memory: a path, `file://`, `s3://`, `gs://`, `az://` or `https://`
 * URL of one file, a prefix or a glob of files (see {@link openDataset}); CSV (header row
 * required), JSON Lines or Parquet, CSV and JSONL optionally gzipped. The bytes stream through a
 * sha256 (the table's `digest`) and are never held whole; the rows are. Empty CSV cells become
 * null; JSONL keeps numbers, strings, booleans and null; Parquet INT64 becomes a number, dates
 * ISO text. The first unreadable line (ragged CSV, bad JSON) throws MLOPS_ERR_DATA_PARSE naming
 * its file and line.
 */
export async function readTable(url: string, options: { env?: NodeJS.ProcessEnv; role?: string } = {}): Promise<Table> {
  const dataset = await openDataset(url, options);
  return readDatasetTable(dataset);
}

/** {@link readTable} for an opened dataset. */
export async function readDatasetTable(dataset: Dataset): Promise<Table> {
  const digest = new DatasetDigest();
  const rows: Cell[][] = [];
  let columns: readonly string[] = [];
  for await (const batch of readBatches(dataset, { onBytes: (f, c) => digest.update(f, c) })) {
    const bad = batch.bad[0];
    if (bad) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: batch.file.url, line: bad.position, reason: bad.reason });
    columns = batch.columns;
    for (const r of batch.rows) rows.push(r);
  }
  if (dataset.format === "parquet") await hashFiles(dataset, digest);
  if (rows.length === 0) throw mlopsError("MLOPS_ERR_DATA_EMPTY", { path: dataset.url });
  if (dataset.format === "jsonl") for (const r of rows) while (r.length < columns.length) r.push(null);
  const files = digest.files();
  const sizes = new Map(dataset.files.map((f) => [f.url, f.size]));
  return {
    source: dataset.url,
    columns,
    rows,
    digest: digest.digest(),
    files: files.map((f) => ({ url: f.url, sha256: f.sha256, bytes: sizes.get(f.url) ?? 0 })),
    format: dataset.format,
  };
}

/** The type every present value of a column has: number, string or boolean; "mixed" when they differ; "null" when none is present. */
export function columnTypes(table: Pick<Table, "columns" | "rows">): ColumnType[] {
  return table.columns.map((_, j) => {
    let type: ColumnType = "null";
    for (const r of table.rows) {
      const v = r[j];
      if (v === null || v === undefined) continue;
      const t = typeof v as "number" | "string" | "boolean";
      if (type === "null") type = t;
      else if (type !== t) return "mixed";
    }
    return type;
  });
}

/** Parses CSV text with a header row. */
export function parseCsv(text: string, source: string, digest = digestOf(text)): Table {
  const records: { fields: string[]; line: number }[] = [];
  const parser = new CsvParser(source);
  const emit = (fields: string[], line: number) => records.push({ fields, line });
  parser.push(text.replace(/^\uFEFF/, ""), emit);
  parser.end(emit);
  const header = records[0];
  if (!header) throw mlopsError("MLOPS_ERR_DATA_EMPTY", { path: source });
  const columns = header.fields.map((h) => h.trim());
  checkColumns(columns, source);
  const rows = records.slice(1).map((r) => {
    if (r.fields.length !== columns.length) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: r.line, reason: `expect ${columns.length}, got ${r.fields.length} fields (the header has ${columns.length})` });
    return r.fields.map((c): Cell => (c === "" ? null : c));
  });
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

/** The word for a position in a file of `format`, for messages: line or row. */
export { positionNoun };

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
