// Shared setup for the controller tests: a registry with the tiny models (trained once per test
// file, copied per test), the reference table they were trained on, policies, and the CLI.
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ControllerPolicy, type ControllerPolicyInput, parsePolicy } from "../../../runtime/src/controller/policy.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { ModelRegistry, appendEvent } from "../../../runtime/src/registry/index.ts";
import { TINY_FEATURES, TINY_MODELS, TINY_TRAINING_ROWS, tinyRows, tinyTargets, trainTinyModels } from "../../helpers/tiny-models.ts";

/** The model the controller tests look after (version 1 is its champion). */
export const MODEL = TINY_MODELS.regression;
/** Absolute path of the CLI entry point. */
export const BIN = fileURLToPath(new URL("../../../runtime/bin/mlops.js", import.meta.url));
/** Absolute path of a fixture in test/fixtures/controller. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/controller/${name}`, import.meta.url));

let template: Promise<string> | undefined;

/** A test's own directory: `registry/` holding the tiny models, `reference.csv` (their training rows), `work/`. */
export interface Sandbox {
  dir: string;
  registryDir: string;
  registry: ModelRegistry;
  reference: string;
  workDir: string;
}

/** The resolved config `mlops train` stores for the regression tiny model. */
const TINY_REGRESSION_CONFIG = {
  name: MODEL,
  target: "y",
  task: "regression",
  features: [
    { name: "x1", kind: "numerical" },
    { name: "x2", kind: "numerical" },
    { name: "color", kind: "categorical" },
  ],
  maxCategories: 100,
  network: { hiddenLayers: [16], activation: "relu", dropout: 0, epochs: 30, batchSize: 32, learningRate: 0.02, patience: 0, validationSplit: 0.2, testSplit: 0.2, seed: 42 },
};

/**
 * A fresh sandbox. By default its registry is copied from the tiny models, trained once per test
 * file. With `trained: false` version 1 of the regression model is registered with its real
 * config and lineage but placeholder artifacts: enough for tests that never load a network
 * (trigger counting, cooldown, training failures), and it costs no training.
 */
export async function sandbox(options: { trained?: boolean } = {}): Promise<Sandbox> {
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-controller-"));
  const registryDir = path.join(dir, "registry");
  if (options.trained === false) {
    const registry = ModelRegistry.open(registryDir);
    await registry.createVersion(MODEL, {
      files: { "model.json": Buffer.from("{}"), "weights.bin": Buffer.alloc(0), "preprocessor.json": Buffer.from("{}") },
      dataset: { digest: "0".repeat(64), rows: TINY_TRAINING_ROWS, source: path.join(dir, "reference.csv") },
      backend: "wasm",
      config: TINY_REGRESSION_CONFIG,
      metrics: { rmse: 0.11, mae: 0.08, r2: 0.998 },
    });
    await registry.setAlias(MODEL, "champion", 1);
    await appendEvent(registry, MODEL, { type: "registered", version: 1, actor: "train", reason: "trained", details: {} });
    await appendEvent(registry, MODEL, { type: "alias-moved", version: 1, champion: 1, actor: "train", reason: "first version of the model becomes champion", details: { alias: "champion" } });
  } else {
    template ??= (async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "mlops-controller-template-"));
      await trainTinyModels(path.join(dir, "registry"));
      return dir;
    })();
    await cp(path.join(await template, "registry"), registryDir, { recursive: true });
  }
  const reference = path.join(dir, "reference.csv");
  const rows = tinyRows(TINY_TRAINING_ROWS, 1).map((r): Cell[] => [r.x1, r.x2, r.color, tinyTargets(r).y]);
  await writeTable(reference, [...TINY_FEATURES, "y"], rows);
  return { dir, registryDir, registry: ModelRegistry.open(registryDir), reference, workDir: path.join(dir, "work") };
}

/** A policy for the regression tiny model with test-sized numbers, merged section by section with `overrides`. */
export function policy(box: Sandbox, overrides: Partial<Record<keyof ControllerPolicyInput, unknown>> = {}): ControllerPolicy {
  const base: Record<string, Record<string, unknown>> = {
    trigger: { persistChecks: 2 },
    training: { referenceData: box.reference, recentRows: 300, holdoutRows: 100 },
    gate: { minHoldoutRows: 50 },
    rollout: { steps: [0.25, 1], dwellSeconds: 30, minRequestsPerStep: 20 },
    executor: { timeoutSeconds: 120, retries: 0, backoffSeconds: 10 },
  };
  const merged: Record<string, unknown> = { model: MODEL, cooldownSeconds: 600, intervalSeconds: 10 };
  for (const key of new Set([...Object.keys(base), ...Object.keys(overrides)])) {
    const o = (overrides as Record<string, unknown>)[key];
    merged[key] = o !== null && typeof o === "object" && !Array.isArray(o) && base[key] ? { ...base[key], ...(o as object) } : (o ?? base[key]);
  }
  return parsePolicy(merged);
}

/** Writes a policy as JSON in the sandbox and returns its path. */
export async function writePolicy(box: Sandbox, p: ControllerPolicyInput): Promise<string> {
  const file = path.join(box.dir, `policy-${Math.random().toString(36).slice(2, 8)}.json`);
  await writeFile(file, JSON.stringify(p, null, 2));
  return file;
}

export { type Run, runNode as run } from "../../helpers/run-cli.ts";

/** Runs the `mlops` CLI. */
export { runMlops as mlops } from "../../helpers/run-cli.ts";
