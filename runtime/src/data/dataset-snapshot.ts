import { createHash } from "node:crypto";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { registryLayout } from "../registry/registry-layout.ts";
import { PreconditionFailedError } from "../registry/storage.ts";
import type { DatasetColumn, DatasetLineage, DatasetSnapshot } from "../registry/version-metadata.ts";
import { type StoredType, tableBytes } from "./dataset-writer.ts";
import { columnTypes } from "./read-table.ts";
import type { Table } from "./table.ts";

/** The columns of a table with the type of their values, as lineage records them. */
export function tableSchema(table: Table): DatasetColumn[] {
  const types = columnTypes(table);
  return table.columns.map((name, j) => ({ name, type: types[j]! }));
}

/**
 * Copies a table's rows into the registry as Parquet, content-addressed
 * (`datasets/sha256-<hex>.parquet`, written create-only, so the same rows are stored once).
 * Numbers, booleans and text keep their types; a column mixing types is stored as text, which
 * reads back to the same features (a CSV's cells are text already). `mlops train --data <url>`
 * trains on the copy exactly as on the original.
 */
export async function snapshotTable(registry: ModelRegistry, table: Table): Promise<DatasetSnapshot> {
  const types = columnTypes(table).map((t): StoredType => (t === "number" ? "double" : t === "boolean" ? "boolean" : "string"));
  const bytes = await tableBytes({ format: "parquet", gzip: false }, table.columns, table.rows, types);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const key = registryLayout.dataset(sha256, ".parquet");
  try {
    await registry.storage.put(key, bytes, { ifNoneMatch: "*" });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  return { url: `${registry.storage.url}/${key}`, key, sha256, bytes: bytes.length, rows: table.rows.length };
}

/** The lineage of training on `table`: its source, files, digest, schema and row counts, and the snapshot when one was taken. */
export function datasetLineage(table: Table, rowsUsed: number, snapshot?: DatasetSnapshot): DatasetLineage {
  return {
    digest: table.digest,
    rows: rowsUsed,
    source: table.source,
    ...(table.files ? { files: table.files.map((f) => ({ ...f })) } : {}),
    ...(table.format ? { format: table.format } : {}),
    rowsRead: table.rows.length,
    schema: tableSchema(table),
    ...(snapshot ? { snapshot } : {}),
  };
}
