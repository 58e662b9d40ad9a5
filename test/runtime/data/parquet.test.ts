import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openDataset, readBatches } from "../../../runtime/src/data/dataset-reader.ts";
import { ROW_GROUP_ROWS, createTableWriter } from "../../../runtime/src/data/dataset-writer.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";

// Fixtures written by pyarrow: test/fixtures/parquet/make_parquet_fixtures.py (run it to regenerate).
const FIXTURES = fileURLToPath(new URL("../../fixtures/parquet/", import.meta.url));
const expected = JSON.parse(await readFile(path.join(FIXTURES, "expected.json"), "utf8")) as {
  tables: Record<string, { columns: string[]; rows: Cell[][] }>;
  files: Record<string, { table: string; rowGroups: number }>;
};

describe("Parquet written by pyarrow reads back exactly", () => {
  for (const [name, f] of Object.entries(expected.files)) {
    test(`${name}: ${f.rowGroups} row groups, nulls, dictionaries, dates and timestamps`, async () => {
      const want = expected.tables[f.table]!;
      const t = await readTable(path.join(FIXTURES, name));
      assert.deepEqual(t.columns, want.columns);
      assert.equal(t.rows.length, want.rows.length);
      for (let i = 0; i < want.rows.length; i++) assert.deepEqual(t.rows[i], want.rows[i], `row ${i + 1}`);
      assert.equal(t.format, "parquet");
    });
  }

  test("batches never cross a row group's rows out of order and number rows from 1", async () => {
    const dataset = await openDataset(path.join(FIXTURES, "mixed-snappy.parquet"));
    const positions: number[] = [];
    let batches = 0;
    for await (const b of readBatches(dataset, { batchRows: 50 })) {
      batches++;
      assert.ok(b.rows.length <= 50);
      positions.push(...b.positions);
    }
    assert.deepEqual(positions, Array.from({ length: 400 }, (_, i) => i + 1));
    // 4 row groups of 120, 120, 120, 40 rows in batches of at most 50: 3 + 3 + 3 + 1.
    assert.equal(batches, 10);
  });

  test("refuses a nested column, naming it", async () => {
    await assert.rejects(readTable(path.join(FIXTURES, "nested.parquet")), (err: MlopsError) => {
      assert.equal(err.code, "MLOPS_ERR_DATA_PARSE");
      assert.match(err.message, /column "tags" is nested/);
      return true;
    });
  });

  test("a file that is not Parquet is a parse error naming it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mlops-parquet-bad-"));
    try {
      const file = path.join(dir, "fake.parquet");
      await writeFile(file, "id,x\n1,2\n");
      await assert.rejects(readTable(file), (err: MlopsError) => {
        assert.equal(err.code, "MLOPS_ERR_DATA_PARSE");
        assert.ok(err.message.startsWith(`${file}:0: not a readable Parquet file`), err.message);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const pyarrow = spawnSync("python3", ["-c", "import pyarrow"], { encoding: "utf8" });
const noPyarrow = pyarrow.status === 0 ? false : `python3 with pyarrow is needed (pip install pyarrow): ${(pyarrow.stderr ?? String(pyarrow.error)).trim().split("\n").at(-1)}`;

describe("what the runtime writes, pyarrow reads", { skip: noPyarrow }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mlops-parquet-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("types, nulls, text with quotes and several row groups survive, and the runtime reads its own file back", async () => {
    const n = 70_000;
    const rows: Cell[][] = Array.from({ length: n }, (_, i) => [i, i % 9 === 0 ? null : i / 4, i % 2 === 0, i % 5 === 0 ? null : `v"${i % 3}", é`, i % 7]);
    const file = path.join(dir, "out.parquet");
    const w = await createTableWriter(file, ["id", "x", "flag", "text", "k"], { types: ["int64", "double", "boolean", "string", undefined] });
    for (let i = 0; i < n; i += 10_000) await w.write(rows.slice(i, i + 10_000));
    await w.commit();
    const script = `
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
print(json.dumps({"groups": f.metadata.num_row_groups, "schema": [str(t.schema.field(i).type) for i in range(len(t.schema))], "names": t.column_names, "first": t.slice(0, 3).to_pylist(), "nulls": [t.column(i).null_count for i in range(len(t.schema))], "rows": t.num_rows, "sum": sum(x for x in t.column("id").to_pylist())}))`;
    const py = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
    assert.equal(py.status, 0, py.stderr);
    const got = JSON.parse(py.stdout) as { groups: number; schema: string[]; names: string[]; first: Record<string, unknown>[]; nulls: number[]; rows: number; sum: number };
    assert.equal(got.rows, n);
    assert.equal(got.groups, Math.ceil(n / ROW_GROUP_ROWS), `${ROW_GROUP_ROWS} rows per row group`);
    assert.deepEqual(got.names, ["id", "x", "flag", "text", "k"]);
    assert.deepEqual(got.schema, ["int64", "double", "bool", "string", "double"]);
    assert.deepEqual(got.nulls, [0, Math.ceil(n / 9), 0, n / 5, 0]);
    assert.deepEqual(got.first[1], { id: 1, x: 0.25, flag: false, text: 'v"1", é', k: 1 });
    assert.equal(got.sum, (n * (n - 1)) / 2);
    const back = await readTable(file);
    assert.deepEqual(back.rows.slice(0, 10), rows.slice(0, 10));
    assert.deepEqual(back.rows.at(-1), rows.at(-1));
  });
});
