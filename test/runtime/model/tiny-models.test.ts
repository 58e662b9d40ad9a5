import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { SERVE, encodeRows } from "../../../runtime/src/data/preprocessor.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { LoadedModel } from "../../../runtime/src/model/loaded-model.ts";
import { predictedLabel } from "../../../runtime/src/model/outputs.ts";
import { ModelRegistry } from "../../../runtime/src/registry/index.ts";
import {
  TINY_BINARY_CLASSES,
  TINY_COLORS,
  TINY_FEATURES,
  TINY_MODELS,
  TINY_MULTICLASS_CLASSES,
  trainAnotherVersion,
  trainTinyModels,
  tinyRows,
  tinyTargets,
} from "../../helpers/tiny-models.ts";

describe("tiny-models test helper", () => {
  let dir: string;
  let names: Awaited<ReturnType<typeof trainTinyModels>>;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mlops-tiny-test-"));
    names = await trainTinyModels(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("registers three champions with the documented features and classes", async () => {
    assert.deepEqual(names, { binary: "tiny-binary", multiclass: "tiny-multiclass", regression: "tiny-regression" });
    const registry = ModelRegistry.open(dir);
    assert.deepEqual(await registry.listModels(), Object.values(TINY_MODELS).sort());
    for (const name of Object.values(names)) {
      assert.deepEqual(await registry.getAliases(name), { champion: 1 });
      const loaded = await LoadedModel.load(registry, name, 1);
      try {
        assert.deepEqual(
          loaded.preprocessor.features.map((f) => f.name),
          [...TINY_FEATURES],
        );
        const color = loaded.preprocessor.features[2]!;
        assert.ok(color.kind === "categorical" && [...color.categories].sort().join() === [...TINY_COLORS].sort().join());
        const t = loaded.preprocessor.targetTransform;
        if (name === names.binary) {
          const { threshold, ...rest } = t as { threshold?: number };
          assert.deepEqual(rest, { task: "binary", classes: [...TINY_BINARY_CLASSES] });
          assert.ok(threshold !== undefined && threshold > 0 && threshold < 1, "the decision threshold is stored");
        }
        if (name === names.multiclass) assert.deepEqual(t, { task: "multiclass", classes: [...TINY_MULTICLASS_CLASSES] });
        if (name === names.regression) assert.equal(t.task, "regression");
      } finally {
        loaded.dispose();
      }
    }
  });

  test("tinyRows are deterministic request instances the models classify by the documented rules", async () => {
    assert.deepEqual(tinyRows(5, 3), tinyRows(5, 3));
    assert.notDeepEqual(tinyRows(5, 3), tinyRows(5, 4));
    const rows = tinyRows(200, 77);
    const registry = ModelRegistry.open(dir);
    for (const [name, target] of [
      [names.binary, "label"],
      [names.multiclass, "class"],
    ] as const) {
      const loaded = await LoadedModel.load(registry, name, 1);
      try {
        const x = encodeRows(loaded.preprocessor, rows.length, (r, k) => rows[r]![TINY_FEATURES[k]!] as Cell, SERVE);
        const y = await loaded.predict(x, rows.length);
        const hits = rows.filter((row, i) => predictedLabel(loaded.preprocessor.targetTransform, y, i) === tinyTargets(row)[target]).length;
        assert.ok(hits / rows.length > 0.85, `${name}: ${hits} of ${rows.length} right`);
      } finally {
        loaded.dispose();
      }
    }
  });

  test("trainAnotherVersion adds an unpromoted version with other weights", async () => {
    const registry = ModelRegistry.open(dir);
    const v = await trainAnotherVersion(dir, names.binary);
    assert.equal(v, 2);
    assert.deepEqual(await registry.getAliases(names.binary), { champion: 1 });
    const [w1, w2] = await Promise.all([registry.readFile(names.binary, 1, "weights.bin"), registry.readFile(names.binary, 2, "weights.bin")]);
    assert.ok(!w1.equals(w2));
    assert.equal((await registry.getVersion(names.binary, 2)).parent, 1);
    assert.equal(await trainAnotherVersion(dir, names.binary), 3);
    await assert.rejects(trainAnotherVersion(dir, "iris"), /not a tiny model/);
  });
});
