import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FileSystemStorage, ModelRegistry, type NewVersion } from "../../../runtime/src/registry/index.ts";
import { runChild } from "../../fixtures/registry/children.ts";

const small = (i: number): NewVersion => ({
  files: { "model.json": Buffer.from(JSON.stringify({ i })) },
  dataset: { digest: "e".repeat(64), rows: 1, source: "x.csv" },
  backend: "cpu",
  config: { i },
  metrics: { i },
});

describe("concurrent writers", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "mlops-registry-concurrency-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("4 processes creating 5 versions each get 20 distinct numbers, every version complete", async () => {
    const outputs = await Promise.all([0, 1, 2, 3].map(() => runChild("create-versions.ts", [root, "shared", "5"])));
    const numbers = outputs.flatMap((lines) => JSON.parse(lines[0] ?? "[]") as number[]);
    assert.deepEqual(
      [...numbers].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const registry = new ModelRegistry(new FileSystemStorage(root));
    const versions = await registry.listVersions("shared");
    assert.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const v of versions) {
      const model = JSON.parse((await registry.readFile("shared", v.version, "model.json")).toString());
      assert.deepEqual(v.config, model, `version ${v.version} holds the artifacts its own writer uploaded`);
      await registry.readFile("shared", v.version, "weights.bin");
    }
  });

  test("concurrent createVersion calls in one process get distinct numbers", async () => {
    const registry = new ModelRegistry(new FileSystemStorage(root));
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => registry.createVersion("local", small(i))));
    assert.deepEqual(
      created.map((v) => v.version).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });

  test("concurrent setAlias from 4 processes loses no update and leaves a valid aliases.json", async () => {
    const registry = new ModelRegistry(new FileSystemStorage(root));
    await registry.createVersion("shared", small(0));
    await Promise.all([0, 1, 2, 3].map((p) => runChild("set-aliases.ts", [root, "shared", `p${p}`, "8", "1"])));
    const expected: Record<string, number> = { champion: 1 };
    for (let p = 0; p < 4; p++) for (let i = 0; i < 8; i++) expected[`p${p}-${i}`] = 1;
    assert.deepEqual(await registry.getAliases("shared"), expected);
    const onDisk = JSON.parse(await readFile(path.join(root, "models/shared/aliases.json"), "utf8"));
    assert.deepEqual(onDisk, { aliases: expected });
  });
});
