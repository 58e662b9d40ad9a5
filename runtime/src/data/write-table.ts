import { csvLine } from "./csv-format.ts";
import { createTableWriter } from "./dataset-writer.ts";
import type { TableFormat } from "./read-table.ts";
import type { Cell } from "./table.ts";

/** Renders rows as CSV (with header) or JSON Lines text. */
export function renderTable(format: Exclude<TableFormat, "parquet">, columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  if (format === "csv") return `${[columns, ...rows].map((r) => csvLine(r)).join("\n")}\n`;
  return rows.map((r) => `${JSON.stringify(Object.fromEntries(columns.map((c, j) => [c, r[j] ?? null])))}\n`).join("");
}

/**
 * Writes a table to `url` (a path or `file://`, `s3://`, `gs://`, `az://` URL; CSV, JSONL or
 * Parquet by extension, .gz for CSV/JSONL) atomically: nothing appears under the name until the
 * whole file is written (a temp file renamed into place, a completed multipart upload), so a crash
 * never leaves a half-written file where the old one was.
 */
export async function writeTable(url: string, columns: readonly string[], rows: readonly (readonly Cell[])[], env?: NodeJS.ProcessEnv): Promise<void> {
  const writer = await createTableWriter(url, columns, env ? { env } : {});
  try {
    await writer.write(rows);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
