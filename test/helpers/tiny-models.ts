/**
 * Small deterministic models for tests that need a populated registry (server, CLI): three
 * tasks on the same synthetic features, trained for real on the current backend in about a second.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { attachImportance } from "../../runtime/src/explain/importance.ts";
import { modelConfig } from "../../runtime/src/data/model-config.ts";
import { readTable } from "../../runtime/src/data/read-table.ts";
import type { Cell } from "../../runtime/src/data/table.ts";
import { writeTable } from "../../runtime/src/data/write-table.ts";
import { initBackend } from "../../runtime/src/model/backend.ts";
import { seededRandom } from "../../runtime/src/model/random.ts";
import { registerModel, trainModel } from "../../runtime/src/model/train-model.ts";
import { ModelRegistry } from "../../runtime/src/registry/index.ts";

/** The three tiny models' registry names, by task. */
export const TINY_MODELS = { binary: "tiny-binary", multiclass: "tiny-multiclass", regression: "tiny-regression" } as const;
/** A tiny model's task. */
export type TinyTask = keyof typeof TINY_MODELS;
/** Feature columns of every tiny model, in the order the models list them. */
export const TINY_FEATURES = ["x1", "x2", "color"] as const;
/** The numerical features: uniform in [-2, 2], four decimals. */
export const TINY_NUMERICAL_FEATURES = ["x1", "x2"] as const;
/** The categorical feature. */
export const TINY_CATEGORICAL_FEATURE = "color";
/** Values of the categorical feature `color`. */
export const TINY_COLORS = ["red", "green", "blue"] as const;
/** Target column of each tiny model. */
export const TINY_TARGETS = { binary: "label", multiclass: "class", regression: "y" } as const;
/** Classes of the binary model, negative first ("yes" is the positive class). */
export const TINY_BINARY_CLASSES = ["no", "yes"] as const;
/** Classes of the multiclass model. */
export const TINY_MULTICLASS_CLASSES = ["a", "b", "c"] as const;
/** Rows each tiny model trains on. */
export const TINY_TRAINING_ROWS = 300;

/** One row of features, as a JSON request instance. */
export interface TinyRow {
  x1: number;
  x2: number;
  color: (typeof TINY_COLORS)[number];
}

/** `n` deterministic feature rows for `seed` (the same seed gives the same rows). */
export function tinyRows(n: number, seed = 1): TinyRow[] {
  const random = seededRandom(seed);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return Array.from({ length: n }, () => ({
    x1: round(random() * 4 - 2),
    x2: round(random() * 4 - 2),
    color: TINY_COLORS[Math.floor(random() * TINY_COLORS.length)]!,
  }));
}

/**
 * The rules the tiny models learn: label "yes" when x1 + x2 + (red ? 1 : 0) > 0; class "a" when
 * x1 > 0.5, else "b" when x2 > 0, else "c"; y = 10 + 3·x1 − 2·x2 + (green 2, blue 5, red 0).
 */
export function tinyTargets(row: TinyRow): { label: string; class: string; y: number } {
  return {
    label: row.x1 + row.x2 + (row.color === "red" ? 1 : 0) > 0 ? "yes" : "no",
    class: row.x1 > 0.5 ? "a" : row.x2 > 0 ? "b" : "c",
    y: Math.round((10 + 3 * row.x1 - 2 * row.x2 + { red: 0, green: 2, blue: 5 }[row.color]) * 1e4) / 1e4,
  };
}

/**
 * Trains the three tiny models (network seed 42) into the registry at `registryDir` and makes each
 * version 1 its champion (a model that already has a champion gets a new, unpromoted version).
 * Returns the model names. Unless MLOPS_BACKEND is set or the process already chose a backend, this
 * initialises the wasm backend: for networks this small it is faster than tfjs-node, and it is
 * available everywhere, so the models are the same on every machine.
 */
export async function trainTinyModels(registryDir: string): Promise<{ binary: string; multiclass: string; regression: string }> {
  const registry = ModelRegistry.open(registryDir);
  for (const task of ["binary", "multiclass", "regression"] as const) await trainTiny(registry, task, 42);
  return { ...TINY_MODELS };
}

/**
 * Trains and registers another version of tiny model `name` (a different network seed each call,
 * derived from the version count) without promoting it, for hot-swap tests. Returns its version.
 */
export async function trainAnotherVersion(registryDir: string, name: string): Promise<number> {
  const task = (Object.keys(TINY_MODELS) as TinyTask[]).find((t) => TINY_MODELS[t] === name);
  if (task === undefined) throw new Error(`${name} is not a tiny model (${Object.values(TINY_MODELS).join(", ")})`);
  const registry = ModelRegistry.open(registryDir);
  const aliases = await registry.getAliases(name);
  const versions = await registry.listVersions(name).catch(() => []);
  return trainTiny(registry, task, 1000 + versions.length, aliases.champion ?? null);
}

async function trainTiny(registry: ModelRegistry, task: TinyTask, seed: number, parent: number | null = null): Promise<number> {
  await initBackend(process.env.MLOPS_BACKEND || "wasm");
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-tiny-"));
  try {
    const target = TINY_TARGETS[task];
    const file = path.join(dir, `${TINY_MODELS[task]}.csv`);
    const rows = tinyRows(TINY_TRAINING_ROWS, 1).map((r): Cell[] => [r.x1, r.x2, r.color, tinyTargets(r)[target]]);
    await writeTable(file, [...TINY_FEATURES, target], rows);
    const table = await readTable(file);
    const config = modelConfig.parse({
      name: TINY_MODELS[task],
      target,
      task,
      ...(task === "binary" ? { positiveClass: "yes" } : {}),
      network: { hiddenLayers: [16], epochs: 30, batchSize: 32, learningRate: 0.02, patience: 0, seed },
    });
    const outcome = await trainModel({ table, config, defaultName: TINY_MODELS[task] });
    await attachImportance(outcome, table);
    const { metadata } = await registerModel(registry, outcome, table, parent);
    return metadata.version;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
