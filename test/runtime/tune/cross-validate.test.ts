import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveConfig } from "../../../runtime/src/data/infer-schema.ts";
import { modelConfig } from "../../../runtime/src/data/model-config.ts";
import { tableFromRecords } from "../../../runtime/src/data/read-table.ts";
import { initBackend } from "../../../runtime/src/model/backend.ts";
import { seededRandom } from "../../../runtime/src/model/random.ts";
import { assignFolds, crossValidate } from "../../../runtime/src/tune/cross-validate.ts";

// A tune trial must be scored as its config trains: the bench (bench/README.md, Model quality) had
// tune pick classWeights "balanced" for seattle-weather because cross-validation ignored the
// weights (every trial scored unweighted), and the final, weighted training then lost 17 points.

function imbalanced(n: number, seed: number) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return tableFromRecords(
    Array.from({ length: n }, () => {
      const x1 = gauss();
      const x2 = gauss();
      const p = 1 / (1 + Math.exp(-(1.5 * x1 - x2 - 3)));
      return { x1: x1.toFixed(4), x2: x2.toFixed(4), label: random() < p ? "yes" : "no" };
    }),
    "imbalanced",
  );
}

test("cross-validation trains with the config's class weights, as trainModel does", async () => {
  await initBackend();
  const table = imbalanced(400, 3);
  const score = async (classWeights: "none" | "balanced") => {
    const { config } = resolveConfig(modelConfig.parse({ target: "label", task: "binary", network: { hiddenLayers: [8], epochs: 40, patience: 0, classWeights, seed: 1 } }), table, "cv");
    const folds = assignFolds(table, table.rows.map((_, i) => i), "label", "binary", 3, 7);
    const cv = await crossValidate({ table, config, folds });
    const mean = (k: string) => cv.folds.reduce((s, f) => s + f.metrics[k]!, 0) / cv.folds.length;
    return { balancedAccuracy: mean("balancedAccuracy"), logLoss: cv.value };
  };
  const none = await score("none");
  const balanced = await score("balanced");
  // Weighted training moves P(yes) up: at the 0.5 cut the rare class is found far more often, and
  // the unweighted log loss (the objective) pays for the shift.
  assert.ok(balanced.balancedAccuracy > none.balancedAccuracy + 0.05, `balanced accuracy ${balanced.balancedAccuracy} vs ${none.balancedAccuracy}`);
  assert.ok(balanced.logLoss > none.logLoss, `log loss ${balanced.logLoss} vs ${none.logLoss}`);
});

test("tune's folds keep training's strata: every fold covers a regression target's range (quantile bins) and every class of a classifier", () => {
  // A long-tailed target: plain shuffled folds leave some fold without the tail for some seeds.
  const random = seededRandom(11);
  const regression = tableFromRecords(Array.from({ length: 100 }, (_, i) => ({ x: String(random()), y: String(i < 90 ? i % 10 : 100 + i) })), "tail");
  for (const seed of [1, 2, 3, 4, 5]) {
    const folds = assignFolds(regression, regression.rows.map((_, i) => i), "y", "regression", 5, seed);
    assert.deepEqual(folds.map((f) => f.length), [20, 20, 20, 20, 20]);
    for (const f of folds) assert.equal(f.filter((r) => r >= 90).length, 2, `seed ${seed}: each fold holds 2 of the 10 tail rows`);
    assert.deepEqual([...folds.flat()].sort((a, b) => a - b), regression.rows.map((_, i) => i), "every row in exactly one fold");
  }
  const classes = tableFromRecords([...Array.from({ length: 30 }, () => ({ x: "1", c: "a" })), ...Array.from({ length: 6 }, () => ({ x: "2", c: "b" })), { x: "3", c: "single" }], "classes");
  const folds = assignFolds(classes, classes.rows.map((_, i) => i), "c", "multiclass", 3, 9);
  for (const f of folds) assert.equal(f.filter((r) => r >= 30 && r < 36).length, 2, "each fold has 2 of class b's 6 rows");
  assert.equal(folds.flat().length, 37, "the single-row class is in a fold too (left out of that fold's score)");
});
