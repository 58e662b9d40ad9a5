import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { readTable, tableFormat, tableFromRecords } from "../../../runtime/src/data/read-table.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { ROW_GROUP_ROWS } from "../../../runtime/src/data/dataset-writer.ts";
import { renderTable, writeTable } from "../../../runtime/src/data/write-table.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";

/** Asserts that `promise` rejects with registry error `code` whose message contains every one of `parts`. */
async function rejectsWith(promise: Promise<unknown>, code: string, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: MlopsError) => {
    assert.equal(err.code, code, err.message);
    for (const part of parts) assert.ok(err.message.includes(part), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(part)}`);
    return true;
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-read-table-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to `name` in the temp dir and returns its path. */
async function file(name: string, text: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

describe("readTable: CSV", () => {
  test("keeps quoted commas, doubled quotes and newlines inside fields", async () => {
    const p = await file("quotes.csv", 'name,note,n\n"Smith, J","said ""hi""",1\n"multi\nline","a\r\nb",2\n');
    const t = await readTable(p);
    assert.deepEqual(t.columns, ["name", "note", "n"]);
    assert.deepEqual(t.rows, [
      ["Smith, J", 'said "hi"', "1"],
      ["multi\nline", "a\r\nb", "2"],
    ]);
    assert.equal(t.source, p);
  });

  test("strips a UTF-8 byte-order mark from the first column name", async () => {
    const t = await readTable(await file("bom.csv", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("id,x\n1,2\n")])));
    assert.deepEqual(t.columns, ["id", "x"]);
  });

  test("reads empty cells as null and keeps every other value as its text, CRLF line ends included", async () => {
    const t = await readTable(await file("empty.csv", "a,b,c\r\n,2,\r\n1,, x \r\n"));
    assert.deepEqual(t.rows, [
      [null, "2", null],
      ["1", null, " x "],
    ]);
  });

  test("trims column names and skips blank lines", async () => {
    const t = await readTable(await file("blank.csv", " a , b\n\n1,2\n\n3,4\n"));
    assert.deepEqual(t.columns, ["a", "b"]);
    assert.deepEqual(t.rows, [
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  test("rejects a row with a different number of fields, naming the file and its line", async () => {
    const p = await file("ragged.csv", 'a,b\n1,2\n"x\ny",3\n4,5,6\n');
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:5:`, "expect 2, got 3");
  });

  test("rejects a header that repeats a column", async () => {
    const p = await file("dup.csv", "a,b, a\n1,2,3\n");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:1:`, 'repeats column "a"');
  });

  test("rejects a header with an empty column name", async () => {
    const p = await file("noname.csv", "a,,c\n1,2,3\n");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:1:`, "empty column name");
  });

  test("rejects a file with a header and no data rows", async () => {
    const p = await file("header-only.csv", "a,b\n");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_EMPTY", p, "no data rows");
  });

  test("rejects an empty file", async () => {
    const p = await file("empty-file.csv", "");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_EMPTY", p);
  });
});

describe("readTable: JSON Lines", () => {
  test("takes the union of keys in first-seen order and fills absent keys with null", async () => {
    const t = await readTable(await file("union.jsonl", '{"a":1,"b":"x"}\n{"c":true,"a":2.5}\n{"b":null}\n'));
    assert.deepEqual(t.columns, ["a", "b", "c"]);
    assert.deepEqual(t.rows, [
      [1, "x", null],
      [2.5, null, true],
      [null, null, null],
    ]);
  });

  test("skips blank lines and accepts CRLF line ends, a BOM and the .ndjson extension", async () => {
    const t = await readTable(await file("blank.ndjson", '\uFEFF{"a":1}\r\n\r\n   \n{"a":2}\r\n'));
    assert.deepEqual(t.rows, [[1], [2]]);
  });

  test("rejects a nested object or array, naming the file, line and field", async () => {
    const p = await file("nested.jsonl", '{"a":1}\n\n{"a":2,"b":{"c":1}}\n');
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:3:`, 'field "b" is a nested object');
    const q = await file("array.jsonl", '{"a":[1,2]}\n');
    await rejectsWith(readTable(q), "MLOPS_ERR_DATA_PARSE", `${q}:1:`, 'field "a" is a nested array');
  });

  test("rejects a line that is not an object", async () => {
    for (const [name, line] of [["arr", "[1,2]"], ["num", "3"], ["null", "null"], ["str", '"x"']] as const) {
      const p = await file(`${name}.jsonl`, `{"a":1}\n${line}\n`);
      await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:2:`, "must be a JSON object");
    }
  });

  test("rejects a line that is not valid JSON", async () => {
    const p = await file("bad.jsonl", '{"a":1}\n{"a":2}\n{"a":\n');
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_PARSE", `${p}:3:`, "not valid JSON");
  });

  test("rejects a file with only blank lines", async () => {
    const p = await file("blank-only.jsonl", "\n\n");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_EMPTY", p);
  });
});

describe("readTable: files", () => {
  test("reports a missing file with its path", async () => {
    const p = path.join(dir, "nope.csv");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_FILE_NOT_FOUND", p);
  });

  test("rejects an unknown extension before reading", async () => {
    const p = await file("data.txt", "a,b\n1,2\n");
    await rejectsWith(readTable(p), "MLOPS_ERR_DATA_FORMAT", p);
    assert.throws(() => tableFormat("data.json"), { code: "MLOPS_ERR_DATA_FORMAT" });
    assert.equal(tableFormat("DATA.CSV"), "csv");
  });

  test("the digest is the sha256 of the file's bytes, BOM included", async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("a,b\r\n1,2\r\n")]);
    const t = await readTable(await file("d.csv", bytes));
    assert.equal(t.digest, createHash("sha256").update(bytes).digest("hex"));
    const j = Buffer.from('{"a":1}\n');
    assert.equal((await readTable(await file("d.jsonl", j))).digest, createHash("sha256").update(j).digest("hex"));
  });

  test("in-memory records get a stable digest that changes with their content", () => {
    const a = tableFromRecords([{ x: 1, y: "a" }], "feedback");
    assert.equal(a.digest, tableFromRecords([{ x: 1, y: "a" }], "feedback").digest);
    assert.notEqual(a.digest, tableFromRecords([{ x: 2, y: "a" }], "feedback").digest);
    assert.match(a.digest, /^[0-9a-f]{64}$/);
  });
});

describe("writeTable", () => {
  const columns = ["id", "text", "score", "flag"];
  const rows: Cell[][] = [
    [1, 'comma, and "quotes"', 0.25, true],
    [2, "line\nbreak", null, false],
    [3, null, -1.5e-7, null],
    [4, " padded ", 12345678901, true],
  ];

  test("round-trips through readTable as CSV, values as text and nulls as null", async () => {
    const p = path.join(dir, "out.csv");
    await writeTable(p, columns, rows);
    const t = await readTable(p);
    assert.deepEqual(t.columns, columns);
    assert.deepEqual(
      t.rows,
      rows.map((r) => r.map((c) => (c === null ? null : String(c)))),
    );
  });

  test("round-trips through readTable as JSON Lines with types kept", async () => {
    const p = path.join(dir, "out.jsonl");
    await writeTable(p, columns, rows);
    const t = await readTable(p);
    assert.deepEqual(t.columns, columns);
    assert.deepEqual(t.rows, rows);
  });

  test("replaces an existing file whole and leaves no temp file behind", async () => {
    const p = path.join(dir, "out.csv");
    await writeFile(p, "old,content\nthat,is\nlonger,than\nthe,new\none,x\n".repeat(100));
    await writeTable(p, ["a"], [["new"]]);
    assert.equal(await readFile(p, "utf8"), renderTable("csv", ["a"], [["new"]]));
    assert.deepEqual(await readdir(dir), ["out.csv"]);
  });

  test("rejects an unknown extension without creating any file", async () => {
    await assert.rejects(writeTable(path.join(dir, "out.txt"), ["a"], [["x"]]), { code: "MLOPS_ERR_DATA_FORMAT" });
    assert.deepEqual(await readdir(dir), []);
  });

  test("creates a missing parent directory", async () => {
    await writeTable(path.join(dir, "new-dir", "out.csv"), ["a"], [["x"]]);
    assert.equal(await readFile(path.join(dir, "new-dir", "out.csv"), "utf8"), "a\nx\n");
  });

  test("a failed write leaves no temp file behind", async () => {
    // A Parquet DOUBLE column decided from the first row group cannot take text in a later one.
    const rows: Cell[][] = [...Array.from({ length: ROW_GROUP_ROWS }, (_, i): Cell[] => [i]), ["text"]];
    await assert.rejects(writeTable(path.join(dir, "out.parquet"), ["a"], rows), { code: "MLOPS_ERR_DATA_PARSE" });
    assert.deepEqual(await readdir(dir), []);
  });
});
