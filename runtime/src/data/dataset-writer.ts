import { once } from "node:events";
import type { Writable } from "node:stream";
import { createGzip } from "node:zlib";
import { mlopsError, showValue } from "../errors.ts";
import { csvLine } from "./csv-format.ts";
import { type AtomicUpload, openDataStore, PART_BYTES } from "./data-store.ts";
import { type FileFormat, requireFormat } from "./dataset-format.ts";
import { parseDatasetUrl } from "./dataset-url.ts";
import type { Cell } from "./table.ts";

/** How a column is stored in Parquet: DOUBLE, INT64, BOOLEAN or UTF-8 text. */
export type StoredType = "double" | "int64" | "boolean" | "string";

/** Rows of a Parquet row group the writer buffers before encoding it (measured: 65,536 took ~100 MB more peak RSS than 16,384 writing 200k rows). */
export const ROW_GROUP_ROWS = 16384;

/** Writes one table, streaming: memory holds a buffer of encoded bytes (or one Parquet row group), never the file. */
export interface TableWriter {
  /** Where it writes. */
  readonly url: string;
  /** Rows written so far. */
  readonly rows: number;
  /** Appends rows (cells in column order). */
  write(rows: readonly (readonly Cell[])[]): Promise<void>;
  /** Appends CSV records given as text, without line ends (CSV writers only; `undefined` elsewhere). */
  writeCsvLines?: (lines: readonly string[]) => Promise<void>;
  /** Finishes the file and makes it visible under its name. */
  commit(): Promise<void>;
  /** Discards it: nothing appears under its name. Never throws. */
  abort(): Promise<void>;
}

/** Options of {@link createTableWriter}. */
export interface TableWriterOptions {
  /** Parquet storage type per column; an undefined entry is decided from the first row group's values. @default - decided from the values */
  types?: readonly (StoredType | undefined)[];
  /** Environment for the store's SDK settings. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A byte destination: an atomic upload, or a stream such as stdout. */
interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A writer for the file at `url` (a path, `file://`, `s3://`, `gs://` or `az://`; the format from
 * its extension: .csv, .jsonl, .ndjson, those with .gz, or .parquet). Nothing is visible under
 * the name until {@link TableWriter.commit}; a failed or killed write leaves no partial file there.
 */
export async function createTableWriter(url: string, columns: readonly string[], options: TableWriterOptions = {}): Promise<TableWriter> {
  const location = parseDatasetUrl(url, "output");
  if (location.select.kind !== "object") throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${url}: an output names one file, not a prefix or glob` });
  const format = requireFormat(location.select.name);
  const store = await openDataStore(location, options.env);
  const upload = await store.upload(location.select.name);
  return tableWriter(url, format, columns, uploadSink(upload), options.types);
}

/** A writer to a stream (stdout): not atomic; `abort` just stops. */
export function streamTableWriter(format: FileFormat, columns: readonly string[], out: Writable, types?: readonly (StoredType | undefined)[]): TableWriter {
  const sink: Sink = {
    write: async (bytes) => {
      if (!out.write(bytes)) await once(out, "drain");
    },
    close: async () => {},
    abort: async () => {},
  };
  return tableWriter("-", format, columns, sink, types);
}

function uploadSink(upload: AtomicUpload): Sink {
  return { write: (b) => upload.write(b), close: () => upload.commit(), abort: () => upload.abort() };
}

function gzipSink(inner: Sink): Sink {
  const gz = createGzip();
  let chain = Promise.resolve();
  let queued = 0;
  let failed: unknown;
  gz.on("data", (c: Buffer) => {
    queued += c.length;
    chain = chain.then(
      () => (failed === undefined ? inner.write(c) : undefined),
      () => undefined,
    ).then(
      () => {
        queued -= c.length;
      },
      (err: unknown) => {
        failed ??= err;
      },
    );
  });
  return {
    write: async (bytes) => {
      if (failed !== undefined) throw failed;
      gz.write(bytes);
      if (queued > PART_BYTES) await chain;
      if (failed !== undefined) throw failed;
    },
    close: async () => {
      const ended = once(gz, "end");
      gz.end();
      await ended;
      await chain;
      if (failed !== undefined) throw failed;
      await inner.close();
    },
    abort: async () => {
      gz.destroy();
      await inner.abort();
    },
  };
}

function tableWriter(url: string, f: FileFormat, columns: readonly string[], raw: Sink, types: readonly (StoredType | undefined)[] | undefined): TableWriter {
  const sink = f.gzip ? gzipSink(raw) : raw;
  if (f.format === "parquet") return parquetWriter(url, columns, sink, types);
  // Each batch becomes bytes at once: a string grown across batches would live long enough to be
  // promoted to the old generation, and the heap (so RSS) would grow with the file.
  let pending: Buffer[] = f.format === "csv" ? [Buffer.from(`${csvLine(columns)}\n`, "utf8")] : [];
  let pendingBytes = pending[0]?.length ?? 0;
  let rows = 0;
  let done = false;
  const add = (text: string) => {
    const b = Buffer.from(text, "utf8");
    pending.push(b);
    pendingBytes += b.length;
  };
  const flush = async (force: boolean) => {
    if (pendingBytes === 0 || (!force && pendingBytes < 1 << 18)) return;
    const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await sink.write(bytes);
  };
  const keys = columns.map((c) => JSON.stringify(c));
  const jsonLine = (r: readonly Cell[]) => {
    let s = "{";
    for (let j = 0; j < keys.length; j++) {
      const v = r[j];
      s += `${j === 0 ? "" : ","}${keys[j]}:${v === undefined || (typeof v === "number" && !Number.isFinite(v)) ? "null" : JSON.stringify(v)}`;
    }
    return `${s}}\n`;
  };
  const writer: TableWriter = {
    url,
    get rows() {
      return rows;
    },
    write: async (batch) => {
      const lines: string[] = new Array(batch.length);
      if (f.format === "csv") for (let i = 0; i < batch.length; i++) lines[i] = `${csvLine(batch[i]!)}\n`;
      else for (let i = 0; i < batch.length; i++) lines[i] = jsonLine(batch[i]!);
      add(lines.join(""));
      rows += batch.length;
      await flush(false);
    },
    commit: async () => {
      if (done) return;
      done = true;
      await flush(true);
      await sink.close();
    },
    abort: async () => {
      done = true;
      await sink.abort().catch(() => {});
    },
  };
  if (f.format === "csv") {
    writer.writeCsvLines = async (lines) => {
      if (lines.length > 0) add(`${lines.join("\n")}\n`);
      rows += lines.length;
      await flush(false);
    };
  }
  return writer;
}

function parquetWriter(url: string, columns: readonly string[], sink: Sink, given: readonly (StoredType | undefined)[] | undefined): TableWriter {
  let buffered: (readonly Cell[])[] = [];
  let rows = 0;
  let done = false;
  let writer: { pw: import("hyparquet-writer").ParquetWriter; types: StoredType[] } | undefined;
  const start = async (sample: readonly (readonly Cell[])[]) => {
    const { ByteWriter, ParquetWriter } = await import("hyparquet-writer");
    const types = columns.map((_, j) => given?.[j] ?? decideType(sample, j));
    class SinkWriter extends ByteWriter {
      flush(): Promise<void> {
        const bytes = this.getBytes().slice();
        this.index = 0;
        return sink.write(bytes);
      }
      override finish(): Promise<void> {
        return this.flush();
      }
    }
    const schema = [
      { name: "root", num_children: columns.length },
      ...columns.map((name, j) => {
        const t = types[j]!;
        if (t === "string") return { name, type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const, logical_type: { type: "STRING" as const }, repetition_type: "OPTIONAL" as const };
        return { name, type: t === "double" ? ("DOUBLE" as const) : t === "int64" ? ("INT64" as const) : ("BOOLEAN" as const), repetition_type: "OPTIONAL" as const };
      }),
    ];
    writer = { pw: new ParquetWriter({ writer: new SinkWriter(1 << 20), schema, createdBy: "mlops runtime (hyparquet-writer)" }), types };
  };
  const flushGroup = async () => {
    if (buffered.length === 0) return;
    if (!writer) await start(buffered);
    const { pw, types } = writer!;
    const n = buffered.length;
    const columnData = columns.map((name, j) => {
      const t = types[j]!;
      const data: unknown[] = new Array(n);
      for (let r = 0; r < n; r++) data[r] = stored(buffered[r]![j], t, name, rows - n + r + 1);
      return { name, data: data as never };
    });
    buffered = [];
    await pw.write({ columnData, rowGroupSize: n });
  };
  return {
    url,
    get rows() {
      return rows;
    },
    write: async (batch) => {
      for (const r of batch) {
        buffered.push(r);
        rows++;
        if (buffered.length >= ROW_GROUP_ROWS) await flushGroup();
      }
    },
    commit: async () => {
      if (done) return;
      done = true;
      if (!writer && buffered.length === 0) await start([]);
      await flushGroup();
      await writer!.pw.finish();
      await sink.close();
    },
    abort: async () => {
      done = true;
      await sink.abort().catch(() => {});
    },
  };
}

/** The storage type of column j from sample rows: numbers → DOUBLE, booleans → BOOLEAN, anything else (or a mix) → text. */
function decideType(sample: readonly (readonly Cell[])[], j: number): StoredType {
  let t: StoredType | undefined;
  for (const r of sample) {
    const v = r[j];
    if (v === null || v === undefined) continue;
    const k: StoredType = typeof v === "number" ? "double" : typeof v === "boolean" ? "boolean" : "string";
    if (t === undefined) t = k;
    else if (t !== k) return "string";
  }
  return t ?? "string";
}

function stored(v: Cell | undefined, t: StoredType, column: string, row: number): unknown {
  if (v === null || v === undefined) return null;
  if (t === "string") return typeof v === "string" ? v : String(v);
  const bad = (): never => {
    throw mlopsError("MLOPS_ERR_DATA_PARSE", {
      path: column,
      line: row,
      reason: `column ${JSON.stringify(column)} is written as Parquet ${t.toUpperCase()} but row ${row} holds ${showValue(v)}; write CSV or JSONL, or make the column's values one type`,
    });
  };
  if (t === "boolean") return typeof v === "boolean" ? v : bad();
  if (typeof v !== "number") return bad();
  if (t === "double") return v;
  return Number.isInteger(v) ? BigInt(v) : bad();
}

/** Encodes a whole table as the bytes of one file of `format` (in memory; for tables already held in memory). */
export async function tableBytes(format: FileFormat, columns: readonly string[], rows: readonly (readonly Cell[])[], types?: readonly (StoredType | undefined)[]): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const sink: Sink = { write: async (b) => void chunks.push(b), close: async () => {}, abort: async () => {} };
  const w = tableWriter("memory", format, columns, sink, types);
  await w.write(rows);
  await w.commit();
  return Buffer.concat(chunks);
}
