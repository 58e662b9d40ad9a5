import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { main } from "../../../runtime/src/cli/main.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import { FIT, encodeTable, encodeTarget } from "../../../runtime/src/data/preprocessor.ts";
import { IMPORTANCE_JSON, parseImportance, trainingSplit } from "../../../runtime/src/explain/index.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { regressionMetrics } from "../../../runtime/src/model/metrics.ts";
import type { ResolvedModelConfig } from "../../../runtime/src/data/model-config.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { TINY_FEATURES, TINY_TARGETS, tinyRows, tinyTargets } from "../../helpers/tiny-models.ts";
import { type TinyServer, startTinyServer } from "../../helpers/tiny-server.ts";

let tiny: TinyServer;
before(async () => {
  tiny = await startTinyServer("mlops-explain-", { pollIntervalMs: 100 });
});
after(() => tiny?.stop());

async function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${tiny.base}${url}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), isTTY: false });
  return { code, out, err };
}

describe("importance.json stored with each version", () => {
  for (const task of ["binary", "multiclass", "regression"] as const) {
    test(`the ${task} version's permutation metric is its registered holdout metric, and every feature is ranked`, async () => {
      const name = tiny.names[task];
      const meta = await tiny.registry.getVersion(name, 1);
      assert.ok(meta.files[IMPORTANCE_JSON], "importance.json is an artifact of the version");
      const loaded = await LoadedModel.load(tiny.registry, name, 1);
      const imp = parseImportance(loaded.importance!, IMPORTANCE_JSON, loaded.preprocessor.width);
      assert.deepEqual(imp.features.map((f) => f.name).sort(), [...TINY_FEATURES].sort());
      // The holdout is the one trainModel scored: the metric recomputed on it is the registered one.
      assert.ok(Math.abs(imp.metric.holdout - meta.metrics[imp.metric.name]!) < 1e-9, `${imp.metric.name} ${imp.metric.holdout} vs ${meta.metrics[imp.metric.name]}`);
      assert.equal(imp.rows.permutation, (meta.extra as any).report.split.test);
      for (const f of imp.features) assert.ok(f.meanAbsAttribution >= 0 && Number.isFinite(f.permutationImportance));
      // The tiny models' rules use x1 for every task: shuffling it hurts.
      assert.ok(imp.features.find((f) => f.name === "x1")!.permutationImportance > 0);
      // Integrated gradients' 64-step sum against the output difference: absolute, in the output's
      // units (probabilities; for regression the target, which spans about 20).
      assert.ok(imp.maxCompletenessError < (task === "regression" ? 0.1 : 0.05), `completeness ${imp.maxCompletenessError}`);
      loaded.dispose();
    });
  }

  test("trainingSplit reproduces the split trainModel used (metrics recomputed from it match)", async () => {
    const name = tiny.names.regression;
    const meta = await tiny.registry.getVersion(name, 1);
    const file = path.join(tiny.dir, "tiny-regression.csv");
    const rows = tinyRows(300, 1);
    await writeTable(file, [...TINY_FEATURES, TINY_TARGETS.regression], rows.map((r) => [r.x1, r.x2, r.color, tinyTargets(r).y]));
    const table = await readTable(file);
    const split = trainingSplit(meta.config as ResolvedModelConfig, table);
    const loaded = await LoadedModel.load(tiny.registry, name, 1);
    const pred = await loaded.predict(encodeTable(loaded.preprocessor, table, split.test, FIT), split.test.length);
    const m = regressionMetrics(encodeTarget(loaded.preprocessor, table, split.test), pred);
    assert.ok(Math.abs(m.rmse - meta.metrics.rmse!) < 1e-9);
    loaded.dispose();
  });
});

describe("POST /v1/models/{m}:explain", () => {
  const rows = tinyRows(3, 7);
  test("explains the champion with Integrated Gradients per original feature", async () => {
    const r = await post(`/v1/models/${tiny.names.binary}:explain`, { instances: rows });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model_version, "1");
    assert.equal(r.headers.get("x-mlops-model-version"), "1");
    assert.equal(r.body.method, "ig");
    assert.deepEqual(r.body.reference, { source: "training", rows: 100 });
    assert.equal(r.body.explanations.length, 3);
    for (const e of r.body.explanations) {
      assert.deepEqual(Object.keys(e.attributions).sort(), [...TINY_FEATURES].sort());
      assert.equal(e.output, "P(yes)");
      const sum = Object.values(e.attributions as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (e.prediction - e.baseline)) <= e.completenessError + 1e-9);
      assert.ok(e.completenessError < 0.02, `completeness ${e.completenessError}`);
    }
    // The prediction explained is the model's answer.
    const p = await post(`/v1/models/${tiny.names.binary}:predict`, { instances: rows });
    p.body.predictions.forEach((row: number[], i: number) => assert.ok(Math.abs(row[0]! - r.body.explanations[i].prediction) < 1e-6));
  });

  test("KernelSHAP on a version path agrees in sign with IG on the dominant feature and sums exactly", async () => {
    const r = await post(`/v1/models/${tiny.names.regression}/versions/1:explain`, { instances: rows, method: "kernelshap", background: 40 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.background, 40);
    const ig = await post(`/v1/models/${tiny.names.regression}:explain`, { instances: rows });
    r.body.explanations.forEach((e: any, i: number) => {
      const sum = Object.values(e.attributions as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (e.prediction - e.baseline)) < 1e-6);
      assert.equal(e.output, "y");
      // y = 10 + 3·x1 − 2·x2 + ...: x1's attribution follows the sign of x1 - its mean under both methods.
      assert.equal(Math.sign(e.attributions.x1), Math.sign(ig.body.explanations[i].attributions.x1));
    });
  });

  test("multiclass explains the requested class", async () => {
    const r = await post(`/v1/models/${tiny.names.multiclass}:explain`, { instances: rows, class: "c" });
    assert.equal(r.status, 200);
    for (const e of r.body.explanations) assert.equal(e.output, "P(c)");
  });

  test("bad input is a coded 4xx naming what is wrong", async () => {
    const unknown = await post(`/v1/models/nope:explain`, { instances: rows });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /nope/);
    const missing = await post(`/v1/models/${tiny.names.binary}:explain`, { instances: [{ x1: 1, color: "red" }] });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error, /x2/);
    const method = await post(`/v1/models/${tiny.names.binary}:explain`, { instances: rows, method: "lime" });
    assert.equal(method.status, 400);
    assert.match(method.body.error, /explain option method: must be one of ig, kernelshap, got "lime"/);
    const cls = await post(`/v1/models/${tiny.names.multiclass}:explain`, { instances: rows, class: "z" });
    assert.equal(cls.status, 400);
    assert.match(cls.body.error, /"z" is not one of the model's classes/);
    const many = await post(`/v1/models/${tiny.names.binary}:explain`, { instances: tinyRows(101, 3) });
    assert.equal(many.status, 413);
    const get = await fetch(`${tiny.base}/v1/models/${tiny.names.binary}:explain`);
    assert.equal(get.status, 405);
  });

  test("explains against reference rows sent with the request", async () => {
    const r = await post(`/v1/models/${tiny.names.binary}:explain`, { instances: rows, reference: tinyRows(20, 11) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.reference, { source: "request", rows: 20 });
  });
});

describe("mlops explain", () => {
  test("writes one attribution object per row and prints the ranking", async () => {
    const data = path.join(tiny.dir, "explain-rows.csv");
    await writeTable(data, [...TINY_FEATURES], tinyRows(12, 5).map((r) => [r.x1, r.x2, r.color]));
    const out = path.join(tiny.dir, "attributions.jsonl");
    const r = await cli(["explain", "--model", tiny.names.regression, "--data", data, "--out", out, "--registry", tiny.registryDir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /tiny-regression version 1: ig attributions of 12 rows/);
    assert.match(r.out, /largest completeness error/);
    const lines = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 12);
    assert.deepEqual(Object.keys(lines[0].attributions).sort(), [...TINY_FEATURES].sort());
    const shap = await cli(["explain", "--model", tiny.names.regression, "--data", data, "--method", "kernelshap", "--json", "--registry", tiny.registryDir]);
    assert.equal(shap.code, 0, shap.err);
    const summary = JSON.parse(shap.out);
    assert.equal(summary.rows, 12);
    assert.ok(summary.maxCompletenessError < 1e-6);
  });

  test("an unknown model or a bad method exits 2 with the code", async () => {
    const data = path.join(tiny.dir, "explain-rows2.csv");
    await writeFile(data, "x1,x2,color\n1,2,red\n");
    const r = await cli(["explain", "--model", "nope", "--data", data, "--registry", tiny.registryDir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND/);
    const m = await cli(["explain", "--model", tiny.names.binary, "--data", data, "--method", "lime", "--registry", tiny.registryDir]);
    assert.equal(m.code, 2);
    assert.match(m.err, /MLOPS_ERR_EXPLAIN_OPTION/);
  });
});
