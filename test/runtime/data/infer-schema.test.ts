import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inferKind, inferTask, resolveConfig } from "../../../runtime/src/data/infer-schema.ts";
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

  test("more than 20 distinct integers make a regression task, 20 or fewer a multiclass one", () => {
    const ints = (k: number) => Array.from({ length: 100 }, (_, i) => String(i % k));
    assert.equal(inferTask(ints(21)), "regression");
    assert.equal(inferTask(ints(20)), "multiclass");
    assert.equal(inferTask([1, 2, 3, 1, 2, 3]), "multiclass");
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
      { name: "size", kind: "categorical" },
      { name: "color", kind: "categorical" },
    ]);
    const byColumn = Object.fromEntries(decisions.map((d) => [d.column, d]));
    assert.deepEqual(Object.keys(byColumn), ["id", "age", "size", "color", "empty"]);
    assert.equal(byColumn.id!.decision, "skipped");
    assert.match(byColumn.id!.reason, /60 distinct values in 60 rows looks like an identifier/);
    assert.deepEqual(byColumn.empty, { column: "empty", decision: "skipped", reason: "every value is missing" });
    assert.deepEqual(byColumn.size, { column: "size", decision: "categorical", reason: "inferred" });
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
