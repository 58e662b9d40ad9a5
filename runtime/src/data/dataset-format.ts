import { mlopsError } from "../errors.ts";

/** Dataset file formats the runtime reads and writes. */
export type DatasetFormat = "csv" | "jsonl" | "parquet";

/** A file's format and whether it is gzip-compressed as a whole (CSV and JSONL only; Parquet compresses inside). */
export interface FileFormat {
  format: DatasetFormat;
  gzip: boolean;
}

const EXTENSIONS: Record<string, DatasetFormat> = { ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet" };

/** The format of a file name, or undefined when its extension is not a dataset's. */
export function formatOf(name: string): FileFormat | undefined {
  let base = name.toLowerCase().replace(/[?#].*$/, "");
  const gzip = base.endsWith(".gz");
  if (gzip) base = base.slice(0, -3);
  const dot = base.lastIndexOf(".");
  const format = dot < 0 ? undefined : EXTENSIONS[base.slice(dot)];
  if (format === undefined || (gzip && format === "parquet")) return undefined;
  return { format, gzip };
}

/** {@link formatOf}, throwing MLOPS_ERR_DATA_FORMAT naming the file when it has no dataset extension. */
export function requireFormat(name: string): FileFormat {
  const f = formatOf(name);
  if (f === undefined) throw mlopsError("MLOPS_ERR_DATA_FORMAT", { path: name });
  return f;
}

/** The extension a format is written with. */
export function extensionOf(f: FileFormat): string {
  return `.${f.format}${f.gzip ? ".gz" : ""}`;
}
