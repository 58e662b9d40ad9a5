import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { type DriftTest, compareTables } from "../../../runtime/src/drift/index.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import { type Sample, assertAbsolute, assertRelative, fixtures, oneColumn, sample } from "./fixtures.ts";

interface Expected {
  statistic: number | string | null;
  pvalue: number | "nan" | null;
  drifted: boolean;
}
interface ColumnCase {
  name: string;
  kind: "numerical" | "categorical";
  categorical: boolean;
  reference: Sample<Cell>;
  current: Sample<Cell>;
  default: DriftTest;
  expected: Record<string, Expected>;
}

function check(actual: { statistic: number; pValue: number | null; drifted: boolean }, e: Expected, what: string): void {
  assertRelative(actual.statistic, e.statistic === "inf" ? Number.MAX_VALUE : e.statistic, 1e-9, `${what} statistic`);
  if (e.pvalue === null) assert.equal(actual.pValue, null, `${what} p-value`);
  // scipy's chisquare has no p-value for a single category (0 degrees of freedom); both sides are then identical and the runtime reports 1.
  else if (e.pvalue === "nan") assert.equal(actual.pValue, 1, `${what} p-value`);
  else assertAbsolute(actual.pValue!, e.pvalue, 1e-6, `${what} p-value`);
  assert.equal(actual.drifted, e.drifted, `${what} drifted`);
}

describe("per-column drift matches Evidently's defaults and tests (numpy/scipy re-implementation)", () => {
  for (const c of fixtures.columns as ColumnCase[]) {
    test(c.name, () => {
      const ref = oneColumn("x", sample(c.reference));
      const cur = oneColumn("x", sample(c.current));
      const categorical = c.categorical ? ["x"] : [];
      const auto = compareTables(ref, cur, { categorical }).columns[0]!;
      assert.equal(auto.type, c.kind);
      assert.equal(auto.test, c.default, "default test");
      check(auto, c.expected[c.default]!, `default ${c.default}`);
      for (const [test, e] of Object.entries(c.expected)) {
        check(compareTables(ref, cur, { categorical, test: test as DriftTest }).columns[0]!, e, test);
      }
      if (c.kind === "categorical") {
        assert.throws(() => compareTables(ref, cur, { categorical, test: "ks" }), (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_TEST" && /column "x"/.test(err.message));
      }
    });
  }
});

const table = (columns: string[], rows: Cell[][]) => ({ source: "t", columns, rows, digest: "0" });

test("the dataset drifts when the share of drifted columns reaches driftShare", () => {
  const n = 300;
  const same = Array.from({ length: n }, (_, i) => [i % 17, `c${i % 3}`, (i * 7) % 11]);
  const shifted = Array.from({ length: n }, (_, i) => [(i % 17) + 8, `c${i % 3}`, ((i * 7) % 11) + 5]);
  const r = compareTables(table(["a", "b", "c"], same), table(["a", "b", "c"], shifted));
  assert.deepEqual(
    r.columns.map((c) => [c.name, c.drifted]),
    [
      ["a", true],
      ["b", false],
      ["c", true],
    ],
  );
  assert.deepEqual(r.drift, { detected: true, share: 2 / 3, driftShare: 0.5, columns: 3, drifted: 2 });
  assert.equal(compareTables(table(["a", "b", "c"], same), table(["a", "b", "c"], shifted), { driftShare: 0.7 }).drift.detected, false);
});

test("a correction adjusts the p-value columns only and re-decides them", () => {
  const n = 400;
  const ref = Array.from({ length: n }, (_, i) => [Math.sin(i) * 3, Math.cos(i * 1.3) * 2, `k${i % 4}`]);
  const cur = Array.from({ length: n }, (_, i) => [Math.sin(i) * 3 + 0.3, Math.cos(i * 1.7) * 2, `k${i % 4}`]);
  const plain = compareTables(table(["a", "b", "c"], ref), table(["a", "b", "c"], cur));
  const bonf = compareTables(table(["a", "b", "c"], ref), table(["a", "b", "c"], cur), { correction: "bonferroni" });
  const bh = compareTables(table(["a", "b", "c"], ref), table(["a", "b", "c"], cur), { correction: "benjamini-hochberg" });
  const m = plain.columns.length;
  plain.columns.forEach((c, i) => {
    assert.equal(bonf.columns[i]!.pValue, Math.min(1, c.pValue! * m));
    assert.ok(bh.columns[i]!.pValue! >= c.pValue! && bh.columns[i]!.pValue! <= bonf.columns[i]!.pValue!);
    assert.equal(bonf.columns[i]!.statistic, c.statistic);
  });
  // Distance tests have no p-value and are left alone.
  const big = Array.from({ length: 1500 }, (_, i) => [i % 97, `k${i % 4}`]);
  const dist = compareTables(table(["a", "b"], big), table(["a", "b"], big), { correction: "bonferroni" });
  assert.deepEqual(
    dist.columns.map((c) => [c.test, c.pValue, c.statistic]),
    [
      ["wasserstein", null, 0],
      ["jensenshannon", null, 0],
    ],
  );
});

test("rejects tables whose columns differ, naming the columns on each side", () => {
  assert.throws(
    () => compareTables(table(["a", "b"], [[1, 2]]), table(["a", "c"], [[1, 2]])),
    (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_COLUMNS" && err.message.includes('only in reference: "b"') && err.message.includes('only in current: "c"'),
  );
});

test("rejects a column with no values on one side, naming the column and the side", () => {
  assert.throws(
    () => compareTables(table(["a"], [[1], [2]]), table(["a"], [[null], [""]])),
    (err: MlopsError) => err.code === "MLOPS_ERR_DRIFT_EMPTY_COLUMN" && err.message === 'column "a" has no values in the current data (every value is missing)',
  );
});

test("invalid options are reported with their path", () => {
  assert.throws(
    () => compareTables(table(["a"], [[1]]), table(["a"], [[1]]), { threshold: -1, driftShare: 2 }),
    (err: MlopsError) => err.code === "MLOPS_ERR_CONFIG_INVALID" && /threshold/.test(err.message) && /driftShare/.test(err.message),
  );
  assert.throws(() => compareTables(table(["a"], [[1]]), table(["a"], [[1]]), { test: "ks", threshold: 5 }), /p-value threshold for ks must be at most 1/);
});

test("every result carries plotting shares that sum to 1 on each side", () => {
  const n = 500;
  const ref = Array.from({ length: n }, (_, i) => [Math.sin(i * 0.37) * 10, `k${i % 5}`]);
  const cur = Array.from({ length: n }, (_, i) => [Math.sin(i * 0.41) * 12, `k${i % 6}`]);
  for (const c of compareTables(table(["a", "b"], ref), table(["a", "b"], cur)).columns) {
    const d = c.distribution!;
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(sum(d.reference) - 1) < 1e-12 && Math.abs(sum(d.current) - 1) < 1e-12, c.name);
    if (d.kind === "bins") assert.equal(d.edges.length, d.reference.length + 1);
    else assert.equal(d.labels.length, d.reference.length);
  }
});
