import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inferKind, inferTask, inferTaskRule, isRowId, readKind, resolveConfig } from "../../../runtime/src/data/infer-schema.ts";
import { type ModelConfigInput, modelConfig } from "../../../runtime/src/data/model-config.ts";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";

/** A table from column arrays of equal length. */
function tableOf(columns: Record<string, Cell[]>): Table {
  const names = Object.keys(columns);
  const n = columns[names[0]!]!.length;
  return { source: "test", columns: names, rows: Array.from({ length: n }, (_, i) => names.map((c) => columns[c]![i]!)), digest: "0".repeat(64) };
}

const config = (input: ModelConfigInput) => modelConfig.parse(input);

describe("inferKind", () => {
  test("numeric strings (padded, signed, exponent) with missing tokens read as numerical", () => {
    assert.equal(inferKind(["1", " 2.5 ", "-3e2", ".5", "+4.", null, "", "NA", "n/a", "NaN", "null", "None", "?"]), "numerical");
  });

  test("JSON numbers read as numerical, NaN as missing", () => {
    assert.equal(inferKind([1, 2.5, -3, Number.NaN, null]), "numerical");
  });

  test("one junk value makes the column categorical", () => {
    assert.equal(inferKind(["1", "2", "3 kg"]), "categorical");
    assert.equal(inferKind([1, 2, "abc"]), "categorical");
    assert.equal(inferKind(["1", "2", "1,000"]), "categorical");
  });

  test("booleans and infinities are not numbers", () => {
    assert.equal(inferKind([true, false]), "categorical");
    assert.equal(inferKind([1, Number.POSITIVE_INFINITY]), "categorical");
    assert.equal(inferKind(["1", "Infinity"]), "categorical");
  });

  test("a column with no present value is categorical", () => {
    assert.equal(inferKind([null, "NA", "?"]), "categorical");
  });
});

describe("inferTask", () => {
  test("two distinct values make a binary task, whatever their type", () => {
    assert.equal(inferTask(["yes", "no", "yes"]), "binary");
    assert.equal(inferTask([0, 1, 1, 0]), "binary");
    assert.equal(inferTask(["0", "1", null, ""]), "binary");
    assert.equal(inferTask([1.5, 2.5]), "binary");
  });

  test("a fractional number makes a regression task", () => {
    assert.equal(inferTask(["1", "2", "3.5"]), "regression");
    assert.equal(inferTask([1, 2, 3, 4.25]), "regression");
  });

  test("more than 20 distinct integers make a regression task, 20 or fewer with >= 10 rows each a multiclass one", () => {
    const ints = (k: number, n = 400) => Array.from({ length: n }, (_, i) => String(i % k));
    assert.equal(inferTask(ints(21)), "regression");
    assert.equal(inferTask(ints(20)), "multiclass");
    assert.equal(inferTask(ints(20, 199)), "regression", "9.95 rows per value");
    assert.equal(inferTask(ints(20, 200)), "multiclass", "10 rows per value");
    assert.equal(inferTask([1, 2, 3, 1, 2, 3]), "regression", "2 rows per value");
  });

  test("inferTaskRule names the rule that fired", () => {
    assert.deepEqual(inferTaskRule(["a", "b", "a"]), { task: "binary", rule: "2 distinct values" });
    assert.match(inferTaskRule(Array.from({ length: 70 }, (_, i) => i % 7)).rule, /^integers with 7 distinct values \(<= 20\) and 10\.0 rows per value \(>= 10\); set task: regression/);
    assert.match(inferTaskRule(Array.from({ length: 30 }, (_, i) => i % 7)).rule, /4\.3 rows per value \(< 10\); set task: multiclass/);
    assert.equal(inferTaskRule([1.5, 2, 3]).rule, "numbers with fractional values");
    assert.equal(inferTaskRule(["x", "y", "z"]).task, "multiclass");
  });

  test("strings with more than two values make a multiclass task, however many there are", () => {
    assert.equal(inferTask(["a", "b", "c"]), "multiclass");
    assert.equal(inferTask(Array.from({ length: 50 }, (_, i) => `class-${i}`)), "multiclass");
    assert.equal(inferTask(["1", "2", "three"]), "multiclass");
  });
});

describe("resolveConfig", () => {
  const n = 60;
  const table = tableOf({
    id: Array.from({ length: n }, (_, i) => `user-${i}`),
    age: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? "NA" : String(20 + i))),
    size: Array.from({ length: n }, (_, i) => (i === 3 ? "big" : String(i % 5))),
    color: Array.from({ length: n }, (_, i) => ["red", "green", "blue"][i % 3]!),
    empty: Array.from({ length: n }, () => null),
    row: Array.from({ length: n }, (_, i) => String(i)),
    label: Array.from({ length: n }, (_, i) => (i % 2 ? "yes" : "no")),
  });

  test("infers every column but the target and excluded ones, with a reason for each decision", () => {
    const { config: c, decisions } = resolveConfig(config({ target: "label", exclude: ["row"] }), table, "fallback");
    assert.equal(c.name, "fallback");
    assert.equal(c.task, "binary");
    assert.deepEqual(c.features, [
      { name: "age", kind: "numerical" },
      { name: "size", kind: "numerical" },
      { name: "color", kind: "categorical" },
    ]);
    const byColumn = Object.fromEntries(decisions.map((d) => [d.column, d]));
    assert.deepEqual(Object.keys(byColumn), ["id", "age", "size", "color", "empty"]);
    assert.equal(byColumn.id!.decision, "skipped");
    assert.match(byColumn.id!.reason, /60 distinct values in 60 rows looks like an identifier/);
    assert.deepEqual(byColumn.empty, { column: "empty", decision: "skipped", reason: "every value is missing", rule: "empty" });
    // 59 of 60 values are numbers (>= 95 %): "big" is junk, treated as missing and reported.
    assert.deepEqual(byColumn.size, { column: "size", decision: "numerical", reason: "inferred", junk: { count: 1, examples: ["big"] } });
    assert.deepEqual(byColumn.age, { column: "age", decision: "numerical", reason: "inferred" });
  });

  test("keeps an identifier-like column when the config lists it, and applies kinds set in the config", () => {
    const { config: c, decisions } = resolveConfig(config({ name: "m", target: "label", features: ["id", { name: "row", kind: "categorical" }, { name: "age" }] }), table, "x");
    assert.equal(c.name, "m");
    assert.deepEqual(c.features, [
      { name: "id", kind: "categorical" },
      { name: "row", kind: "categorical" },
      { name: "age", kind: "numerical" },
    ]);
    assert.deepEqual(
      decisions.map((d) => d.reason),
      ["inferred", "set in config", "inferred"],
    );
  });

  test("uses the task and positive class from the config", () => {
    const { config: c } = resolveConfig(config({ target: "size", task: "multiclass", positiveClass: 3, features: ["age"] }), table, "x");
    assert.equal(c.task, "multiclass");
    assert.equal(c.positiveClass, "3");
  });

  test("names a missing target, feature or excluded column and lists the columns", () => {
    assert.throws(() => resolveConfig(config({ target: "price" }), table, "x"), (err: Error & { code: string }) => {
      assert.equal(err.code, "MLOPS_ERR_DATA_COLUMN_MISSING");
      assert.match(err.message, /target column "price" is not in the dataset \(columns: id, age, size, color, empty, row, label\)/);
      return true;
    });
    assert.throws(() => resolveConfig(config({ target: "label", features: ["agee"] }), table, "x"), { code: "MLOPS_ERR_DATA_COLUMN_MISSING", message: /feature column "agee"/ });
    assert.throws(() => resolveConfig(config({ target: "label", exclude: ["nope"] }), table, "x"), { code: "MLOPS_ERR_DATA_COLUMN_MISSING", message: /excluded column "nope"/ });
  });

  test("rejects the target listed as a feature, a feature listed twice, and no usable feature", () => {
    assert.throws(() => resolveConfig(config({ target: "label", features: ["label"] }), table, "x"), { code: "MLOPS_ERR_CONFIG_INVALID", message: /"label" is the target column/ });
    assert.throws(() => resolveConfig(config({ target: "label", features: ["age", { name: "age" }] }), table, "x"), { code: "MLOPS_ERR_CONFIG_INVALID", message: /"age" is listed twice/ });
    assert.throws(() => resolveConfig(config({ target: "label", exclude: ["age", "size", "color", "row"] }), table, "x"), { code: "MLOPS_ERR_CONFIG_INVALID", message: /no usable feature columns/ });
  });
});

describe("junk-token tolerance (issue 13, defect 2)", () => {
  test("a numeric column with a few non-numeric cells stays numerical when >= 95 % parse, and the junk is counted with examples", () => {
    const values = [...Array.from({ length: 96 }, (_, i) => String(i * 1.5)), "oops", "1,5", "-", "#N/A"];
    // "-" and "#N/A" are missing tokens; "oops" and "1,5" are junk: 96 / 98 = 98 % numbers.
    assert.deepEqual(readKind(values), { kind: "numerical", junk: 2, examples: ["oops", "1,5"] });
    const tooDirty = [...Array.from({ length: 18 }, (_, i) => String(i)), "a", "b"];
    assert.equal(readKind(tooDirty).kind, "categorical", "18 / 20 = 90 % < 95 %");
  });

  test("the spreadsheet tokens -, #N/A, ?, n/a and empty read as missing, not as categories", () => {
    assert.deepEqual(readKind(["1", "2", "-", "#N/A", "?", "n/a", "", "3"]), { kind: "numerical", junk: 0, examples: [] });
  });

  test("ISO dates and date-times make a date column; a few bad dates are junk", () => {
    const dates = [...Array.from({ length: 40 }, (_, i) => `2024-0${1 + (i % 9)}-1${i % 10}`), "2024-01-05T10:20:30Z", "soon"];
    assert.deepEqual(readKind(dates), { kind: "date", junk: 1, examples: ["soon"] });
    assert.equal(readKind(["2024-02-30", "2024-13-01", "x"]).kind, "categorical", "impossible days are not dates");
  });
});

describe("row-id and constant columns (issue 13, defect 1)", () => {
  const n = 40;
  // Rows ordered by class, as a file sorted by the target: the row number would leak the label.
  const leaky = tableOf({
    rowid: Array.from({ length: n }, (_, i) => String(i + 1)),
    id: Array.from({ length: n }, (_, i) => String((i * 7919) % 1009)),
    constant: Array.from({ length: n }, () => "1"),
    x: Array.from({ length: n }, (_, i) => String((i * 37) % 11)),
    label: Array.from({ length: n }, (_, i) => (i < n / 2 ? "a" : "b")),
  });

  test("a monotonic unique integer column and a unique integer column named id are skipped as row ids; a constant column is dropped", () => {
    const { config: c, decisions } = resolveConfig(config({ target: "label" }), leaky, "x");
    assert.deepEqual(c.features, [{ name: "x", kind: "numerical" }]);
    const byColumn = Object.fromEntries(decisions.map((d) => [d.column, d]));
    assert.equal(byColumn.rowid!.rule, "row-id");
    assert.match(byColumn.rowid!.reason, /unique integers increasing in file order look like a row id/);
    assert.equal(byColumn.id!.rule, "row-id");
    assert.match(byColumn.id!.reason, /column named "id"/);
    assert.equal(byColumn.constant!.rule, "constant");
    assert.match(byColumn.constant!.reason, /constant: every row is "1"/);
  });

  test("isRowId needs every value present, integer and unique", () => {
    assert.equal(isRowId("x", ["3", "1", "2"]), undefined, "not monotonic and not named like an id");
    assert.ok(isRowId("index", ["3", "1", "2"]));
    assert.equal(isRowId("id", ["1", "1", "2"]), undefined, "duplicates");
    assert.equal(isRowId("id", ["1", "2.5", "3"]), undefined, "fractions");
    assert.equal(isRowId("id", ["1", null, "3"]), undefined, "missing");
    assert.ok(isRowId("anything", ["10", "9", "8", "7"]), "decreasing");
  });

  test("a listed feature is used even when it looks like a row id", () => {
    const { config: c } = resolveConfig(config({ target: "label", features: ["rowid", "x"] }), leaky, "x");
    assert.deepEqual(c.features.map((f) => f.name), ["rowid", "x"]);
  });
});
