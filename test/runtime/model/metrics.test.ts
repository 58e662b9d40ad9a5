import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { accuracy, classificationMetrics, headlineMetric, logLoss, regressionMetrics, rocAuc } from "../../../runtime/src/model/metrics.ts";

/** Reference values from test/fixtures/metrics/make_metrics_fixtures.py (numpy/scipy); null means undefined (NaN). */
interface Fixtures {
  binary: { name: string; labels: number[]; probs: number[]; expected: Record<"accuracy" | "rocAuc" | "logLoss", number | null> }[];
  multiclass: { name: string; k: number; labels: number[]; probs: number[]; expected: Record<"accuracy" | "rocAuc" | "logLoss", number | null> }[];
  regression: { name: string; actual: number[]; predicted: number[]; expected: Record<"rmse" | "mae" | "r2", number | null> }[];
}

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/metrics/metrics.json", import.meta.url), "utf8")) as Fixtures;

/** Equal to 1e-12 relative; an expected 0 must be exactly 0 and an expected null must be NaN. */
function assertClose(actual: number, expected: number | null, what: string): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${what}: expected ${expected}, got ${actual}`);
}

describe("classification metrics match numpy/scipy reference values", () => {
  for (const c of fixtures.binary) {
    test(`binary: ${c.name}`, () => {
      const m = classificationMetrics(c.labels, c.probs, 1);
      assertClose(m.accuracy, c.expected.accuracy, "accuracy");
      assertClose(m.rocAuc, c.expected.rocAuc, "rocAuc");
      assertClose(m.logLoss, c.expected.logLoss, "logLoss");
      assertClose(rocAuc(c.labels.map((y) => y === 1), Float64Array.from(c.probs)), c.expected.rocAuc, "rocAuc on typed arrays");
    });
  }
  for (const c of fixtures.multiclass) {
    test(`multiclass: ${c.name}`, () => {
      const m = classificationMetrics(c.labels, c.probs, c.k);
      assertClose(m.accuracy, c.expected.accuracy, "accuracy");
      assertClose(m.rocAuc, c.expected.rocAuc, "rocAuc");
      assertClose(m.logLoss, c.expected.logLoss, "logLoss");
    });
  }
});

describe("regression metrics match numpy reference values", () => {
  for (const c of fixtures.regression) {
    test(c.name, () => {
      const m = regressionMetrics(c.actual, c.predicted);
      assertClose(m.rmse, c.expected.rmse, "rmse");
      assertClose(m.mae, c.expected.mae, "mae");
      assertClose(m.r2, c.expected.r2, "r2");
    });
  }
});

describe("metric edge cases", () => {
  test("the fixtures cover ties, constant scores, perfect and inverted rankings, one class and three classes", () => {
    const names = fixtures.binary.map((c) => c.name);
    for (const n of ["scores with many ties", "all scores equal", "perfect ranking", "inverted ranking", "only one class present"]) assert.ok(names.includes(n), n);
    assert.ok(fixtures.multiclass.every((c) => c.k === 3));
    assert.deepEqual(
      fixtures.binary.filter((c) => c.name.endsWith("ranking")).map((c) => c.expected.rocAuc),
      [1, 0],
    );
  });

  test("AUC gives tied scores half credit", () => {
    assert.equal(rocAuc([true, false], [0.3, 0.3]), 0.5);
    assert.equal(rocAuc([false, true, false, true], [0.1, 0.5, 0.5, 0.9]), 0.875);
  });

  test("AUC is NaN when only one class is present", () => {
    assert.ok(Number.isNaN(rocAuc([false, false, false], [0.1, 0.2, 0.3])));
    assert.ok(Number.isNaN(rocAuc([1, 1], [0.1, 0.2])));
  });

  test("log loss of a confidently wrong prediction is -ln(1e-15), not Infinity", () => {
    assertClose(logLoss([1], [0], 1), -Math.log(1e-15), "binary");
    assert.ok(Number.isFinite(logLoss([0, 2], [1, 0, 0, 0, 1, 0], 3)));
  });

  test("accuracy of a binary score of exactly 0.5 predicts the positive class", () => {
    assert.equal(accuracy([1, 0], [0.5, 0.5], 1), 0.5);
  });

  test("empty inputs give NaN rather than 0", () => {
    assert.ok(Number.isNaN(accuracy([], [], 1)));
    assert.ok(Number.isNaN(logLoss([], [], 1)));
  });

  test("the headline metric is AUC (higher is better) for classifiers and RMSE (lower is better) for regressors", () => {
    assert.deepEqual(headlineMetric("binary"), { name: "rocAuc", higherIsBetter: true });
    assert.deepEqual(headlineMetric("multiclass"), { name: "rocAuc", higherIsBetter: true });
    assert.deepEqual(headlineMetric("regression"), { name: "rmse", higherIsBetter: false });
  });
});
