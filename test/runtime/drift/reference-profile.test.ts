import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";
import {
  type DriftTest,
  type NumericalProfileColumn,
  buildReferenceProfile,
  compareTables,
  driftAgainstProfile,
  parseReferenceProfile,
} from "../../../runtime/src/drift/index.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import { generate } from "./fixtures.ts";

const table = (columns: string[], rows: Cell[][]): Table => ({ source: "t", columns, rows, digest: "d" });
const columnsOf = (t: Table) => t.columns.map((name, j) => ({ name, values: t.rows.map((r) => r[j] ?? null) }));
const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function smallTables(n: number, m: number, shift: number): [Table, Table] {
  const make = (count: number, seed: number, s: number) => {
    const g = generate({ seed, n: count, loc: s, scale: 1 });
    return table(
      ["num", "few", "cat", "bin"],
      Array.from(g, (v, i) => [Math.round(v * 1000) / 1000, i % 4 === 0 ? null : Math.floor(Math.abs(v) * 3), `c${Math.floor(Math.abs(v + s) * 2)}`, v > 0.3 ? "yes" : "no"]),
    );
  };
  return [make(n, 1, 0), make(m, 2, shift)];
}

test("monitoring against a stored profile gives exactly the offline result for references the profile keeps exactly", () => {
  for (const [n, m] of [
    [800, 300],
    [5000, 2000],
  ] as const) {
    const [ref, cur] = smallTables(n, m, 0.2);
    const profile = parseReferenceProfile(roundTrip(buildReferenceProfile(ref)));
    for (const t of [undefined, "psi", "jensenshannon", "chisquare"] as (DriftTest | undefined)[]) {
      const options = t ? { test: t } : {};
      assert.deepEqual(driftAgainstProfile(profile, columnsOf(cur), options), compareTables(ref, cur, options), `n=${n} test=${t}`);
    }
    const numeric = ["num", "few"];
    const pick = (tb: Table) => table(numeric, tb.rows.map((r) => r.slice(0, 2)));
    for (const t of ["ks", "wasserstein"] as DriftTest[]) {
      assert.deepEqual(driftAgainstProfile(profile, columnsOf(pick(cur)), { test: t }), compareTables(pick(ref), pick(cur), { test: t }), `n=${n} test=${t}`);
    }
  }
});

test("a profile keeps every value up to 10 000, value counts up to 1000 distinct values, else a sketch", () => {
  const g = generate({ seed: 5, n: 30_000, loc: 0, scale: 1 });
  const rows = Array.from(g, (v, i): Cell[] => [i < 10_000 ? v : null, Math.round(v * 100), v, `k${i % 7}`]);
  const profile = buildReferenceProfile(table(["small", "discrete", "continuous", "cat"], rows), { discrete: "numerical" });
  const [small, discrete, continuous, cat] = profile.columns as NumericalProfileColumn[];
  assert.ok(small!.exact && !small!.exact.counts && small!.count === 10_000 && small!.missing === 20_000);
  assert.ok(discrete!.exact?.counts && discrete!.unique < 1000);
  assert.ok(continuous!.sketch && !continuous!.exact);
  assert.ok(Buffer.from(continuous!.sketch.values, "base64").length <= 8 * 1025);
  assert.equal(cat!.kind, "categorical");
});

test("a 1 M-row numerical column profiles to about 22 KB of JSON with a sub-1e-4 KS error bound", () => {
  const n = 1_000_000;
  const g = generate({ seed: 7, n, loc: 100, scale: 15 });
  const rows = Array.from(g, (v): Cell[] => [v]);
  const profile = buildReferenceProfile(table(["x"], rows));
  const size = JSON.stringify(profile).length;
  const col = profile.columns[0] as NumericalProfileColumn;
  assert.ok(size < 25_000, `profile is ${size} bytes`);
  assert.ok(col.sketch!.ksError < 1e-4, `ksError ${col.sketch!.ksError}`);
  assert.ok(col.sketch!.wassersteinError / col.std < 1e-4, `normed W1 error ${col.sketch!.wassersteinError / col.std}`);
  assert.equal(col.count, n);
});

test("a sketched reference stays within its stored error bounds of the exact tests", () => {
  const n = 200_000;
  const ref = generate({ seed: 8, n, loc: 0, scale: 1 }).map((v) => Math.exp(v));
  const refTable = table(["x"], Array.from(ref, (v): Cell[] => [v]));
  const profile = buildReferenceProfile(refTable);
  const col = profile.columns[0] as NumericalProfileColumn;
  assert.ok(col.sketch);
  for (const shift of [0, 0.03, 0.2]) {
    const cur = generate({ seed: 9, n: 50_000, loc: shift, scale: 1 }).map((v) => Math.exp(v));
    const curTable = table(["x"], Array.from(cur, (v): Cell[] => [v]));
    for (const t of ["ks", "wasserstein", "jensenshannon", "psi"] as DriftTest[]) {
      const approx = driftAgainstProfile(profile, columnsOf(curTable), { test: t }).columns[0]!;
      const exact = compareTables(refTable, curTable, { test: t }).columns[0]!;
      const bound = t === "ks" ? col.sketch.ksError : t === "wasserstein" ? col.sketch.wassersteinError / col.std : 2e-3;
      assert.ok(Math.abs(approx.statistic - exact.statistic) <= bound + 1e-12, `${t} shift ${shift}: ${approx.statistic} vs ${exact.statistic} (bound ${bound})`);
      assert.equal(approx.drifted, exact.drifted, `${t} shift ${shift}`);
    }
  }
});

test("categories beyond the limit are pooled, and unseen current categories join the pool", () => {
  const rows = Array.from({ length: 1000 }, (_, i): Cell[] => [`k${i % 50}`]);
  const profile = buildReferenceProfile(table(["c"], rows), undefined, { categoryLimit: 10 });
  const col = profile.columns[0]!;
  assert.ok(col.kind === "categorical" && col.labels.length === 10 && col.other === 800);
  const r = driftAgainstProfile(profile, [{ name: "c", values: Array.from({ length: 500 }, (_, i) => `k${i % 50}`).concat(["new"]) }]);
  const d = r.columns[0]!.distribution!;
  assert.ok(d.kind === "categories" && d.labels.includes("(other)") && !d.labels.includes("new"));
});

test("monitoring checks only the columns given and names the ones the profile lacks", () => {
  const [ref, cur] = smallTables(500, 200, 0);
  const profile = buildReferenceProfile(ref);
  const r = driftAgainstProfile(profile, columnsOf(cur).slice(0, 2));
  assert.deepEqual(
    r.columns.map((c) => c.name),
    ["num", "few"],
  );
  assert.throws(
    () => driftAgainstProfile(profile, [{ name: "nope", values: [1] }]),
    (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_COLUMNS" && err.message.includes('only in current: "nope"'),
  );
  assert.throws(
    () => driftAgainstProfile(profile, [{ name: "num", values: [1, "abc", 2] }]),
    (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_VALUE" && err.message === 'numerical column "num" has a value that is not a number: "abc"',
  );
  assert.throws(() => driftAgainstProfile(profile, [{ name: "num", values: [null, null] }]), (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_EMPTY_COLUMN");
  assert.throws(() => driftAgainstProfile(profile, columnsOf(cur), { categorical: ["num"] }), (err: MlopsError) => err.code === "MLOPS_ERR_CONFIG_INVALID");
  // Numbers may come as numeric strings (CSV); NaN and ±Infinity count as missing, as Evidently drops them.
  const strings = driftAgainstProfile(profile, [{ name: "num", values: columnsOf(cur)[0]!.values.map((v) => (v === null ? "NaN" : String(v))) }]);
  assert.deepEqual(strings.columns[0], driftAgainstProfile(profile, [{ name: "num", values: [...columnsOf(cur)[0]!.values, Number.NaN, Infinity] }]).columns[0]);
});

test("buildReferenceProfile uses the given kinds and rejects unknown columns", () => {
  const t = table(["a", "b"], [
    [1, 2],
    [3, 4],
  ]);
  assert.equal(buildReferenceProfile(t, { a: "categorical" }).columns[0]!.kind, "categorical");
  assert.equal(buildReferenceProfile(t).columns[0]!.kind, "numerical");
  assert.deepEqual(
    buildReferenceProfile(t, undefined, { columns: ["b"] }).columns.map((c) => c.name),
    ["b"],
  );
  assert.throws(() => buildReferenceProfile(t, { zz: "numerical" }), (err: MlopsError) => err.code === "MLOPS_ERR_DATA_COLUMN_MISSING" && err.message.includes('"zz"'));
});

test("parseReferenceProfile rejects damaged profiles with the path of the problem", () => {
  const [ref] = smallTables(500, 10, 0);
  const good = roundTrip(buildReferenceProfile(ref));
  const bad = (mutate: (p: ReturnType<typeof roundTrip<typeof good>>) => void, pattern: RegExp) => {
    const p = roundTrip(good);
    mutate(p);
    assert.throws(() => parseReferenceProfile(p), (err: MlopsError) => err.code === "MLOPS_ERR_CONFIG_INVALID" && pattern.test(err.message), pattern.source);
  };
  bad((p) => ((p as { version: number }).version = 2), /version/);
  bad((p) => ((p.columns[0] as NumericalProfileColumn).exact!.values = "!!"), /columns\[0\] \(num\): not base64/);
  bad((p) => ((p.columns[0] as NumericalProfileColumn).exact!.values = (p.columns[0] as NumericalProfileColumn).exact!.values.slice(0, -12)), /columns\[0\] \(num\)/);
  bad((p) => ((p.columns[0] as NumericalProfileColumn).count += 1), /counts must run from 0 to count/);
  bad((p) => p.columns.push(p.columns[0]!), /repeats column "num"/);
  bad((p) => ((p.columns[2] as { other: number }).other = -1), /columns\[2\]\.other/);
});
