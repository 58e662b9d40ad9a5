import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CsvParser } from "../../../runtime/src/data/csv-format.ts";
import type { DataStore } from "../../../runtime/src/data/data-store.ts";
import { openDataset, readBatches, readFileBatches } from "../../../runtime/src/data/dataset-reader.ts";
import { parseDatasetUrl } from "../../../runtime/src/data/dataset-url.ts";
import { parseCsv, readTable } from "../../../runtime/src/data/read-table.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-dataset-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rejectsWith = async (p: Promise<unknown>, code: string, ...parts: (string | RegExp)[]) =>
  assert.rejects(p, (err: MlopsError) => {
    assert.equal(err.code, code, err.message);
    for (const part of parts) assert.ok(typeof part === "string" ? err.message.includes(part) : part.test(err.message), `${err.message} should contain ${part}`);
    return true;
  });

describe("CsvParser", () => {
  const tricky = 'a,b,c\r\n"x, ""y""",2,\n\n"multi\nline",,"z"\n3,"",4\n';
  test("gives the same records whatever the chunk boundaries, with each record's first line", () => {
    const whole: [string[], number][] = [];
    const p = new CsvParser("t.csv");
    p.push(tricky, (f, l) => whole.push([f, l]));
    p.end((f, l) => whole.push([f, l]));
    assert.deepEqual(whole, [
      [["a", "b", "c"], 1],
      [['x, "y"', "2", ""], 2],
      [["multi\nline", "", "z"], 4],
      [["3", "", "4"], 6],
    ]);
    for (let size = 1; size <= 7; size++) {
      const got: [string[], number][] = [];
      const q = new CsvParser("t.csv");
      for (let i = 0; i < tricky.length; i += size) q.push(tricky.slice(i, i + size), (f, l) => got.push([f, l]));
      q.end((f, l) => got.push([f, l]));
      assert.deepEqual(got, whole, `chunks of ${size}`);
    }
  });

  test("rejects an unclosed quote and text after a closing quote with their lines", () => {
    assert.throws(() => parseCsv('a,b\n1,"open\n2,3\n', "q.csv"), /q\.csv:2: a quoted field is never closed/);
    assert.throws(() => parseCsv('a,b\n1,"x"y\n', "q.csv"), /q\.csv:2: text "y" after a closing quote/);
  });
});

describe("dataset URLs", () => {
  test("parses objects, prefixes and globs for every scheme", () => {
    assert.deepEqual(parseDatasetUrl("s3://bucket/in/part-*.parquet").select, { kind: "glob", dir: "in/", pattern: /^part-[^/]*\.parquet$/, glob: "part-*.parquet" });
    assert.deepEqual(parseDatasetUrl("gs://bucket/in/").select, { kind: "prefix", dir: "in/" });
    assert.deepEqual(parseDatasetUrl("az://acct1/data/x/y.csv.gz").select, { kind: "object", name: "x/y.csv.gz" });
    assert.equal(parseDatasetUrl("https://example.com/d.csv?sig=1").select.kind, "object");
    assert.equal(parseDatasetUrl("http://127.0.0.1:9/d.csv").scheme, "https");
  });

  test("rejects what cannot be read, naming the URL and why", () => {
    const cases: [string, RegExp][] = [
      ["http://example.com/d.csv", /plain http:\/\/ is only accepted for a loopback host/],
      ["https://example.com/in/*.csv", /prefixes and globs cannot be listed over HTTP/],
      ["ftp://host/d.csv", /ftp:\/\/ is not a dataset location/],
      ["s3://Bad_Bucket/d.csv", /bucket name "Bad_Bucket"/],
      ["s3://bucket/*/d.csv", /a glob may only appear in the last path segment/],
    ];
    for (const [url, re] of cases) {
      assert.throws(() => parseDatasetUrl(url), (err: MlopsError) => {
        assert.equal(err.code, "MLOPS_ERR_CONFIG_INVALID", url);
        assert.match(err.message, re, url);
        return true;
      });
    }
  });
});

describe("datasets of several files", () => {
  test("a prefix reads every dataset file directly under it in name order, gzip included, skipping hidden and _ files", async () => {
    const d = path.join(dir, "shards");
    await mkdir(path.join(d, "nested"), { recursive: true });
    await writeFile(path.join(d, "part-0.csv"), "a,b\n1,x\n2,y\n");
    await writeFile(path.join(d, "part-1.csv.gz"), gzipSync("b,a\nz,3\n"));
    await writeFile(path.join(d, "_SUCCESS"), "");
    await writeFile(path.join(d, ".part-2.csv.tmp"), "junk");
    await writeFile(path.join(d, "nested", "part-9.csv"), "a,b\n9,9\n");
    await writeFile(path.join(d, "README.md"), "not data");
    for (const url of [`${d}/`, d, `file://${d}/`]) {
      const t = await readTable(url);
      assert.deepEqual(t.columns, ["a", "b"], url);
      assert.deepEqual(t.rows, [["1", "x"], ["2", "y"], ["3", "z"]], `${url}: the second file's columns are put in the first file's order`);
      assert.equal(t.files?.length, 2);
    }
    const t = await readTable(`${d}/part-*.csv*`);
    assert.equal(t.rows.length, 3);
    const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
    assert.equal(t.digest, createHash("sha256").update(`${sha(path.join(d, "part-0.csv"))}\n${sha(path.join(d, "part-1.csv.gz"))}`).digest("hex"), "the digest covers every file's bytes, in order");
  });

  test("files with different columns, mixed formats or no files at all are errors naming the file", async () => {
    const d = path.join(dir, "bad");
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, "a.csv"), "a,b\n1,2\n");
    await writeFile(path.join(d, "b.csv"), "a,c\n1,2\n");
    await rejectsWith(readTable(`${d}/`), "MLOPS_ERR_DATA_PARSE", path.join(d, "b.csv"), "differ from the dataset's first file");
    await writeFile(path.join(d, "b.csv"), "a,b\n1,2\n");
    await writeFile(path.join(d, "c.jsonl"), '{"a":1,"b":2}\n');
    await rejectsWith(readTable(`${d}/`), "MLOPS_ERR_DATA_FORMAT", "c.jsonl", "share one format");
    await rejectsWith(readTable(`${dir}/empty-nothing/`), "MLOPS_ERR_DATA_FILE_NOT_FOUND", "no .csv, .jsonl");
    await rejectsWith(readTable(`${d}/z*.csv`), "MLOPS_ERR_DATA_FILE_NOT_FOUND", "z*.csv");
  });
});

describe("streaming", () => {
  test("the first batch arrives after reading a few chunks of a large file, not the whole file", async () => {
    const line = "1,2.5,abc\n";
    const chunk = new TextEncoder().encode(line.repeat(1000));
    let served = 0;
    const store: DataStore = {
      list: async () => [],
      stat: async () => undefined,
      stream: async function* () {
        yield new TextEncoder().encode("a,b,c\n");
        for (let i = 0; i < 1000; i++) {
          served++;
          yield chunk;
        }
      },
      readRange: async () => new ArrayBuffer(0),
      upload: async () => {
        throw new Error("read-only");
      },
    };
    const file = { name: "big.csv", url: "mem://big.csv", size: 0, format: "csv" as const, gzip: false };
    const batches = readFileBatches(store, file, { batchRows: 2048 });
    const first = await batches.next();
    assert.equal(first.done, false);
    assert.equal(first.value!.rows.length, 2048);
    assert.deepEqual(first.value!.positions.slice(0, 2), [2, 3]);
    assert.ok(served <= 3, `the reader pulled ${served} of 1000 chunks before the first batch`);
    await batches.return(undefined);
  });

  test("ragged CSV lines and bad JSON lines come out as bad rows with their line numbers, without stopping the stream", async () => {
    await writeFile(path.join(dir, "ragged.csv"), "a,b\n1,2\n3\n4,5\n6,7,8\n");
    const ds = await openDataset(path.join(dir, "ragged.csv"));
    const batches = [];
    for await (const b of readBatches(ds)) batches.push(b);
    assert.deepEqual(batches.flatMap((b) => b.positions), [2, 4]);
    assert.deepEqual(batches.flatMap((b) => b.bad.map((x) => [x.position, x.reason])), [
      [3, "expect 2, got 1 fields (the header has 2)"],
      [5, "expect 2, got 3 fields (the header has 2)"],
    ]);
    await writeFile(path.join(dir, "bad.jsonl"), '{"a":1}\nnope\n[1]\n{"a":{"x":1}}\n{"a":2,"b":"new"}\n');
    const rows = [];
    const bad = [];
    for await (const b of readBatches(await openDataset(path.join(dir, "bad.jsonl")))) {
      rows.push(...b.rows.map((r) => [...r]));
      bad.push(...b.bad.map((x) => x.position));
      assert.deepEqual(b.columns, ["a", "b"]);
    }
    assert.deepEqual(rows, [[1], [2, "new"]]);
    assert.deepEqual(bad, [2, 3, 4]);
  });
});

describe("https:// datasets", () => {
  let server: Server;
  let base: string;
  let ranges = 0;
  before(async () => {
    const fixture = fileURLToPath(new URL("../../fixtures/parquet/mixed-snappy.parquet", import.meta.url));
    const files: Record<string, Buffer> = { "/d.csv.gz": gzipSync("x,y\n1,a\n2,b\n"), "/d.parquet": readFileSync(fixture) };
    server = createServer((req, res) => {
      const body = files[req.url ?? ""];
      if (!body) return void res.writeHead(404).end();
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      if (m) {
        ranges++;
        const part = body.subarray(Number(m[1]), Number(m[2]) + 1);
        res.writeHead(206, { "content-length": part.length, "content-range": `bytes ${m[1]}-${m[2]}/${body.length}` });
        return void res.end(req.method === "HEAD" ? undefined : part);
      }
      res.writeHead(200, { "content-length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test("streams a gzipped CSV and reads Parquet by range requests", async () => {
    const csv = await readTable(`${base}/d.csv.gz`);
    assert.deepEqual(csv.rows, [["1", "a"], ["2", "b"]]);
    const pq = await readTable(`${base}/d.parquet`);
    assert.equal(pq.rows.length, 400);
    assert.ok(ranges >= 2, "the footer and the row groups were fetched by range");
    await rejectsWith(readTable(`${base}/missing.csv`), "MLOPS_ERR_DATA_FILE_NOT_FOUND", `${base}/missing.csv`);
  });
});

describe("temp files", () => {
  test("a temp file a killed local write left behind is not read as a dataset file", async () => {
    const d = path.join(dir, "hidden");
    await mkdir(d, { recursive: true });
    await copyFile(fileURLToPath(new URL("../../fixtures/parquet/mixed-zstd.parquet", import.meta.url)), path.join(d, ".x.parquet.abc.tmp"));
    await rejectsWith(readTable(`${d}/`), "MLOPS_ERR_DATA_FILE_NOT_FOUND");
    assert.deepEqual(await readdir(d), [".x.parquet.abc.tmp"]);
  });
});
