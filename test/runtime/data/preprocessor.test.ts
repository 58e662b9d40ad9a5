import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { resolveConfig } from "../../../runtime/src/data/infer-schema.ts";
import { type ModelConfigInput, type ResolvedModelConfig, modelConfig } from "../../../runtime/src/data/model-config.ts";
import {
  type DateFeature,
  binCount,
  type EncodeReport,
  FIT,
  type NumericalFeature,
  type PreprocessorState,
  SCORE_FILE,
  SERVE,
  encodeRows,
  encodeTable,
  encodeTarget,
  featureSignature,
  fitPreprocessor,
  normalQuantile,
  quantileScore,
  rowsWithTarget,
} from "../../../runtime/src/data/preprocessor.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import { seededRandom } from "../../../runtime/src/model/random.ts";

/** A table from column arrays of equal length. */
function tableOf(columns: Record<string, Cell[]>): Table {
  const names = Object.keys(columns);
  const n = columns[names[0]!]!.length;
  return { source: "test", columns: names, rows: Array.from({ length: n }, (_, i) => names.map((c) => columns[c]![i]!)), digest: "0".repeat(64) };
}

/** A resolved config with the given features (kinds as given) and target. */
function configOf(target: string, task: ResolvedModelConfig["task"], features: Record<string, "numerical" | "categorical" | "date">, extra: Partial<ResolvedModelConfig> = {}): ResolvedModelConfig {
  return {
    name: "m",
    target,
    task,
    features: Object.entries(features).map(([name, kind]) => ({ name, kind })),
    maxCategories: 100,
    network: { ...modelConfig.parse({ target }).network, epochs: 100, patience: 10, weightDecay: 0 },
    ...extra,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const newReport = (): EncodeReport => ({ rows: 0, features: {} });

/** Asserts that `fn` throws registry error `code` whose message contains every one of `parts`. */
function throwsWith(fn: () => unknown, code: string, ...parts: string[]): void {
  assert.throws(fn, (err: MlopsError) => {
    assert.equal(err.code, code, err.message);
    for (const part of parts) assert.ok(err.message.includes(part), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(part)}`);
    return true;
  });
}

describe("fitPreprocessor", () => {
  test("fits numerical and categorical features on the given rows only", () => {
    const table = tableOf({
      x: ["1", "2", "3", "4", "1000", "-1000"],
      color: ["red", "red", "blue", "green", "purple", "purple"],
      y: ["10", "20", "30", "40", "9999", "9999"],
    });
    const state = fitPreprocessor(configOf("y", "regression", { x: "numerical", color: "categorical" }), table, [0, 1, 2, 3]);
    assert.deepEqual(state.features, [
      { name: "x", kind: "numerical", mean: 2.5, std: Math.sqrt(1.25), quantiles: [1, 2, 3, 4] },
      { name: "color", kind: "categorical", categories: ["red", "blue", "green"] },
    ]);
    assert.deepEqual(state.targetTransform, { task: "regression", mean: 25, std: Math.sqrt(125) });
    assert.equal(state.width, 2 + 4);
    assert.equal(state.target, "y");
    assert.equal(state.formatVersion, 1);
  });

  test("the standard deviation is the population one and ignores missing and junk values", () => {
    const table = tableOf({ x: ["2", "4", "4", "4", "NA", "5", "5", "7", "9", "", "oops"], y: range(11).map(String) });
    const [f] = fitPreprocessor(configOf("y", "regression", { x: "numerical" }), table, range(11)).features;
    assert.deepEqual(f, { name: "x", kind: "numerical", mean: 5, std: 2, quantiles: [2, 4, 4, 4, 5, 5, 7, 9], missingIndicator: true });
  });

  test("a constant, single-valued or all-missing numerical feature gets std 1 and no quantile map", () => {
    const table = tableOf({ c: ["3", "3", "3"], one: [null, "7", null], none: [null, "NA", "?"], y: ["1", "2", "3"] });
    const features = fitPreprocessor(configOf("y", "regression", { c: "numerical", one: "numerical", none: "numerical" }), table, [0, 1, 2]).features;
    assert.deepEqual(features, [
      { name: "c", kind: "numerical", mean: 3, std: 1 },
      { name: "one", kind: "numerical", mean: 7, std: 1, missingIndicator: true },
      { name: "none", kind: "numerical", mean: 0, std: 1, missingIndicator: true },
    ]);
  });

  test("orders categories by frequency, then by name, and keeps at most maxCategories", () => {
    const color = ["b", "a", "c", "c", "d", "b", "e", "e", "e", null, "c"];
    const table = tableOf({ color, y: color.map((_, i) => String(i)) });
    const fit = (max: number) => fitPreprocessor(configOf("y", "regression", { color: "categorical" }, { maxCategories: max }), table, range(color.length)).features[0];
    assert.deepEqual(fit(100), { name: "color", kind: "categorical", categories: ["c", "e", "b", "a", "d"], missingBucket: true });
    assert.deepEqual(fit(3), { name: "color", kind: "categorical", categories: ["c", "e", "b"], missingBucket: true });
    // 3 categories, the out-of-vocabulary bucket and the missing bucket (row 9 is missing).
    assert.equal(fitPreprocessor(configOf("y", "regression", { color: "categorical" }, { maxCategories: 3 }), table, range(11)).width, 5);
    assert.equal(fitPreprocessor(configOf("y", "regression", { color: "categorical" }, { maxCategories: 3 }), table, [0, 1, 2]).width, 4);
  });

  test("binary classes are sorted, with the positive class second", () => {
    const table = tableOf({ x: ["1", "2", "3", "4"], label: ["yes", "no", "yes", "no"], n: ["10", "9", "10", "9"] });
    const classes = (target: string, extra: Partial<ResolvedModelConfig> = {}) => {
      const t = fitPreprocessor(configOf(target, "binary", { x: "numerical" }, extra), table, range(4)).targetTransform;
      return t.task === "regression" ? [] : t.classes;
    };
    assert.deepEqual(classes("label"), ["no", "yes"]);
    assert.deepEqual(classes("label", { positiveClass: "yes" }), ["no", "yes"]);
    assert.deepEqual(classes("label", { positiveClass: "no" }), ["yes", "no"]);
    assert.deepEqual(classes("n"), ["9", "10"]);
    throwsWith(() => classes("label", { positiveClass: "maybe" }), "MLOPS_ERR_DATA_TARGET", 'target column "label"', 'positiveClass "maybe" is not one of its classes (no, yes)');
  });

  test("rejects a binary target without exactly two classes in the training rows, and a multiclass target with one", () => {
    const table = tableOf({ x: ["1", "2", "3", "4"], label: ["a", "b", "c", "a"] });
    throwsWith(() => fitPreprocessor(configOf("label", "binary", { x: "numerical" }), table, range(4)), "MLOPS_ERR_DATA_TARGET", "exactly 2 classes", "found 3");
    throwsWith(() => fitPreprocessor(configOf("label", "binary", { x: "numerical" }), table, [0, 3]), "MLOPS_ERR_DATA_TARGET", "found 1");
    throwsWith(() => fitPreprocessor(configOf("label", "multiclass", { x: "numerical" }), table, [0, 3]), "MLOPS_ERR_DATA_TARGET", "at least 2 classes, found 1");
    const t = fitPreprocessor(configOf("label", "multiclass", { x: "numerical" }), table, range(4)).targetTransform;
    assert.deepEqual(t, { task: "multiclass", classes: ["a", "b", "c"] });
  });
});

describe("encodeRows / encodeTable", () => {
  const table = tableOf({
    x: ["1", "3", "NA", "", "abc", "5", "?", "x1", "y2", "z3"],
    color: ["red", "blue", "red", null, "red", "mauve", "blue", "red", "red", "red"],
    y: range(10).map((i) => String(i % 2)),
  });
  const state: PreprocessorState = {
    formatVersion: 1,
    target: "y",
    features: [
      { name: "x", kind: "numerical", mean: 3, std: 2 },
      { name: "color", kind: "categorical", categories: ["red", "blue"] },
    ],
    targetTransform: { task: "binary", classes: ["0", "1"] },
    width: 4,
  };

  test("standardises numbers, one-hot encodes categories and sends missing values to 0 and the out-of-vocabulary slot", () => {
    const report = newReport();
    const x = encodeTable(state, table, [0, 1, 2, 3, 5], FIT, report);
    assert.deepEqual(
      Array.from(x),
      [
        [-1, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1],
        [1, 0, 0, 1],
      ].flat(),
    );
    assert.deepEqual(report, {
      rows: 5,
      features: { x: { missing: 2, junk: 0, unseen: 0, examples: [] }, color: { missing: 1, junk: 0, unseen: 1, examples: [], unseenExamples: ["mauve"] } },
    });
  });

  test("imputes junk numbers when fitting and reports them with up to three examples", () => {
    const report = newReport();
    const x = encodeTable(state, table, range(10), FIT, report);
    assert.equal(x[4 * 4], 0);
    assert.deepEqual(report.features.x, { missing: 3, junk: 4, unseen: 0, examples: ["abc", "x1", "y2"] });
    assert.equal(report.rows, 10);
    encodeTable(state, table, [9], FIT, report);
    assert.equal(report.rows, 11);
    assert.equal(report.features.x!.junk, 5);
    assert.equal(report.features.x!.examples.length, 3);
  });

  test("rejects a junk number in a scored file, naming the row and the feature", () => {
    throwsWith(() => encodeTable(state, table, [0, 1, 4], SCORE_FILE), "MLOPS_ERR_INFER_FEATURE", 'instance 2, feature "x": expected a number, got "abc"');
    assert.deepEqual(Array.from(encodeTable(state, table, [2, 3, 6], SCORE_FILE)).filter((_, i) => i % 4 === 0), [0, 0, 0]);
  });

  test("serving requires JSON numbers for numerical features and accepts null and NaN as unknown", () => {
    const rows: Record<string, unknown>[] = [{ x: 5, color: "blue" }, { x: null, color: "red" }, { x: Number.NaN }, { color: "red" }];
    const report = newReport();
    const x = encodeRows(state, rows.length, (r, k) => rows[r]![state.features[k]!.name] as Cell, SERVE, report);
    assert.deepEqual(Array.from(x), [1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
    assert.deepEqual(report.features.x, { missing: 3, junk: 0, unseen: 0, examples: [] });
    assert.deepEqual(report.features.color, { missing: 1, junk: 0, unseen: 0, examples: [] });
    const valid: Record<string, unknown> = { x: 1, color: "red" };
    const serve = (row: Record<string, unknown>) => encodeRows(state, 2, (r, k) => (r === 0 ? valid : row)[state.features[k]!.name] as Cell, SERVE);
    throwsWith(() => serve({ x: "5", color: "red" }), "MLOPS_ERR_INFER_FEATURE", 'instance 1, feature "x": expected a JSON number (or null/NaN when unknown), got "5"');
    throwsWith(() => serve({ x: true, color: "red" }), "MLOPS_ERR_INFER_FEATURE", 'instance 1, feature "x"', "got true");
    throwsWith(() => serve({ x: Number.POSITIVE_INFINITY, color: "red" }), "MLOPS_ERR_INFER_FEATURE", 'feature "x"', "got Infinity");
    throwsWith(() => serve({ x: 1, color: { a: 1 } }), "MLOPS_ERR_INFER_FEATURE", 'instance 1, feature "color": expected a string, number or boolean, got {"a":1}');
    throwsWith(() => serve({ x: [1], color: "red" }), "MLOPS_ERR_INFER_FEATURE", 'feature "x"');
  });

  test("an unseen category goes to the out-of-vocabulary slot and is counted", () => {
    const report = newReport();
    const x = encodeRows(state, 2, (r, k) => (k === 0 ? 3 : ["teal", "navy"][r]!), SERVE, report);
    assert.deepEqual(Array.from(x), [0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(report.features.color, { missing: 0, junk: 0, unseen: 2, examples: [], unseenExamples: ["teal", "navy"] });
    // A scored file reads a number as its text, as training did: unseen, not an error.
    const file = newReport();
    assert.deepEqual(Array.from(encodeRows(state, 1, (_r, k) => (k === 0 ? 3 : 7), SCORE_FILE, file)).slice(1), [0, 0, 1]);
    assert.equal(file.features.color!.unseen, 1);
  });

  test("serving refuses a number or boolean for a categorical feature unless its text is a category, naming the feature", () => {
    throwsWith(() => encodeRows(state, 1, (_r, k) => (k === 0 ? 3 : 7), SERVE), "MLOPS_ERR_INFER_FEATURE", 'instance 0, feature "color": is categorical ("red", "blue"); got the number 7');
    throwsWith(() => encodeRows(state, 1, (_r, k) => (k === 0 ? 3 : false), SERVE), "MLOPS_ERR_INFER_FEATURE", "got the boolean false");
  });

  test("names a feature column missing from a scored table", () => {
    throwsWith(() => encodeTable(state, tableOf({ x: ["1"], colour: ["red"] }), [0], SCORE_FILE), "MLOPS_ERR_DATA_COLUMN_MISSING", 'feature column "color"', "colour");
  });

  test("lists each raw feature's kind and categories as the signature", () => {
    assert.deepEqual(featureSignature(state), [
      { name: "x", kind: "numerical" },
      { name: "color", kind: "categorical", categories: ["red", "blue"] },
    ]);
  });
});

describe("targets", () => {
  test("drops rows with a missing target, and for regression rows whose target is not a number", () => {
    const table = tableOf({ x: range(6).map(String), y: ["1", null, "NA", "2.5", "abc", ""] });
    assert.deepEqual(rowsWithTarget(table, "y", "regression"), { rows: [0, 3], dropped: 4 });
    assert.deepEqual(rowsWithTarget(table, "y", "multiclass"), { rows: [0, 2, 3, 4], dropped: 2 });
  });

  test("encodes class indices and raw regression values, and names a class unseen in training", () => {
    const table = tableOf({ x: ["1", "2", "3", "4"], label: ["no", "yes", "yes", "maybe"], y: ["1.5", "-2", "1e3", "x"] });
    const binary = fitPreprocessor(configOf("label", "binary", { x: "numerical" }, { positiveClass: "no" }), table, [0, 1, 2]);
    assert.deepEqual(Array.from(encodeTarget(binary, table, [0, 1, 2])), [1, 0, 0]);
    throwsWith(() => encodeTarget(binary, table, [3]), "MLOPS_ERR_DATA_TARGET", 'row 4 has class "maybe", not seen in training (yes, no)');
    const regression = fitPreprocessor(configOf("y", "regression", { x: "numerical" }), table, [0, 1, 2]);
    assert.deepEqual(Array.from(encodeTarget(regression, table, [0, 1, 2])), [1.5, -2, 1000]);
    throwsWith(() => encodeTarget(regression, table, [3]), "MLOPS_ERR_DATA_TARGET", 'row 4 has "x", not a number');
  });
});

describe("train-time and serve-time transforms agree", () => {
  /** Typed records as a client would send them in JSON, and the same records as a CSV file renders them. */
  function records(n: number, seed: number): Record<string, number | string | boolean | null>[] {
    const random = seededRandom(seed);
    const colors = ["red", "green", "blue", "light, \"pale\" blue"];
    return Array.from({ length: n }, (_, i) => ({
      x1: random() < 0.1 ? null : Math.round((random() * 200 - 100) * 1000) / 1000,
      x2: random() < 0.05 ? null : random() * 1e6 * (random() < 0.5 ? -1 : 1),
      tiny: (random() - 0.5) * 1e-9,
      color: random() < 0.08 ? null : colors[Math.floor(random() * colors.length)]!,
      cylinders: [4, 6, 8][Math.floor(random() * 3)]!,
      turbo: random() < 0.3,
      day: random() < 0.1 ? null : new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 2000) * 86_400_000 + (i % 4 === 0 ? Math.floor(random() * 86_400_000) : 0)).toISOString().replace(/T00:00:00\.000Z$/, ""),
      label: i % 3 === 0 ? "yes" : "no",
    }));
  }

  /** CSV text for the records: missing numbers written as "", "NA" or "?", missing categories as "", some numbers padded. */
  function csvOf(rows: Record<string, number | string | boolean | null>[], numerical: ReadonlySet<string>): string {
    const columns = Object.keys(rows[0]!);
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    const lines = rows.map((r, i) =>
      columns
        .map((c) => {
          const v = r[c];
          // Missing-value tokens mean "no value" only in numerical columns; a category "NA" is a category.
          if (v === null || v === undefined) return numerical.has(c) ? ["", "NA", "?"][i % 3]! : "";
          if (numerical.has(c) && i % 5 === 0) return ` ${String(v)} `;
          return quote(String(v));
        })
        .join(","),
    );
    return `${columns.join(",")}\n${lines.join("\n")}\n`;
  }

  const input: ModelConfigInput = { target: "label", features: ["x1", "x2", "tiny", "color", { name: "cylinders", kind: "categorical" }, "turbo", "day"] };

  test("encoding CSV rows for training and the same rows as typed JSON for serving gives identical inputs", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mlops-preprocessor-"));
    try {
      const typed = records(240, 7);
      const file = path.join(dir, "train.csv");
      await writeFile(file, csvOf(typed, new Set(["x1", "x2", "tiny"])));
      const table = await readTable(file);
      assert.equal(table.rows.length, typed.length);
      const { config } = resolveConfig(modelConfig.parse(input), table, "agree");
      assert.deepEqual(
        config.features.map((f) => f.kind),
        ["numerical", "numerical", "numerical", "categorical", "categorical", "categorical", "date"],
      );
      const trainRows = range(180);
      const state = fitPreprocessor(config, table, trainRows);
      // Missing values in training give x1 a missing indicator, color a missing bucket, day its calendar parts and an indicator.
      const byName = Object.fromEntries(state.features.map((f) => [f.name, f]));
      assert.equal((byName.x1 as { missingIndicator?: boolean }).missingIndicator, true);
      assert.equal((byName.tiny as { missingIndicator?: boolean }).missingIndicator, undefined);
      assert.equal((byName.color as { missingBucket?: boolean }).missingBucket, true);
      assert.deepEqual((byName.day as { parts: { part: string }[] }).parts.map((p) => p.part), ["year", "month", "dayOfWeek", "dayOfYear", "days", "hour"], "every fourth day has a time");
      assert.equal((byName.day as { missingIndicator?: boolean }).missingIndicator, true);
      const fitReport = newReport();
      const atTraining = encodeTable(state, table, trainRows, FIT, fitReport);
      assert.ok(fitReport.features.x1!.missing > 0 && fitReport.features.color!.missing > 0, "the data has missing values");
      assert.equal(fitReport.features.x1!.junk + fitReport.features.x2!.junk, 0);

      const serveAll = (s: PreprocessorState, rows: readonly number[]) =>
        encodeRows(s, rows.length, (r, k) => typed[rows[r]!]![s.features[k]!.name] as Cell, SERVE);
      const assertSame = (a: Float32Array, b: Float32Array, what: string) => {
        assert.equal(a.length, b.length, what);
        for (let i = 0; i < a.length; i++) {
          if (!Object.is(a[i], b[i]) && a[i] !== b[i]) assert.fail(`${what}: row ${Math.floor(i / state.width)}, column ${i % state.width}: ${a[i]} vs ${b[i]}`);
        }
      };
      assertSame(atTraining, serveAll(state, trainRows), "serving");

      const saved = JSON.parse(JSON.stringify(state, null, 2)) as PreprocessorState;
      assert.deepEqual(saved, state);
      assertSame(atTraining, serveAll(saved, trainRows), "serving from preprocessor.json");

      const heldOut = range(typed.length).slice(180);
      assertSame(encodeTable(state, table, heldOut, SCORE_FILE), serveAll(saved, heldOut), "scoring the held-out rows");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("missing indicators, missing buckets and date features (issue 13, defect 10)", () => {
  test("date-times get an hour-of-day part (flight departures: the hour is what predicts delays); plain dates do not, and a preprocessor without it still encodes", () => {
    const times = tableOf({ t: ["2001-01-01 06:30:00", "2001-02-02 18:00:00", "2001-03-03T12:15:00Z", "2001-04-04 00:00"], y: ["1", "2", "3", "4"] });
    const withTimes = fitPreprocessor(configOf("y", "regression", { t: "date" }), times, range(4));
    const parts = (withTimes.features[0] as DateFeature).parts;
    // The year is the same for every date: left out.
    assert.deepEqual(parts.map((p) => p.part), ["month", "dayOfWeek", "dayOfYear", "days", "hour"]);
    assert.ok(Math.abs(parts[4]!.mean - (6.5 + 18 + 12.25 + 0) / 4) < 1e-9, "hours with minutes as a fraction");
    const x = encodeTable(withTimes, times, [0], FIT);
    assert.equal(x.length, 2 + 2 + 2 + 1 + 2);
    assert.ok(Math.abs(x[7]! - Math.sin((2 * Math.PI * 6.5) / 24)) < 1e-6 && Math.abs(x[8]! - Math.cos((2 * Math.PI * 6.5) / 24)) < 1e-6);

    const dates = tableOf({ t: ["2001-01-01", "2001-02-02", "2001-03-03", "2002-04-04"], y: ["1", "2", "3", "4"] });
    const plain = fitPreprocessor(configOf("y", "regression", { t: "date" }), dates, range(4));
    assert.deepEqual((plain.features[0] as DateFeature).parts.map((p) => p.part), ["year", "month", "dayOfWeek", "dayOfYear", "days"]);
    assert.equal(plain.width, 1 + 2 + 2 + 2 + 1);
    // A preprocessor written before the hour part and the periodic encoding (five standardised parts) encodes a date-time with its five.
    const oldParts = ["year", "month", "dayOfWeek", "dayOfYear", "days"].map((part) => ({ part, mean: 1, std: 2 }));
    const old = { ...withTimes, features: [{ name: "t", kind: "date", parts: oldParts }], width: 5 } as PreprocessorState;
    assert.deepEqual(Array.from(encodeTable(old, times, [0], FIT)), [2001, 1, 1, 1, 11323].map((v) => (v - 1) / 2));
  });

  test("periodic date parts wrap around: 31 December encodes next to 1 January, and parts constant in training are left out", () => {
    const table = tableOf({ d: ["2023-12-31", "2024-01-01", "2024-07-01", "2024-04-01"], y: ["1", "2", "3", "4"] });
    const state = fitPreprocessor(configOf("y", "regression", { d: "date" }), table, range(4));
    const f = state.features[0] as DateFeature;
    const x = encodeTable(state, table, range(4), FIT);
    const slot = (row: number, part: string) => {
      let c = 0;
      for (const p of f.parts) {
        if (p.part === part) return [x[row * state.width + c]!, x[row * state.width + c + 1]!];
        c += p.period ? 2 : 1;
      }
      throw new Error(part);
    };
    const dist = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
    assert.ok(dist(slot(0, "dayOfYear"), slot(1, "dayOfYear")) < 0.05, "two days apart across new year");
    assert.ok(dist(slot(1, "dayOfYear"), slot(2, "dayOfYear")) > 1.9, "half a year apart");
    assert.ok(dist(slot(0, "month"), slot(1, "month")) < 0.6);

    const firsts = tableOf({ d: ["1970-01-01", "1971-01-01", "1972-01-01"], y: ["1", "2", "3"] });
    const parts = (fitPreprocessor(configOf("y", "regression", { d: "date" }), firsts, range(3)).features[0] as DateFeature).parts.map((p) => p.part);
    assert.deepEqual(parts, ["year", "dayOfWeek", "days"], "every date is 1 January: no month or day of year");
  });

  test("a missing number sets its indicator column and a present one clears it; the value slots hold the mean and the median", () => {
    const table = tableOf({ x: ["1", "", "3", "NA"], y: ["1", "2", "3", "4"] });
    const state = fitPreprocessor(configOf("y", "regression", { x: "numerical" }), table, range(4));
    assert.equal(state.width, 3);
    const x = Array.from(encodeTable(state, table, range(4), FIT), (v) => Math.round(v * 1e4) / 1e4);
    // standardised value, quantile score (knots 1 and 3: Φ⁻¹(1/4), Φ⁻¹(3/4)), missing indicator
    assert.deepEqual(x, [-1, -0.6745, 0, 0, 0, 1, 1, 0.6745, 0, 0, 0, 1]);
  });

  test("a missing category goes to its own bucket, an unseen one to the out-of-vocabulary bucket", () => {
    const table = tableOf({ c: ["a", "b", null, "a", "zzz"], y: ["1", "2", "3", "4", "5"] });
    const state = fitPreprocessor(configOf("y", "regression", { c: "categorical" }), table, [0, 1, 2, 3]);
    // a, b, out-of-vocabulary, missing
    assert.equal(state.width, 4);
    const x = encodeTable(state, table, [2, 4], FIT);
    assert.deepEqual(Array.from(x), [0, 0, 0, 1, 0, 0, 1, 0]);
  });

  test("without missing values in training a missing category still shares the out-of-vocabulary bucket (old preprocessors read the same)", () => {
    const table = tableOf({ c: ["a", "b", "a", null], y: ["1", "2", "3", "4"] });
    const state = fitPreprocessor(configOf("y", "regression", { c: "categorical" }), table, [0, 1, 2]);
    assert.equal(state.width, 3);
    assert.deepEqual(Array.from(encodeTable(state, table, [3], FIT)), [0, 0, 1]);
  });

  test("an ISO date becomes year and days since 1970 standardised, and month, day of week, day of year and hour of the day as sin/cos", () => {
    const table = tableOf({ d: ["2024-01-01", "2024-03-01T12:00:00Z", "2023-12-31 23:59"], y: ["1", "2", "3"] });
    const state = fitPreprocessor(configOf("y", "regression", { d: "date" }), table, range(3));
    const f = state.features[0] as DateFeature;
    const raw = [
      [2024, 1, 1, 1, 19723, 0],
      [2024, 3, 5, 61, 19783, 12],
      [2023, 12, 0, 365, 19722, 23 + 59 / 60],
    ];
    const periods = [undefined, 12, 7, 365.25, undefined, 24];
    assert.deepEqual(f.parts.map((p) => p.period), periods);
    assert.equal(state.width, 10);
    const x = encodeTable(state, table, range(3), FIT);
    raw.forEach((row, i) => {
      const want = row.flatMap((v, p) => (periods[p] ? [Math.sin((2 * Math.PI * v) / periods[p]!), Math.cos((2 * Math.PI * v) / periods[p]!)] : [(v - f.parts[p]!.mean) / f.parts[p]!.std]));
      want.forEach((w, c) => assert.ok(Math.abs(x[i * 10 + c]! - w) < 1e-5, `row ${i} column ${c}`));
    });
    assert.throws(() => encodeRows(state, 1, () => "next tuesday", SERVE), { code: "MLOPS_ERR_INFER_FEATURE", message: /expected an ISO 8601 date/ });
  });

});


describe("quantile scores of numerical features", () => {
  test("normalQuantile matches Φ⁻¹ (scipy's norm.ppf) to 1e-8", () => {
    const want: [number, number][] = [[0.001, -3.090232306], [0.02, -2.053748911], [0.3, -0.524400513], [0.5, 0], [0.9, 1.281551566], [0.999, 3.090232306]];
    for (const [p, z] of want) assert.ok(Math.abs(normalQuantile(p) - z) < 1e-8, `${p}: ${normalQuantile(p)}`);
  });

  test("a value scores by its interpolated rank among the knots, a tie at the middle of its knots, and saturates beyond the ends", () => {
    const q = [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6];
    const z = (x: number) => quantileScore(q, x);
    assert.ok(Math.abs(z(0) - normalQuantile(2.5 / 11)) < 1e-12, "0 ties knots 0-4: rank 2");
    assert.ok(Math.abs(z(2.5) - normalQuantile(7 / 11)) < 1e-12, "halfway between knots 6 and 7");
    assert.equal(z(-5), normalQuantile(0.5 / 11));
    assert.equal(z(60), normalQuantile(10.5 / 11));
    const xs = [-1, 0, 0.01, 0.5, 1, 3.3, 6, 7];
    xs.slice(1).forEach((x, i) => assert.ok(z(x) >= z(xs[i]!), `monotone at ${x}`));
  });

  test("a spike at zero with a long tail (daily rain) puts the zeros well apart from the smallest non-zero values, which mean/std scaling squeezes together", () => {
    const random = seededRandom(5);
    const rain = Array.from({ length: 400 }, () => (random() < 0.55 ? 0 : Math.round(-Math.log(1 - random()) * 30) / 10));
    rain[0] = 55; // one storm
    const table = tableOf({ rain: rain.map(String), y: rain.map((_, i) => String(i)) });
    const state = fitPreprocessor(configOf("y", "regression", { rain: "numerical" }, { numericalBins: 0 }), table, range(400));
    const probe = tableOf({ rain: ["0", "0.1"], y: ["0", "0"] });
    const [std0, q0, std1, q1] = Array.from(encodeTable(state, probe, [0, 1], FIT));
    assert.ok(Math.abs(std1! - std0!) < 0.05, `standardised: ${std0} vs ${std1}`);
    assert.ok(q1! - q0! > 0.7, `quantile score: ${q0} vs ${q1}`);
  });
});

describe("piecewise-linear bins of numerical features and linear date parts", () => {
  test("auto: one bin per 50 training rows, at most 32, at most one bin column per 5 rows over all inputs, none below 8; a number is taken as it is", () => {
    assert.equal(binCount("auto", 399, 1), 0, "under 400 rows (cars, diabetes, penguins): none");
    assert.equal(binCount("auto", 400, 1), 8);
    assert.equal(binCount(undefined, 700, 6), 14, "seattle-weather: 4 numbers and a date");
    assert.equal(binCount("auto", 2400, 3), 32, "flights: capped at 32");
    assert.equal(binCount("auto", 860, 64), 0, "digits: 64 pixel columns would add 1,000 inputs for 860 rows");
    assert.equal(binCount(0, 5000, 1), 0);
    assert.equal(binCount(3, 10, 1), 3);
  });

  test("bin t is 0 below its lower edge, 1 above its upper edge and linear between; values beyond the range saturate", () => {
    const x = range(401).map((i) => String(i / 4)); // 0 .. 100
    const table = tableOf({ x, y: x });
    const state = fitPreprocessor(configOf("y", "regression", { x: "numerical" }, { numericalBins: 4 }), table, range(401));
    const f = state.features[0] as NumericalFeature;
    assert.deepEqual(f.bins, [0, 25, 50, 75, 100]);
    assert.equal(state.width, 1 + 1 + 4);
    const probe = tableOf({ x: ["-10", "10", "37.5", "75", "1000"], y: ["0", "0", "0", "0", "0"] });
    const enc = encodeTable(state, probe, range(5), FIT);
    const binsOf = (r: number) => Array.from(enc.slice(r * 6 + 2, r * 6 + 6));
    assert.deepEqual(binsOf(0), [0, 0, 0, 0]);
    assert.deepEqual(binsOf(1), [0.4, 0, 0, 0].map(Math.fround));
    assert.deepEqual(binsOf(2), [1, 0.5, 0, 0]);
    assert.deepEqual(binsOf(3), [1, 1, 1, 0]);
    assert.deepEqual(binsOf(4), [1, 1, 1, 1]);
  });

  test("repeated values merge edges (a pixel of three grey levels gets two bins, a binary column none), and a missing value encodes as the median with its indicator", () => {
    const levels = range(600).map((i) => (i % 3 === 0 ? "0" : i % 3 === 1 ? "8" : "16"));
    const binary = range(600).map((i) => String(i % 2));
    const withGaps = range(600).map((i) => (i % 10 === 0 ? "" : String(i)));
    const table = tableOf({ levels, binary, withGaps, y: levels });
    const state = fitPreprocessor(configOf("y", "regression", { levels: "numerical", binary: "numerical", withGaps: "numerical" }, { numericalBins: 16 }), table, range(600));
    const [lv, bin, gaps] = state.features as NumericalFeature[];
    assert.deepEqual(lv!.bins, [0, 8, 16]);
    assert.equal(bin!.bins, undefined);
    assert.equal(gaps!.missingIndicator, true);
    const probe = tableOf({ levels: ["8"], binary: ["1"], withGaps: [""], y: ["0"] });
    const enc = Array.from(encodeTable(state, probe, [0], FIT));
    // levels: value, quantile score, 2 bins; binary: value, quantile score; withGaps: value 0, quantile 0, 16 bins of the median, indicator 1
    assert.deepEqual(enc.slice(2, 4), [1, 0]);
    const g = enc.slice(6);
    assert.equal(g.length, 2 + 16 + 1);
    assert.deepEqual(g.slice(0, 2), [0, 0]);
    const median = gaps!.quantiles![50]!;
    const expected = gaps!.bins!.slice(0, -1).map((lo, t) => Math.fround(Math.min(1, Math.max(0, (median - lo) / (gaps!.bins![t + 1]! - lo)))));
    assert.deepEqual(g.slice(2, 18), expected);
    assert.equal(g[18], 1);
  });

  test("a date's days since 1970 get bins (a bad week of delays is a step in time); periodic parts and old preprocessors without bins do not", () => {
    const dates = range(500).map((i) => new Date(Date.UTC(2001, 0, 1) + i * 4 * 3_600_000).toISOString());
    const table = tableOf({ when: dates, y: dates.map((_, i) => String(i)) });
    const state = fitPreprocessor(configOf("y", "regression", { when: "date" }, { numericalBins: 8 }), table, range(500));
    const f = state.features[0] as DateFeature;
    const binned = f.parts.filter((p) => p.bins).map((p) => p.part);
    assert.deepEqual(binned, ["days"], "the year is constant (dropped); month, day of week, day of year and hour are periodic");
    assert.equal(f.parts.find((p) => p.part === "days")!.bins!.length, 9);
    assert.equal(state.width, f.parts.reduce((w, p) => w + (p.period ? 2 : 1 + (p.bins ? p.bins.length - 1 : 0)), 0));
    const old = { ...state, features: [{ ...f, parts: f.parts.map(({ bins: _bins, ...p }) => p) }] };
    old.width = old.features[0]!.parts.reduce((w, p) => w + (p.period ? 2 : 1), 0);
    const enc = encodeTable(old, table, [0, 1], FIT);
    assert.equal(enc.length, 2 * old.width);
  });
});
