import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { PreprocessorState } from "../../../runtime/src/data/preprocessor.ts";
import { explainRows, featureGroups, kernelShap, referenceFromRows } from "../../../runtime/src/explain/index.ts";
import { initBackend, tf } from "../../../runtime/src/model/backend.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import type { VersionMetadata } from "../../../runtime/src/registry/index.ts";

interface FixtureModel {
  output: "sigmoid" | "softmax" | "linear";
  targetTransform: PreprocessorState["targetTransform"];
  layers: { kernel: number[][]; bias: number[] }[];
  explainedOutput: number[];
  prediction: number[];
  baselinePrediction: number[];
  backgroundMean: number[];
  kernelShap: number[][];
  integratedGradients64: number[][];
  integratedGradientsExact: number[][];
}
const fixture = JSON.parse(readFileSync(new URL("../../fixtures/explain/explain.json", import.meta.url), "utf8")) as {
  features: string[];
  preprocessor: Omit<PreprocessorState, "targetTransform">;
  encodedRows: number[][];
  background: number[][];
  baseline: number[];
  models: Record<string, FixtureModel>;
};

/** Tolerances: tfjs runs in float32, the fixture in float64 (measured differences are below 5e-7). */
const SHAP_TOLERANCE = 2e-6;
const IG_TOLERANCE = 2e-6;

function fixtureModel(name: string): LoadedModel {
  const m = fixture.models[name]!;
  const model = tf.sequential({ name: "mlp" });
  m.layers.forEach((l, i) => {
    const last = i === m.layers.length - 1;
    model.add(
      tf.layers.dense({
        units: l.bias.length,
        activation: last ? m.output : "relu",
        ...(i === 0 ? { inputShape: [l.kernel.length] } : {}),
        name: last ? "output" : `hidden_${i + 1}`,
      }),
    );
    model.layers[i]!.setWeights([tf.tensor2d(l.kernel), tf.tensor1d(l.bias)]);
  });
  const pre = { ...fixture.preprocessor, targetTransform: m.targetTransform } as PreprocessorState;
  return new LoadedModel({ model: `fixture-${name}`, version: 1 } as VersionMetadata, pre, model);
}

const flat = (rows: number[][]) => Float32Array.from(rows.flat());
const close = (actual: number, expected: number, tol: number, what: string) => assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);

describe("explanations against shap and a numpy reference", async () => {
  await initBackend(process.env.MLOPS_BACKEND || "wasm");
  const width = fixture.preprocessor.width;
  const x = flat(fixture.encodedRows);
  const n = fixture.encodedRows.length;
  const background = flat(fixture.background);
  const nb = fixture.background.length;

  for (const name of ["binary", "multiclass", "regression"]) {
    const m = fixture.models[name]!;
    const scale = name === "regression" ? 10 : 1;
    it(`KernelSHAP of the ${name} MLP equals shap.KernelExplainer's values over the original features`, async () => {
      const model = fixtureModel(name);
      const groups = featureGroups(model.preprocessor);
      assert.deepEqual(groups.map((g) => g.name), fixture.features);
      const shap = await kernelShap(model, groups, x, n, background, nb, Int32Array.from(m.explainedOutput));
      assert.equal(shap.exact, true);
      for (let r = 0; r < n; r++) {
        close(shap.baseline[r]!, m.backgroundMean[r]!, SHAP_TOLERANCE * scale, `row ${r} E[f(background)]`);
        for (let g = 0; g < groups.length; g++) close(shap.values[r * groups.length + g]!, m.kernelShap[r]![g]!, SHAP_TOLERANCE * scale, `row ${r} ${groups[g]!.name}`);
      }
      model.dispose();
    });

    it(`Integrated Gradients of the ${name} MLP equal the numpy reference, and the completeness error is reported`, async () => {
      const model = fixtureModel(name);
      const reference = { baseline: Float32Array.from(fixture.baseline), background, rows: nb, source: "test" };
      const out = await explainRows(model, x, n, reference, { method: "ig", steps: 64 });
      for (let r = 0; r < n; r++) {
        const e = out[r]!;
        close(e.prediction, m.prediction[r]!, 1e-5 * scale, `row ${r} f(x)`);
        close(e.baseline, m.baselinePrediction[r]!, 1e-5 * scale, `row ${r} f(baseline)`);
        fixture.features.forEach((f, g) => close(e.attributions[f]!, m.integratedGradients64[r]![g]!, IG_TOLERANCE * scale, `row ${r} ${f}`));
        // Completeness: the trapezoid-rule error is what is reported, and it is small next to f(x) - f(b).
        const sum = Object.values(e.attributions).reduce((a, b) => a + b, 0);
        close(e.completenessError, Math.abs(sum - (e.prediction - e.baseline)), 1e-9, `row ${r} completeness`);
        const exactSum = m.integratedGradientsExact[r]!.reduce((a, b) => a + b, 0);
        close(exactSum, m.prediction[r]! - m.baselinePrediction[r]!, 1e-4 * scale, `row ${r} exact integral completeness`);
        assert.ok(e.completenessError < 0.02 * Math.max(Math.abs(e.prediction - e.baseline), 1e-3) + 1e-3 * scale, `row ${r} completeness error ${e.completenessError}`);
      }
      model.dispose();
    });
  }

  it("KernelSHAP through explainRows sums to f(x) - E[f(background)] and names the explained output", async () => {
    const model = fixtureModel("multiclass");
    const reference = referenceFromRows(background, nb, width, "test");
    const out = await explainRows(model, x, n, reference, { method: "kernelshap", backgroundRows: nb, class: "b" });
    for (const e of out) {
      assert.equal(e.output, "P(b)");
      assert.ok(e.completenessError < 1e-9, `completeness ${e.completenessError}`);
    }
    model.dispose();
  });

  it("sampled KernelSHAP (too many features to enumerate) lands near the exact values", async () => {
    // 14 numerical features: 2^14 coalitions would be enumerated above the limit, so they are sampled.
    const k = 14;
    const w = Float32Array.from({ length: k }, (_, i) => (i % 3) - 1 + i / 10);
    const pre = { formatVersion: 1, target: "y", features: Array.from({ length: k }, (_, i) => ({ name: `f${i}`, kind: "numerical", mean: 0, std: 1 })), targetTransform: { task: "regression", mean: 0, std: 1 }, width: k } as PreprocessorState;
    const linear = {
      preprocessor: pre,
      outputWidth: 1,
      predict: async (xs: Float32Array, rows: number) => Float32Array.from({ length: rows }, (_, r) => w.reduce((s, wi, i) => s + wi * xs[r * k + i]!, 0)),
    };
    const row = Float32Array.from({ length: k }, (_, i) => Math.sin(i + 1) * 2);
    const bg = Float32Array.from({ length: 8 * k }, (_, i) => Math.cos(i));
    const shap = await kernelShap(linear, featureGroups(pre), row, 1, bg, 8, new Int32Array(1), { samples: 4096 });
    assert.equal(shap.exact, false);
    // For a linear model the Shapley value is w_i (x_i - mean background_i).
    for (let i = 0; i < k; i++) {
      let mean = 0;
      for (let j = 0; j < 8; j++) mean += bg[j * k + i]! / 8;
      close(shap.values[i]!, w[i]! * (row[i]! - mean), 1e-3, `f${i}`);
    }
  });
});
