/** A cell as read from a dataset: CSV cells are strings (empty → null), JSONL keeps JSON scalars. */
export type Cell = string | number | boolean | null;

/** The type a column's present values have (see `columnTypes`). */
export type ColumnType = "number" | "string" | "boolean" | "mixed" | "null";

/** A dataset held in memory, row-major: `rows[i][j]` is column `columns[j]` of row i. */
export interface Table {
  /** Where the rows came from (a path or URL, or a description for in-memory data). */
  readonly source: string;
  /** Column names in file order. */
  readonly columns: readonly string[];
  /** Data rows; every row has `columns.length` cells. */
  readonly rows: readonly (readonly Cell[])[];
  /** sha256 (hex) of the file's bytes (of the files' digests for several files), or of a canonical JSON rendering for in-memory data. */
  readonly digest: string;
  /** The files read, with their sizes and sha256, when the table came from a dataset URL. */
  readonly files?: readonly { url: string; sha256: string; bytes: number }[];
  /** Their format, when the table came from a dataset URL. */
  readonly format?: "csv" | "jsonl" | "parquet";
}

/** The values of one column. */
export function column(table: Table, name: string): Cell[] {
  const j = table.columns.indexOf(name);
  if (j < 0) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[j] ?? null);
}
