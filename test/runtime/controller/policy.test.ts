import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { z } from "zod";
import * as policies from "../../../runtime/src/controller/policy.ts";
import { gateMetric } from "../../../runtime/src/controller/quality-metric.ts";
import { MlopsError } from "../../../runtime/src/errors.ts";

const { loadPolicy, parsePolicy, maxStepSeconds } = policies;

test("a policy naming only the model gets every default", () => {
  assert.deepEqual(parsePolicy({ model: "churn" }), {
    model: "churn",
    trigger: { datasetDrift: true, features: [], persistChecks: 3, minWindowRows: 100, maxSnapshotAgeSeconds: 300 },
    cooldownSeconds: 600,
    training: { includeReference: true, recentRows: 2000, holdoutRows: 200, config: "champion" },
    gate: { minImprovement: 0, minHoldoutRows: 50 },
    rollout: {
      shadowSeconds: 0,
      steps: [0.1, 0.5, 1],
      dwellSeconds: 60,
      minRequestsPerStep: 100,
      health: { maxErrorRate: 0.01, maxP99LatencyMs: 250, maxQualityDrop: 0.05, minLabelled: 30 },
    },
    executor: { kind: "local", timeoutSeconds: 900, retries: 2, backoffSeconds: 10 },
    intervalSeconds: 10,
    leadership: { leaseSeconds: 15 },
    promotion: { requireApproval: false },
  });
  assert.equal(maxStepSeconds(parsePolicy({ model: "churn" })), 600);
  assert.equal(maxStepSeconds(parsePolicy({ model: "churn", rollout: { dwellSeconds: 120 } })), 1200);
});

test("every @default documented in the contract's controller-policy.ts is the default the schema applies", async () => {
  const source = await readFile(new URL("../../../contract/src/controller-policy.ts", import.meta.url), "utf8");
  const minimal: Record<string, unknown> = { controllerPolicy: { model: "m" }, qualityDropTrigger: { metric: "rmse", threshold: 1 } };
  let checked = 0;
  for (const block of source.split(/^export const /m).slice(1)) {
    const name = block.slice(0, block.indexOf(" "));
    const schema = (policies as unknown as Record<string, z.ZodType>)[name];
    if (!schema || typeof (schema as { parse?: unknown }).parse !== "function") continue;
    const parsed = schema.parse(minimal[name] ?? {}) as Record<string, unknown>;
    for (const m of block.matchAll(/@default (.+?) \*\/\n\s*(\w+):/g)) {
      const [, documented, field] = m as unknown as [string, string, string];
      if (documented.startsWith("- ")) {
        assert.equal(parsed[field], undefined, `${name}.${field} is documented as computed or absent`);
      } else {
        assert.deepEqual(parsed[field], JSON.parse(documented), `${name}.${field}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 28, `checked ${checked} documented defaults`);
});

test("a bad policy is rejected with every problem and its path at once", () => {
  let error: unknown;
  try {
    parsePolicy({
      model: "no spaces allowed",
      trigger: { persistChecks: 0, qualityDrop: { metric: "f1", threshold: 1 } },
      rollout: { steps: [0.5, 0.2], health: { maxErrorRate: 2 }, dwellSeconds: 100, maxStepSeconds: 50 },
      executor: { kind: "docker" },
      gate: { metric: "rmse", minHoldoutRows: 0 },
      retries: 3,
    }, "policy.yaml");
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof MlopsError);
  assert.equal(error.code, "MLOPS_ERR_CONFIG_INVALID");
  const issues = (error.params.issues as string[]).map((i) => i.slice(0, i.indexOf(":")));
  for (const p of ["model", "trigger.persistChecks", "trigger.qualityDrop.metric", "rollout.steps", "rollout.health.maxErrorRate", "executor.kind", "gate.minHoldoutRows", "(root)"]) {
    assert.ok(issues.includes(p), `${p} in ${issues.join(", ")}`);
  }
  assert.match(error.message, /^invalid policy\.yaml:\n/);
  assert.match(error.message, /Unrecognized key: "retries"/);
  assert.throws(() => parsePolicy({ model: "m", rollout: { dwellSeconds: 100, maxStepSeconds: 50 } }), /rollout\.maxStepSeconds: maxStepSeconds must be >= dwellSeconds/);
  assert.throws(() => parsePolicy({ model: "m", trigger: { datasetDrift: false } }), /trigger: nothing can trigger a retrain/);
});

test("policies load from YAML or JSON files", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-policy-"));
  try {
    await writeFile(path.join(dir, "p.yaml"), "model: cars-mpg\ntrigger:\n  features: [Horsepower]\n  qualityDrop: { metric: rmse, threshold: 4.5 }\nrollout:\n  steps: [0.2, 1]\n");
    const p = await loadPolicy(path.join(dir, "p.yaml"));
    assert.deepEqual(p.trigger.qualityDrop, { metric: "rmse", threshold: 4.5, minLabelled: 50 });
    assert.deepEqual(p.rollout.steps, [0.2, 1]);
    assert.equal(p.rollout.dwellSeconds, 60, "defaults merge field by field");
    await writeFile(path.join(dir, "p.json"), JSON.stringify({ model: "cars-mpg", cooldownSeconds: -1 }));
    await assert.rejects(loadPolicy(path.join(dir, "p.json")), /cooldownSeconds: Too small/);
    await assert.rejects(loadPolicy(path.join(dir, "missing.yaml")), { code: "MLOPS_ERR_CONFIG_READ" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the gate metric defaults by task and must suit the model's task", () => {
  const gate = parsePolicy({ model: "m" }).gate;
  assert.equal(gateMetric(gate, "regression"), "rmse");
  assert.equal(gateMetric(gate, "binary"), "rocAuc");
  assert.equal(gateMetric(gate, "multiclass"), "accuracy");
  assert.throws(() => gateMetric({ ...gate, metric: "accuracy" }, "regression"), /gate\.metric: accuracy cannot score a regression model/);
});
