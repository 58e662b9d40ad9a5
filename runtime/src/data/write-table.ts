import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import type { Cell } from "./table.ts";
import { type TableFormat, tableFormat } from "./read-table.ts";

/** Renders rows as CSV (with header) or JSON Lines. */
export function renderTable(format: TableFormat, columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  // csv-stringify writes booleans as "1" and "" by default; "" would read back as null.
  if (format === "csv") return stringify([columns as string[], ...(rows as Cell[][]).map((r) => r.map((c) => (c === null ? "" : c)))], { cast: { boolean: (b) => String(b) } });
  return rows.map((r) => `${JSON.stringify(Object.fromEntries(columns.map((c, j) => [c, r[j] ?? null])))}\n`).join("");
}

/**
 * Writes a table to `file` atomically: a temp file in the same directory, fsynced, then renamed
 * over the target, so a crash never leaves a half-written file where the old one was.
 */
export async function writeTable(file: string, columns: readonly string[], rows: readonly (readonly Cell[])[]): Promise<void> {
  const text = renderTable(tableFormat(file), columns, rows);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx");
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}
