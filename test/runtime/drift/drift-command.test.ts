import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type Run, runMlops } from "../../helpers/run-cli.ts";
import { xorshift32 } from "./fixtures.ts";

let dir: string;

const mlops = (args: string[]): Promise<Run> => runMlops(["drift", ...args], { cwd: dir });

/** Rows of a small customer table; `shift` moves age and the plan mix. */
function rows(n: number, seed: number, shift: number): { age: number; plan: string; zip: string; score: number | null }[] {
  const u = xorshift32(seed, n * 5);
  let k = 0;
  const rnd = () => u[k++]!;
  return Array.from({ length: n }, (_, i) => ({
    age: Math.round(20 + rnd() * 40 + shift * 15),
    plan: rnd() < 0.5 + shift * 0.4 ? "basic" : rnd() < 0.5 ? "plus" : "pro",
    zip: String(10000 + Math.floor(rnd() * 3) * 1000),
    score: i % 20 === 7 ? null : Math.round(rnd() * 1000) / 1000,
  }));
}

const csv = (rs: ReturnType<typeof rows>) => `age,plan,zip,score\n${rs.map((r) => `${r.age},${r.plan},${r.zip},${r.score ?? ""}`).join("\n")}\n`;
const jsonl = (rs: ReturnType<typeof rows>) => `${rs.map((r) => JSON.stringify(r)).join("\n")}\n`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mlops-drift-"));
  await writeFile(path.join(dir, "ref.csv"), csv(rows(400, 1, 0)));
  await writeFile(path.join(dir, "same.jsonl"), jsonl(rows(300, 2, 0)));
  await writeFile(path.join(dir, "shifted.csv"), csv(rows(300, 3, 1)));
  await writeFile(path.join(dir, "other-columns.csv"), "age,plan,city\n30,basic,Oslo\n");
  await writeFile(path.join(dir, "header-only.csv"), "age,plan,zip,score\n");
  await writeFile(path.join(dir, "notes.txt"), "hello\n");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("--json prints exactly one object with the documented keys and types", async () => {
  const r = await mlops(["--reference", "ref.csv", "--current", "shifted.csv", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim().split("\n").length, 1);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ["drift", "columns"]);
  assert.deepEqual(Object.keys(out.drift), ["detected", "share", "driftShare", "columns", "drifted"]);
  assert.equal(typeof out.drift.detected, "boolean");
  assert.equal(out.drift.driftShare, 0.5);
  assert.equal(out.drift.columns, 4);
  assert.equal(out.drift.share, out.drift.drifted / out.drift.columns);
  for (const c of out.columns) {
    assert.deepEqual(Object.keys(c), ["name", "type", "test", "statistic", "pValue", "threshold", "drifted"]);
    assert.ok(["numerical", "categorical"].includes(c.type));
    assert.equal(typeof c.statistic, "number");
    assert.ok(c.pValue === null || typeof c.pValue === "number");
    assert.equal(typeof c.threshold, "number");
    assert.equal(typeof c.drifted, "boolean");
  }
  const byName = Object.fromEntries(out.columns.map((c: { name: string }) => [c.name, c]));
  // 400 reference rows: numbers get ks, the 3-category plan chisquare, zip (3 numeric values) chisquare.
  assert.deepEqual(
    out.columns.map((c: { name: string; type: string; test: string }) => [c.name, c.type, c.test]),
    [
      ["age", "numerical", "ks"],
      ["plan", "categorical", "chisquare"],
      ["zip", "numerical", "chisquare"],
      ["score", "numerical", "ks"],
    ],
  );
  assert.equal(byName.age.drifted, true);
  assert.equal(byName.plan.drifted, true);
  assert.equal(out.drift.detected, true);
});

test("exit code 0 and a readable table when nothing drifted; CSV and JSONL mix", async () => {
  const r = await mlops(["--reference", "ref.csv", "--current", "same.jsonl"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^column +type +test +statistic +p-value +threshold +drift\n/);
  assert.match(r.stdout, /\nage +numerical +ks +\d/);
  assert.match(r.stdout, /no dataset drift: \d of 4 columns drifted \(\d+%; threshold 50%\)\n$/);
});

test("--test forces one test on every column, and --threshold replaces its threshold", async () => {
  const r = await mlops(["--reference", "ref.csv", "--current", "shifted.csv", "--test", "psi", "--threshold", "0.2", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const c of out.columns) {
    assert.equal(c.test, "psi");
    assert.equal(c.threshold, 0.2);
    assert.equal(c.pValue, null);
    assert.equal(c.drifted, c.statistic >= 0.2);
  }
});

test("--categorical treats numeric columns as categories", async () => {
  const r = await mlops(["--reference", "ref.csv", "--current", "shifted.csv", "--categorical", "zip, age", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const types = Object.fromEntries(out.columns.map((c: { name: string; type: string }) => [c.name, c.type]));
  assert.deepEqual(types, { age: "categorical", plan: "categorical", zip: "categorical", score: "numerical" });
});

test("--report writes a self-contained HTML page", async () => {
  const r = await mlops(["--reference", "ref.csv", "--current", "shifted.csv", "--report", "report.html"]);
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(path.join(dir, "report.html"), "utf8");
  assert.match(html, /^<!doctype html>/i);
  assert.ok(html.includes("ref.csv") && html.includes("shifted.csv"));
  assert.ok(!/<script/i.test(html));
});

test("bad input exits 2 with a message naming what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [["--current", "same.jsonl"], /--reference is required/],
    [["--reference", "missing.csv", "--current", "same.jsonl"], /dataset missing\.csv does not exist \[MLOPS_ERR_DATA_FILE_NOT_FOUND\]/],
    [["--reference", "ref.csv", "--current", "notes.txt"], /cannot tell the format of notes\.txt/],
    [["--reference", "ref.csv", "--current", "header-only.csv"], /header-only\.csv has no data rows/],
    [["--reference", "ref.csv", "--current", "other-columns.csv"], /only in reference: "zip", "score"; only in current: "city" \[MLOPS_ERR_DRIFT_COLUMNS\]/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--test", "anova"], /--test must be one of ks, chisquare, z, wasserstein, jensenshannon, psi, got "anova"/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--threshold", "abc"], /--threshold must be a positive number, got "abc"/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--test", "ks", "--threshold", "5"], /--threshold for ks is a p-value and must be at most 1/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--test", "ks"], /cannot run test "ks" on column "plan": ks needs numbers and the column is categorical/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--categorical", "nope"], /--categorical names "nope", not a column of ref\.csv/],
    [["--reference", "ref.csv", "--current", "same.jsonl", "--bogus"], /Unknown option '--bogus'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => mlops(args)));
  for (const [i, [args, pattern]] of cases.entries()) {
    const r = runs[i]!;
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.equal(r.stdout, "", args.join(" "));
  }
});

test("--help documents the flags", async () => {
  const r = await mlops(["--help"]);
  assert.equal(r.code, 0);
  for (const flag of ["--reference", "--current", "--test", "--threshold", "--categorical", "--json", "--report"]) assert.ok(r.stdout.includes(flag), flag);
});
