import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { runMlops } from "../../helpers/run-cli.ts";
import { TINY_MODELS, tinyRows, trainTinyModels } from "../../helpers/tiny-models.ts";

let dir: string;
let registry: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-predict-"));
  registry = path.join(dir, "registry");
  await trainTinyModels(registry);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const predict = (args: string[]) => runMlops(["predict", "--registry", registry, ...args], { cwd: dir, env: { MLOPS_BACKEND: "cpu" } });
const features = (n: number, seed: number) => tinyRows(n, seed).map((r) => [r.x1, r.x2, r.color]);

describe("mlops predict", () => {
  test("scoring the champion while a newer version exists says so, and names the flags that score or promote it", async () => {
    const twice = path.join(dir, "registry-twice");
    await trainTinyModels(twice);
    await trainTinyModels(twice);
    await writeTable(path.join(dir, "some.csv"), ["x1", "x2", "color"], features(4, 3));
    const run = (extra: string[]) => runMlops(["predict", "--registry", twice, "--model", TINY_MODELS.regression, "--data", "some.csv", "--out", "some-out.csv", ...extra], { cwd: dir, env: { MLOPS_BACKEND: "cpu" } });
    const champion = await run([]);
    assert.equal(champion.code, 0, champion.stderr);
    assert.match(champion.stderr, /note: scoring the champion, version 1; version 2 is newer and not the champion \(--version 2 scores it; `mlops models alias tiny-regression champion 2` promotes it\)/);
    assert.match(champion.stderr, /scored 4 rows with tiny-regression version 1/);
    const chosen = await run(["--version", "2"]);
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.doesNotMatch(chosen.stderr, /note: scoring the champion/);
    assert.match(chosen.stderr, /scored 4 rows with tiny-regression version 2/);
    const single = await predict(["--model", TINY_MODELS.regression, "--data", "some.csv", "--out", "some-out.csv"]);
    assert.doesNotMatch(single.stderr, /note: scoring the champion/, "no note when the champion is the newest version");
  });

  test("--on-error fail stops at the first bad row, names its line, and writes no output", async () => {
    await writeFile(path.join(dir, "dirty.csv"), "x1,x2,color\n1,2,red\n3\n0.5,x,blue\n");
    const r = await predict(["--model", TINY_MODELS.regression, "--data", "dirty.csv", "--out", "scored.csv"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dirty\.csv:3: expect 3, got 1 fields/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes("scored")), []);
  });

  test("--on-error skip scores the rest and writes each bad row with its line and reason", async () => {
    const r = await predict(["--model", TINY_MODELS.binary, "--data", "dirty.csv", "--out", "scored.csv", "--on-error", "skip"]);
    assert.equal(r.code, 0, r.stderr);
    const scored = await readTable(path.join(dir, "scored.csv"));
    assert.deepEqual(scored.columns, ["x1", "x2", "color", "prediction", "probability_no", "probability_yes"]);
    assert.equal(scored.rows.length, 1);
    assert.deepEqual(scored.rows[0]!.slice(0, 3), ["1", "2", "red"], "a CSV row is written back as it was read");
    const rejects = (await readFile(path.join(dir, "scored.csv.rejects.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rejects, [
      { line: 3, reason: "expect 3, got 1 fields (the header has 3)", row: "3" },
      { line: 4, reason: 'feature "x2": expected a number, got "x"', row: "0.5,x,blue" },
    ]);
    assert.match(r.stderr, /scored 1 rows with tiny-binary version 1; rejected 2/);
  });

  test("counts missing (imputed) values and unseen categories per feature in its summary", async () => {
    await writeTable(path.join(dir, "gaps.jsonl"), ["x1", "x2", "color"], [[null, 1, "red"], [1, null, "teal"], [0, 0, "teal"], [0, 0, null], [1, 1, "purple"]]);
    const r = await predict(["--model", TINY_MODELS.regression, "--data", "gaps.jsonl", "--out", "gaps-scored.parquet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /scored 5 rows with tiny-regression version 1\n/);
    assert.match(r.stderr, /\n {2}x1: 1 missing, imputed with the training mean\n/);
    assert.match(r.stderr, /\n {2}x2: 1 missing, imputed with the training mean\n/);
    assert.match(r.stderr, /\n {2}color: 1 missing \(out-of-vocabulary bucket\); 3 unseen categories \(out-of-vocabulary bucket\), e\.g\. "teal", "purple"\n/);
    const out = await readTable(path.join(dir, "gaps-scored.parquet"));
    assert.equal(out.rows.length, 5);
    assert.ok(out.rows.every((row) => typeof row[3] === "number"));
  });

  test("a prefix is scored shard by shard; --shard-index/--shard-count take every n-th file", async () => {
    const shards = path.join(dir, "shards");
    await mkdir(shards, { recursive: true });
    for (let i = 0; i < 5; i++) await writeTable(path.join(shards, `part-${i}.csv`), ["x1", "x2", "color"], features(10 + i, i));
    const index1 = await predict(["--model", TINY_MODELS.regression, "--data", "shards/", "--out", "scored-shards/", "--shard-index", "1", "--shard-count", "2"]);
    assert.equal(index1.code, 0, index1.stderr);
    assert.deepEqual((await readdir(path.join(dir, "scored-shards"))).sort(), ["part-1.csv", "part-3.csv"]);
    assert.equal((await readTable(path.join(dir, "scored-shards", "part-3.csv"))).rows.length, 13);
    const index0 = await predict(["--model", TINY_MODELS.regression, "--data", "shards/", "--out", "scored-shards/", "--shard-index", "0", "--shard-count", "2"]);
    assert.equal(index0.code, 0, index0.stderr);
    assert.deepEqual((await readdir(path.join(dir, "scored-shards"))).sort(), ["part-0.csv", "part-1.csv", "part-2.csv", "part-3.csv", "part-4.csv"]);
    const idle = await predict(["--model", TINY_MODELS.regression, "--data", "shards/part-0.csv", "--out", "one.csv", "--shard-index", "3", "--shard-count", "4"]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stderr, /shard 3\/4: no files of 1 to score/);
  });

  test("rejects output settings that cannot work, naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--data", "shards/", "--out", "one.csv"], /names several files \(a prefix or glob\), so --out must be a prefix ending in \//],
      [["--data", "dirty.csv", "--out", "out/"], /--out out\/ is a prefix; --data names one file/],
      [["--data", "dirty.csv", "--on-error", "skip"], /--on-error skip writing to stdout needs --rejects <url>/],
      [["--data", "dirty.csv", "--on-error", "maybe"], /--on-error must be fail or skip/],
      [["--data", "dirty.csv", "--shard-index", "2"], /give --shard-index and --shard-count together/],
      [["--data", "dirty.csv", "--shard-index", "2", "--shard-count", "2"], /--shard-index must be below --shard-count \(2\), got 2/],
      [["--data", "dirty.csv", "--out", "https://example.com/x.csv"], /https:\/\/ locations are read-only/],
      [["--data", "dirty.csv", "--out", "dirty.csv"], /--out must not be the input file/],
    ];
    for (const [args, re] of cases) {
      const r = await predict(["--model", TINY_MODELS.regression, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(" "));
    }
  });

  test("a JSONL key first seen after the first batch is a rejected row, not a silently dropped field", async () => {
    const rows = features(2100, 3).map(([x1, x2, color]) => JSON.stringify({ x1, x2, color }));
    rows.push(JSON.stringify({ x1: 1, x2: 1, color: "red", extra: "late" }));
    await writeFile(path.join(dir, "late.jsonl"), `${rows.join("\n")}\n`);
    const fail = await predict(["--model", TINY_MODELS.regression, "--data", "late.jsonl", "--out", "late.csv"]);
    assert.equal(fail.code, 2);
    assert.match(fail.stderr, /late\.jsonl:2101: field\(s\) "extra" first appear after the first 2048 rows/);
    const skip = await predict(["--model", TINY_MODELS.regression, "--data", "late.jsonl", "--out", "late.jsonl.out.jsonl", "--on-error", "skip"]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal((await readTable(path.join(dir, "late.jsonl.out.jsonl"))).rows.length, 2100);
  });
});
