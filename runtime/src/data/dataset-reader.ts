import { createHash, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { mlopsError, showValue } from "../errors.ts";
import { CsvParser } from "./csv-format.ts";
import { type DataObject, type DataStore, openDataStore } from "./data-store.ts";
import { type DatasetFormat, type FileFormat, formatOf } from "./dataset-format.ts";
import { type DatasetLocation, objectUrl, parseDatasetUrl } from "./dataset-url.ts";
import type { LocalDataStore } from "./local-data-store.ts";
import type { StoredType } from "./dataset-writer.ts";
import type { Cell } from "./table.ts";

/** One file of a dataset. */
export interface DatasetFile extends DataObject, FileFormat {}

/** A dataset resolved to its files, ready to read. */
export interface Dataset {
  /** The URL it was opened with. */
  url: string;
  location: DatasetLocation;
  store: DataStore;
  /** Its files (shards), sorted by name; one for a single-object URL. */
  files: DatasetFile[];
  /** The files' common format. */
  format: DatasetFormat;
}

/** A row the reader could not make a record of (ragged CSV line, bad JSON line). */
export interface BadRow {
  /** Line (CSV, JSONL) or row (Parquet), 1-based, within its file. */
  position: number;
  reason: string;
  /** The line's text, when there is one. */
  raw?: string;
}

/** A batch of rows from one file. */
export interface RowBatch {
  file: DatasetFile;
  /** Column names (a JSONL file's grow as new keys appear). */
  columns: readonly string[];
  rows: Cell[][];
  /** Line (CSV, JSONL) or row (Parquet) of each row, 1-based within the file. */
  positions: number[];
  /** Text of each row (CSV only, when asked). */
  raw?: string[];
  /** Rows that could not be read, in order. */
  bad: BadRow[];
  /** Parquet only: how each column is stored, to write it back the same way. */
  types?: readonly StoredType[];
}

/** "line" for text formats, "row" for Parquet: what a {@link RowBatch} position counts. */
export const positionNoun = (format: DatasetFormat): "line" | "row" => (format === "parquet" ? "row" : "line");

/**
 * Resolves a dataset URL to its files: one object, every dataset file (`.csv`, `.jsonl`,
 * `.ndjson`, their `.gz`, `.parquet`) directly under a prefix (a trailing `/`, a local directory,
 * or a bucket "folder" given without the slash) skipping names starting with `.` or `_`
 * (`_SUCCESS`, temp files), or the files a last-segment glob matches. All files must share a
 * format. Throws MLOPS_ERR_DATA_FILE_NOT_FOUND when nothing matches, MLOPS_ERR_DATA_FORMAT for an
 * unknown extension or mixed formats.
 */
export async function openDataset(url: string, options: { env?: NodeJS.ProcessEnv; role?: string } = {}): Promise<Dataset> {
  const location = parseDatasetUrl(url, options.role);
  const store = await openDataStore(location, options.env);
  const sel = location.select;
  let objects: DataObject[];
  let dir: string | undefined;
  if (sel.kind === "object") {
    const found = await store.stat(sel.name);
    if (found !== undefined) {
      const f = formatOf(found.name);
      if (f === undefined) throw mlopsError("MLOPS_ERR_DATA_FORMAT", { path: found.url });
      return finish(url, location, store, [{ ...found, ...f }]);
    }
    const asDir = location.scheme === "file" ? ((await (store as LocalDataStore).isDirectory(sel.name)) ? `${sel.name}/` : undefined) : location.scheme === "https" ? undefined : `${sel.name}/`;
    if (asDir === undefined) throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: objectUrl(location, sel.name) });
    dir = asDir;
    objects = (await store.list(asDir)).filter(visible);
    if (objects.length === 0) throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: objectUrl(location, sel.name) });
  } else if (sel.kind === "prefix") {
    dir = sel.dir;
    objects = (await store.list(sel.dir)).filter(visible);
  } else {
    dir = sel.dir;
    objects = (await store.list(sel.dir)).filter((o) => sel.pattern.test(baseName(o.name)));
  }
  const files: DatasetFile[] = [];
  for (const o of objects) {
    const f = formatOf(o.name);
    if (f === undefined) {
      if (sel.kind === "glob") throw mlopsError("MLOPS_ERR_DATA_FORMAT", { path: o.url });
      continue;
    }
    files.push({ ...o, ...f });
  }
  if (files.length === 0) throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: `${objectUrl(location, dir)}${sel.kind === "glob" ? sel.glob : ""} (no .csv, .jsonl, .ndjson, .gz or .parquet files)` });
  return finish(url, location, store, files);
}

function finish(url: string, location: DatasetLocation, store: DataStore, files: DatasetFile[]): Dataset {
  const format = files[0]!.format;
  const other = files.find((f) => f.format !== format);
  if (other) throw mlopsError("MLOPS_ERR_DATA_FORMAT", { path: `${other.url} (a ${other.format} file among ${format} files; a dataset's files share one format)` });
  return { url, location, store, files, format };
}

const baseName = (name: string) => name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
const visible = (o: DataObject) => !/^[._]/.test(baseName(o.name));

/** Options of {@link readBatches}. */
export interface ReadOptions {
  /** Rows per batch. @default 8192 */
  batchRows?: number;
  /** Keep each CSV row's text (for writing it back unchanged). @default false */
  raw?: boolean;
  /** Called with each file's bytes as they stream (CSV, JSONL), for a content digest. */
  onBytes?: (file: DatasetFile, chunk: Uint8Array) => void;
}

/**
 * Streams a dataset's rows in batches, file after file: memory holds one batch (plus, for
 * Parquet, one row group), never a file. Files after the first must have the first's columns (in
 * any order; CSV and Parquet rows are put in the first file's order).
 */
export async function* readBatches(dataset: Dataset, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  let first: readonly string[] | undefined;
  for (const file of dataset.files) {
    let order: number[] | undefined;
    for await (const batch of readFileBatches(dataset.store, file, options)) {
      if (first === undefined) first = batch.columns;
      else if (file.format !== "jsonl" && order === undefined) {
        order = alignColumns(first, batch.columns, file);
      }
      if (order !== undefined && order.some((j, i) => j !== i)) {
        const o = order;
        batch.rows = batch.rows.map((r) => o.map((j) => r[j] ?? null));
        batch.columns = first;
      }
      yield batch;
    }
  }
}

function alignColumns(first: readonly string[], columns: readonly string[], file: DatasetFile): number[] {
  const same = columns.length === first.length && first.every((c) => columns.includes(c));
  if (!same) {
    throw mlopsError("MLOPS_ERR_DATA_PARSE", {
      path: file.url,
      line: 1,
      reason: `its columns (${columns.join(", ")}) differ from the dataset's first file (${first.join(", ")}); every file of a dataset needs the same columns`,
    });
  }
  return first.map((c) => columns.indexOf(c));
}

/** Streams one file's rows in batches. */
export function readFileBatches(store: DataStore, file: DatasetFile, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  if (file.format === "parquet") return readParquetBatches(store, file, options.batchRows ?? 8192);
  return readTextBatches(store, file, options);
}

async function* textChunks(store: DataStore, file: DatasetFile, onBytes: ReadOptions["onBytes"]): AsyncGenerator<string> {
  let bytes: AsyncIterable<Uint8Array> = store.stream(file.name);
  if (onBytes) {
    const source = bytes;
    bytes = (async function* () {
      for await (const c of source) {
        onBytes(file, c);
        yield c;
      }
    })();
  }
  if (file.gzip) bytes = Readable.from(bytes).pipe(createGunzip());
  const decoder = new TextDecoder("utf-8");
  let first = true;
  try {
    for await (const chunk of bytes) {
      let text = decoder.decode(chunk, { stream: true });
      if (first && text.length > 0) {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      if (text.length > 0) yield text;
    }
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("Z_")) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: file.url, line: 0, reason: `not valid gzip (${(err as Error).message})` });
    throw err;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

async function* readTextBatches(store: DataStore, file: DatasetFile, options: ReadOptions): AsyncGenerator<RowBatch> {
  const size = options.batchRows ?? 8192;
  let columns: string[] | undefined;
  let batch: RowBatch | undefined;
  const fresh = (): RowBatch => ({ file, columns: columns ?? [], rows: [], positions: [], ...(options.raw ? { raw: [] } : {}), bad: [] });
  const out: RowBatch[] = [];
  if (file.format === "csv") {
    const parser = new CsvParser(file.url, { raw: options.raw === true });
    const onRecord = (fields: string[], line: number, raw: string | undefined) => {
      if (columns === undefined) {
        columns = fields.map((h) => h.trim());
        checkColumns(columns, file.url);
        return;
      }
      batch ??= fresh();
      if (fields.length !== columns.length) {
        batch.bad.push({ position: line, reason: `expect ${columns.length}, got ${fields.length} fields (the header has ${columns.length})`, ...(raw === undefined ? {} : { raw }) });
      } else {
        const row: Cell[] = new Array(fields.length);
        for (let j = 0; j < fields.length; j++) row[j] = fields[j] === "" ? null : fields[j]!;
        batch.rows.push(row);
        batch.positions.push(line);
        if (raw !== undefined) batch.raw!.push(raw);
      }
      if (batch.rows.length + batch.bad.length >= size) {
        out.push(batch);
        batch = undefined;
      }
    };
    for await (const text of textChunks(store, file, options.onBytes)) {
      parser.push(text, onRecord);
      while (out.length > 0) yield out.shift()!;
    }
    parser.end(onRecord);
    if (columns === undefined) throw mlopsError("MLOPS_ERR_DATA_EMPTY", { path: file.url });
  } else {
    const index = new Map<string, number>();
    let rest = "";
    let line = 0;
    const onLine = (text: string) => {
      line++;
      const trimmed = text.trim();
      if (trimmed === "") return;
      batch ??= fresh();
      const bad = (reason: string) => batch!.bad.push({ position: line, reason, raw: text });
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (err) {
        bad(`not valid JSON (${(err as Error).message})`);
        value = undefined;
      }
      if (value !== undefined) {
        if (value === null || typeof value !== "object" || Array.isArray(value)) bad("each line must be a JSON object");
        else {
          const entries = Object.entries(value as Record<string, unknown>);
          const nested = entries.find(([, v]) => v !== null && typeof v === "object");
          if (nested) bad(`field ${JSON.stringify(nested[0])} is a nested ${Array.isArray(nested[1]) ? "array" : "object"}; only flat records are supported`);
          else {
            for (const [k] of entries) if (!index.has(k)) index.set(k, index.size);
            const row: Cell[] = new Array(index.size).fill(null);
            for (const [k, v] of entries) row[index.get(k)!] = v as Cell;
            batch.rows.push(row);
            batch.positions.push(line);
          }
        }
      }
      if (batch.rows.length + batch.bad.length >= size) {
        batch.columns = [...index.keys()];
        out.push(batch);
        batch = undefined;
      }
    };
    for await (const text of textChunks(store, file, options.onBytes)) {
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      for (const l of lines) onLine(l);
      while (out.length > 0) yield out.shift()!;
    }
    if (rest !== "") onLine(rest);
    columns = [...index.keys()];
    if (batch) (batch as RowBatch).columns = columns;
  }
  if (batch) yield batch;
}

/** Rejects a header with an empty or repeated column name (MLOPS_ERR_DATA_PARSE, line 1). */
export function checkColumns(columns: readonly string[], source: string): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === "") throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: 1, reason: "header has an empty column name" });
    if (seen.has(c)) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: source, line: 1, reason: `header repeats column ${JSON.stringify(c)}` });
    seen.add(c);
  }
}

async function* readParquetBatches(store: DataStore, file: DatasetFile, batchRows: number): AsyncGenerator<RowBatch> {
  const { parquetMetadataAsync, parquetRead, parquetSchema } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const asyncBuffer = { byteLength: file.size, slice: (start: number, end?: number) => store.readRange(file.name, start, end ?? file.size) };
  let metadata;
  try {
    metadata = await parquetMetadataAsync(asyncBuffer);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("MLOPS_ERR_")) throw err;
    throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: file.url, line: 0, reason: `not a readable Parquet file (${(err as Error).message})` });
  }
  const schema = parquetSchema(metadata);
  const columns = schema.children.map((c) => c.element.name);
  const nested = schema.children.find((c) => c.children.length > 0);
  if (nested) throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: file.url, line: 0, reason: `column ${JSON.stringify(nested.element.name)} is nested (a list, map or struct); only flat columns are supported` });
  checkColumns(columns, file.url);
  const types = schema.children.map((c) => storedTypeOf(c.element));
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const chunks: { rowStart: number; data: ArrayLike<unknown> }[][] = columns.map(() => []);
    try {
      await parquetRead({
        file: asyncBuffer,
        metadata,
        compressors,
        rowStart: groupStart,
        rowEnd: groupStart + groupRows,
        onChunk: ({ columnName, columnData, rowStart }) => chunks[columns.indexOf(columnName)]!.push({ rowStart, data: columnData }),
      });
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith("MLOPS_ERR_")) throw err;
      throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: file.url, line: groupStart + 1, reason: `cannot decode the row group starting at this row (${(err as Error).message})` });
    }
    // Walk each column's decoded pages with a cursor, dropping a page once passed: memory holds
    // the row group's decoded columns once (no copy), shrinking as the batches go out.
    const cursors = chunks.map((cs) => ({ pages: cs.sort((a, b) => a.rowStart - b.rowStart) as ({ data: ArrayLike<unknown> } | undefined)[], page: 0, at: 0 }));
    for (let s = 0; s < groupRows; s += batchRows) {
      const n = Math.min(batchRows, groupRows - s);
      const rows: Cell[][] = new Array(n);
      const positions: number[] = new Array(n);
      for (let r = 0; r < n; r++) rows[r] = new Array(columns.length);
      for (let j = 0; j < columns.length; j++) {
        const c = cursors[j]!;
        for (let r = 0; r < n; r++) {
          let page = c.pages[c.page];
          while (page !== undefined && c.at >= page.data.length) {
            c.pages[c.page++] = undefined;
            c.at = 0;
            page = c.pages[c.page];
          }
          rows[r]![j] = parquetCell(page?.data[c.at++], columns[j]!, file, groupStart + s + r + 1);
        }
      }
      for (let r = 0; r < n; r++) positions[r] = groupStart + s + r + 1;
      yield { file, columns, rows, positions, bad: [], types };
    }
    groupStart += groupRows;
  }
}

/** How a Parquet column's cells are written back: integers as INT64, floats as DOUBLE, booleans, everything else (text, dates, decimals, bytes) as text. */
function storedTypeOf(e: { type?: string; converted_type?: string; logical_type?: { type: string } }): StoredType {
  const logical = e.logical_type?.type ?? e.converted_type;
  if ((e.type === "INT32" || e.type === "INT64") && (logical === undefined || logical === "INTEGER" || /^U?INT_/.test(logical))) return "int64";
  if ((e.type === "FLOAT" || e.type === "DOUBLE") && logical === undefined) return "double";
  if (e.type === "BOOLEAN") return "boolean";
  return "string";
}

/** A Parquet value as a cell: INT64 → number (string past 2^53), dates and timestamps → ISO 8601, bytes → base64. */
function parquetCell(v: unknown, column: string, file: DatasetFile, row: number): Cell {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "number":
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    default:
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
      throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: file.url, line: row, reason: `column ${JSON.stringify(column)} holds ${showValue(v)}; only flat scalar columns are supported` });
  }
}

/** A sha256 per file, combined into one digest for the dataset: a single file's is its own sha256. */
export class DatasetDigest {
  readonly #hashes = new Map<string, Hash>();
  /** Adds bytes of `file`. */
  update(file: DatasetFile, chunk: Uint8Array): void {
    let h = this.#hashes.get(file.url);
    if (!h) this.#hashes.set(file.url, (h = createHash("sha256")));
    h.update(chunk);
  }
  /** Per-file digests, in the order the files were first seen. */
  files(): { url: string; sha256: string }[] {
    return [...this.#hashes].map(([url, h]) => ({ url, sha256: h.copy().digest("hex") }));
  }
  /** The dataset's digest: a lone file's sha256, else the sha256 of the files' hex digests joined by newlines. */
  digest(): string {
    const files = this.files();
    if (files.length === 1) return files[0]!.sha256;
    return createHash("sha256").update(files.map((f) => f.sha256).join("\n")).digest("hex");
  }
}

/** Streams every file's raw bytes through `digest` (Parquet is read by range, so it is hashed in a pass of its own). */
export async function hashFiles(dataset: Dataset, digest: DatasetDigest, only: (f: DatasetFile) => boolean = () => true): Promise<void> {
  for (const f of dataset.files) {
    if (!only(f)) continue;
    for await (const chunk of dataset.store.stream(f.name)) digest.update(f, chunk);
  }
}
