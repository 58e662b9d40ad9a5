import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fitLogistic, fitRidge, predictLinear } from "../../../runtime/src/model/linear-models.ts";
import { accuracy, averagePrecision, balancedAccuracy, bootstrapIntervals, chooseThreshold, f1Score, gatherRows, quantile, rocAuc } from "../../../runtime/src/model/metrics.ts";

interface Fixtures {
  binaryMetrics: { name: string; labels: number[]; scores: number[]; threshold: number; expected: Record<string, number> }[];
  bootstrap: { labels: number[]; scores: number[]; resamples: number; seed: number; level: number; expected: Record<string, [number, number]> };
  logistic: { name: string; x: number[][]; y: number[]; classes: number; classWeight: string | null; coef: number[][]; intercept: number[]; probs: number[] | number[][] }[];
  ridge: { x: number[][]; y: number[]; alpha: number; coef: number[]; intercept: number; pred: number[] };
}
// Written by test/fixtures/evaluation/make_evaluation_fixtures.py (scikit-learn).
const fx = JSON.parse(readFileSync(new URL("../../fixtures/evaluation/evaluation.json", import.meta.url), "utf8")) as Fixtures;

const close = (actual: number, expected: number, tol: number, what: string) => assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

describe("binary metrics match scikit-learn", () => {
  for (const c of fx.binaryMetrics) {
    test(`PR AUC (average precision), balanced accuracy, F1 and accuracy at a threshold: ${c.name}`, () => {
      close(averagePrecision(c.labels.map((y) => y === 1), c.scores), c.expected.prAuc!, 1e-12, "prAuc");
      close(rocAuc(c.labels.map((y) => y === 1), c.scores), c.expected.rocAuc!, 1e-12, "rocAuc");
      close(balancedAccuracy(c.labels, c.scores, 1, c.threshold), c.expected.balancedAccuracy!, 1e-12, "balancedAccuracy");
      close(f1Score(c.labels, c.scores, c.threshold), c.expected.f1!, 1e-12, "f1");
      close(accuracy(c.labels, c.scores, 1, c.threshold), c.expected.accuracy!, 1e-12, "accuracy");
    });
  }
  test("PR AUC is undefined without a positive row", () => {
    assert.ok(Number.isNaN(averagePrecision([false, false], [0.1, 0.9])));
  });
});

describe("bootstrapIntervals", () => {
  test("percentile intervals equal numpy.quantile over the same seeded resamples", () => {
    const b = fx.bootstrap;
    const n = b.labels.length;
    const got = bootstrapIntervals(
      n,
      (idx) => {
        const y = gatherRows(b.labels, idx, 1);
        const s = gatherRows(b.scores, idx, 1);
        return { accuracy: accuracy(y, s, 1), rocAuc: rocAuc(Array.from(y, (v) => v === 1), s), prAuc: averagePrecision(Array.from(y, (v) => v === 1), s) };
      },
      { resamples: b.resamples, seed: b.seed, level: b.level },
    );
    for (const k of ["accuracy", "rocAuc", "prAuc"]) {
      close(got[k]![0], b.expected[k]![0], 1e-12, `${k} low`);
      close(got[k]![1], b.expected[k]![1], 1e-12, `${k} high`);
    }
  });

  test("the same seed gives the same interval, another seed another one", () => {
    const f = (idx: Int32Array) => ({ mean: Array.from(idx).reduce((a, i) => a + i, 0) / idx.length });
    assert.deepEqual(bootstrapIntervals(30, f, { seed: 1, resamples: 100 }), bootstrapIntervals(30, f, { seed: 1, resamples: 100 }));
    assert.notDeepEqual(bootstrapIntervals(30, f, { seed: 1, resamples: 100 }), bootstrapIntervals(30, f, { seed: 2, resamples: 100 }));
  });

  test("quantile interpolates linearly like numpy", () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4], 0.025), 1.075);
  });
});

describe("chooseThreshold", () => {
  test("on imbalanced scores that are all below 0.5 it picks a threshold that finds the positives", () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
    const scores = [0.05, 0.1, 0.1, 0.15, 0.2, 0.22, 0.25, 0.3, 0.35, 0.4];
    const t = chooseThreshold(labels, scores, "balanced-accuracy");
    assert.ok(t > 0.25 && t <= 0.3, `threshold ${t}`);
    assert.equal(balancedAccuracy(labels, scores, 1, t), 1);
    assert.equal(accuracy(labels, scores, 1, 0.5), 0.7, "0.5 predicts the majority class for every row");
    const f1 = chooseThreshold(labels, scores, "f1");
    assert.equal(f1Score(labels, scores, f1), 1);
  });

  test("keeps 0.5 when nothing does better and when one class is missing", () => {
    assert.equal(chooseThreshold([0, 1], [0.2, 0.8], "balanced-accuracy"), 0.5);
    assert.equal(chooseThreshold([1, 1, 1], [0.2, 0.3, 0.8], "f1"), 0.5);
  });
});

describe("linear baselines match scikit-learn", () => {
  for (const c of fx.logistic) {
    test(`logistic regression (C = 1, lbfgs): ${c.name}`, () => {
      const n = c.x.length;
      const width = c.x[0]!.length;
      const x = Float64Array.from(c.x.flat());
      let sampleWeight: Float64Array | undefined;
      if (c.classWeight === "balanced") {
        const counts = new Array<number>(c.classes).fill(0);
        for (const y of c.y) counts[y]!++;
        sampleWeight = Float64Array.from(c.y, (y) => n / (c.classes * counts[y]!));
      }
      const m = fitLogistic(x, c.y, n, width, c.classes, sampleWeight ? { sampleWeight } : {});
      const k = m.outputs;
      for (let j = 0; j < width; j++) for (let o = 0; o < k; o++) close(m.weights[j * k + o]!, c.coef[j]![o]!, 1e-5, `coef[${j}][${o}]`);
      for (let o = 0; o < k; o++) close(m.bias[o]!, c.intercept[o]!, 1e-5, `intercept[${o}]`);
      const p = predictLinear(m, x, n);
      const expected = (c.probs as (number | number[])[]).flat();
      for (let i = 0; i < expected.length; i++) close(p[i]!, expected[i]!, 1e-6, `prob ${i}`);
    });
  }

  test("ridge regression (alpha = 1) in closed form", () => {
    const r = fx.ridge;
    const n = r.x.length;
    const width = r.x[0]!.length;
    const x = Float64Array.from(r.x.flat());
    const m = fitRidge(x, r.y, n, width, r.alpha);
    r.coef.forEach((c, j) => close(m.weights[j]!, c, 1e-9, `coef ${j}`));
    close(m.bias[0]!, r.intercept, 1e-9, "intercept");
    const p = predictLinear(m, x, n);
    r.pred.forEach((v, i) => close(p[i]!, v, 1e-8, `pred ${i}`));
  });
});
