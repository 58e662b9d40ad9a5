/** A cell as read from a dataset: CSV cells are strings (empty → null), JSONL keeps JSON scalars. */
export type Cell = string | number | boolean | null;

/** A dataset held in memory, row-major: `rows[i][j]` is column `columns[j]` of row i. */
export interface Table {
  /** Where the rows came from (a path, or a description for in-memory data). */
  readonly source: string;
  /** Column names in file order. */
  readonly columns: readonly string[];
  /** Data rows; every row has `columns.length` cells. */
  readonly rows: readonly (readonly Cell[])[];
  /** sha256 (hex) of the file's bytes, or of a canonical JSON rendering for in-memory data. */
  readonly digest: string;
}

/** The values of one column. */
export function column(table: Table, name: string): Cell[] {
  const j = table.columns.indexOf(name);
  if (j < 0) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[j] ?? null);
}
