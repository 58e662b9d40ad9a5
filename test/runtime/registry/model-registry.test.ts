import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { MlopsError } from "../../../runtime/src/errors.ts";
import { FileSystemStorage, ModelRegistry, type NewVersion, type RegistryStorage } from "../../../runtime/src/registry/index.ts";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

const newVersion = (seed: string, overrides: Partial<NewVersion> = {}): NewVersion => ({
  files: { "model.json": Buffer.from(JSON.stringify({ seed })), "weights.bin": Buffer.alloc(1000, seed) },
  dataset: { digest: sha256(Buffer.from(seed)), rows: 120, source: "data/iris.csv" },
  backend: "wasm",
  config: { target: "species", network: { hiddenLayers: [8] } },
  metrics: { accuracy: 0.93, loss: 0.21 },
  ...overrides,
});

/** Asserts that `promise` rejects with registry error `code` whose message contains every `parts`. */
async function rejectsWith(promise: Promise<unknown>, code: string, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: MlopsError) => {
    assert.equal(err.code, code, err.message);
    for (const part of parts) assert.ok(err.message.includes(part), `message ${JSON.stringify(err.message)} should name ${part}`);
    return true;
  });
}

describe("ModelRegistry", () => {
  let root: string;
  let registry: ModelRegistry;
  const clock = { t: Date.parse("2025-01-02T03:04:05.000Z") };
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "mlops-registry-"));
    registry = new ModelRegistry(new FileSystemStorage(root), { now: () => new Date((clock.t += 1000)) });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("numbers versions 1, 2, 3 and returns their metadata with every file's checksum", async () => {
    const v1 = await registry.createVersion("iris", newVersion("a"));
    const v2 = await registry.createVersion("iris", newVersion("b", { parent: 1, extra: { drift: { columns: 4 } } }));
    const v3 = await registry.createVersion("iris", newVersion("c", { parent: 2 }));
    assert.deepEqual([v1.version, v2.version, v3.version], [1, 2, 3]);
    assert.equal(v1.model, "iris");
    assert.equal(v1.parent, null);
    assert.equal(v2.parent, 1);
    assert.deepEqual(v2.extra, { drift: { columns: 4 } });
    assert.ok(Date.parse(v1.createdAt) < Date.parse(v2.createdAt));
    const weights = Buffer.alloc(1000, "a");
    assert.deepEqual(v1.files["weights.bin"], { sha256: sha256(weights), bytes: 1000 });
    assert.deepEqual(await registry.listVersions("iris"), [v1, v2, v3]);
    assert.deepEqual(await registry.getVersion("iris", 2), v2);
    assert.deepEqual(await registry.listModels(), ["iris"]);
  });

  test("reads back every artifact byte for byte", async () => {
    const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
    await registry.createVersion("iris", newVersion("a", { files: { "weights.bin": big, "assets/vocab.txt": Buffer.from("x\ny\n") } }));
    assert.ok((await registry.readFile("iris", 1, "weights.bin")).equals(big));
    assert.equal((await registry.readFile("iris", 1, "assets/vocab.txt")).toString(), "x\ny\n");
  });

  test("stores the layout documented for object stores, manifest last", async () => {
    await registry.createVersion("iris", newVersion("a"));
    await registry.setAlias("iris", "champion", 1);
    assert.deepEqual(await registry.storage.list(""), [
      "models/iris/aliases.json",
      "models/iris/claims/1",
      "models/iris/versions/1/model.json",
      "models/iris/versions/1/version.json",
      "models/iris/versions/1/weights.bin",
    ]);
    const manifest = JSON.parse(await readFile(path.join(root, "models/iris/versions/1/version.json"), "utf8"));
    assert.equal(manifest.version, 1);
    assert.deepEqual(JSON.parse(await readFile(path.join(root, "models/iris/aliases.json"), "utf8")), { aliases: { champion: 1 } });
  });

  test("lists models with at least one complete version, sorted", async () => {
    await registry.createVersion("zeta", newVersion("z"));
    await registry.createVersion("alpha", newVersion("a"));
    await registry.storage.put("models/orphan/claims/1", "{}");
    assert.deepEqual(await registry.listModels(), ["alpha", "zeta"]);
    assert.deepEqual(await new ModelRegistry(new FileSystemStorage(path.join(root, "empty"))).listModels(), []);
  });

  test("sets, moves, deletes and resolves aliases", async () => {
    for (const s of ["a", "b", "c"]) await registry.createVersion("iris", newVersion(s));
    assert.deepEqual(await registry.getAliases("iris"), {});
    assert.equal(await registry.aliasesEtag("iris"), undefined);
    await registry.setAlias("iris", "champion", 1);
    await registry.setAlias("iris", "challenger", 2);
    const etag = await registry.aliasesEtag("iris");
    assert.deepEqual(await registry.getAliases("iris"), { champion: 1, challenger: 2 });
    assert.equal((await registry.resolve("iris", "champion")).version, 1);
    await registry.setAlias("iris", "champion", 3);
    assert.notEqual(await registry.aliasesEtag("iris"), etag, "moving an alias changes the etag");
    assert.equal((await registry.resolve("iris", "champion")).version, 3);
    const moved = await registry.aliasesEtag("iris");
    await registry.setAlias("iris", "champion", 3);
    assert.equal(await registry.aliasesEtag("iris"), moved, "setting an alias to its current version writes nothing");
    await registry.deleteAlias("iris", "challenger");
    assert.deepEqual(await registry.getAliases("iris"), { champion: 3 });
    assert.equal((await registry.resolve("iris", 2)).version, 2);
    assert.equal((await registry.resolve("iris", "2")).version, 2);
  });

  test("rejects invalid model, alias and file names naming the value", async () => {
    for (const bad of ["", "-lead", "has space", "a/b", "..", "x".repeat(64), "ünï"]) {
      await rejectsWith(registry.createVersion(bad, newVersion("a")), "MLOPS_ERR_REGISTRY_NAME", `invalid model name ${JSON.stringify(bad)}`);
      await rejectsWith(registry.listVersions(bad), "MLOPS_ERR_REGISTRY_NAME", JSON.stringify(bad));
    }
    await registry.createVersion("iris", newVersion("a"));
    await rejectsWith(registry.setAlias("iris", "bad alias", 1), "MLOPS_ERR_REGISTRY_NAME", 'invalid alias name "bad alias"');
    await rejectsWith(registry.setAlias("iris", "42", 1), "MLOPS_ERR_REGISTRY_NAME", "cannot be all digits", '"42"');
    await rejectsWith(
      registry.createVersion("iris", newVersion("a", { files: { "../escape": Buffer.from("x") } })),
      "MLOPS_ERR_REGISTRY_NAME",
      '"../escape"',
    );
    await rejectsWith(
      registry.createVersion("iris", newVersion("a", { files: { "version.json": Buffer.from("x") } })),
      "MLOPS_ERR_REGISTRY_NAME",
      "reserved",
    );
    assert.deepEqual((await registry.listVersions("iris")).map((v) => v.version), [1], "rejected writes claim no number");
  });

  test("unknown models, versions and aliases give not-found errors naming them", async () => {
    await rejectsWith(registry.listVersions("nope"), "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", '"nope"');
    await rejectsWith(registry.getVersion("nope", 1), "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", '"nope"');
    await rejectsWith(registry.getAliases("nope"), "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", '"nope"');
    await rejectsWith(registry.resolve("nope", "champion"), "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", '"nope"');
    await registry.createVersion("iris", newVersion("a"));
    await rejectsWith(registry.getVersion("iris", 7), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"iris"', '"7"');
    await rejectsWith(registry.getVersion("iris", 0), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"0"');
    await rejectsWith(registry.getVersion("iris", 1.5), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"1.5"');
    await rejectsWith(registry.resolve("iris", "7"), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"7"');
    await rejectsWith(registry.readFile("iris", 7, "model.json"), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"7"');
    await rejectsWith(registry.setAlias("iris", "champion", 9), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"9"');
    await rejectsWith(registry.createVersion("iris", newVersion("b", { parent: 5 })), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", '"5"');
    await rejectsWith(registry.resolve("iris", "champion"), "MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", '"iris"', '"champion"');
    await rejectsWith(registry.deleteAlias("iris", "champion"), "MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", '"champion"');
    await rejectsWith(registry.deleteAlias("nope", "champion"), "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", '"nope"');
    await assert.rejects(registry.readFile("iris", 1, "other.bin"), /has no artifact "other.bin" \(artifacts: model.json, weights.bin\)/);
  });

  test("rejects malformed version metadata before claiming a number", async () => {
    await assert.rejects(registry.createVersion("iris", newVersion("a", { metrics: { auc: Number.NaN } })), /metrics\.auc/);
    await assert.rejects(
      registry.createVersion("iris", newVersion("a", { dataset: { digest: "not-a-digest", rows: 1, source: "x" } })),
      /dataset\.digest/,
    );
    await assert.rejects(registry.createVersion("iris", newVersion("a", { config: { n: 1n } })), TypeError);
    assert.deepEqual(await registry.storage.list(""), []);
  });

  test("detects artifact bytes changed on disk (same size or not) with MLOPS_ERR_REGISTRY_CORRUPT", async () => {
    await registry.createVersion("iris", newVersion("a"));
    const file = path.join(root, "models/iris/versions/1/weights.bin");
    const bytes = await readFile(file);
    bytes[500] = (bytes[500] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    await rejectsWith(registry.readFile("iris", 1, "weights.bin"), "MLOPS_ERR_REGISTRY_CORRUPT", "models/iris/versions/1/weights.bin", "sha256");
    await truncate(file, 10);
    await rejectsWith(registry.readFile("iris", 1, "weights.bin"), "MLOPS_ERR_REGISTRY_CORRUPT", "has 10 bytes", "says 1000");
    await rm(file);
    await rejectsWith(registry.readFile("iris", 1, "weights.bin"), "MLOPS_ERR_REGISTRY_CORRUPT", "missing");
    assert.equal((await registry.readFile("iris", 1, "model.json")).toString(), JSON.stringify({ seed: "a" }), "other files still read");
  });

  test("a truncated version.json is a clear error for its readers and is skipped and reported by listVersions", async () => {
    const reported: MlopsError[] = [];
    registry = new ModelRegistry(new FileSystemStorage(root), { onCorrupt: (err) => reported.push(err) });
    await registry.createVersion("iris", newVersion("a"));
    await registry.createVersion("iris", newVersion("b"));
    const manifest = path.join(root, "models/iris/versions/1/version.json");
    await truncate(manifest, 40);
    await rejectsWith(registry.getVersion("iris", 1), "MLOPS_ERR_REGISTRY_CORRUPT", "registry object models/iris/versions/1/version.json is corrupt", "not valid JSON");
    await rejectsWith(registry.readFile("iris", 1, "model.json"), "MLOPS_ERR_REGISTRY_CORRUPT", "versions/1/version.json");
    await rejectsWith(registry.resolve("iris", "1"), "MLOPS_ERR_REGISTRY_CORRUPT");
    assert.deepEqual((await registry.listVersions("iris")).map((v) => v.version), [2]);
    assert.equal(reported.length, 1);
    assert.match(reported[0]?.message ?? "", /versions\/1\/version\.json is corrupt/);
    assert.deepEqual(await registry.listModels(), ["iris"]);
    assert.equal((await registry.createVersion("iris", newVersion("c"))).version, 3);
  });

  test("a version.json with the wrong shape or for another version is corrupt", async () => {
    await registry.createVersion("iris", newVersion("a"));
    const manifest = path.join(root, "models/iris/versions/1/version.json");
    const good = JSON.parse(await readFile(manifest, "utf8"));
    await writeFile(manifest, JSON.stringify({ ...good, files: { "w.bin": { sha256: "zz", bytes: -1 } } }));
    await rejectsWith(registry.getVersion("iris", 1), "MLOPS_ERR_REGISTRY_CORRUPT", "files.w.bin.sha256");
    await writeFile(manifest, JSON.stringify({ ...good, version: 2 }));
    await rejectsWith(registry.getVersion("iris", 1), "MLOPS_ERR_REGISTRY_CORRUPT", "describes model \"iris\" version 2");
  });

  test("a corrupt aliases.json is reported naming the key, and is not overwritten", async () => {
    await registry.createVersion("iris", newVersion("a"));
    await writeFile(path.join(root, "models/iris/aliases.json"), '{"aliases": {"champion": "one"');
    await rejectsWith(registry.getAliases("iris"), "MLOPS_ERR_REGISTRY_CORRUPT", "models/iris/aliases.json");
    await rejectsWith(registry.resolve("iris", "champion"), "MLOPS_ERR_REGISTRY_CORRUPT", "models/iris/aliases.json");
    await rejectsWith(registry.setAlias("iris", "champion", 1), "MLOPS_ERR_REGISTRY_CORRUPT", "models/iris/aliases.json");
    assert.equal(await readFile(path.join(root, "models/iris/aliases.json"), "utf8"), '{"aliases": {"champion": "one"');
  });

  test("skips version numbers left by an orphan claim and never reuses them", async () => {
    await registry.createVersion("iris", newVersion("a"));
    await registry.storage.put("models/iris/claims/2", "{}");
    await registry.storage.put("models/iris/versions/2/weights.bin", "partial");
    assert.deepEqual((await registry.listVersions("iris")).map((v) => v.version), [1]);
    await rejectsWith(registry.getVersion("iris", 2), "MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND");
    assert.equal((await registry.createVersion("iris", newVersion("b"))).version, 3);
    assert.deepEqual((await registry.listVersions("iris")).map((v) => v.version), [1, 3]);
  });

  test("deletes the artifacts it wrote when an upload fails, keeping the number used", async () => {
    const storage = new FileSystemStorage(root);
    const failing: RegistryStorage = {
      url: storage.url,
      get: (key) => storage.get(key),
      put: (key, data, condition) => (key.endsWith("weights.bin") ? Promise.reject(new Error("disk full")) : storage.put(key, data, condition)),
      list: (prefix) => storage.list(prefix),
      delete: (key) => storage.delete(key),
    };
    await assert.rejects(new ModelRegistry(failing).createVersion("iris", newVersion("a")), /disk full/);
    assert.deepEqual(await storage.list(""), ["models/iris/claims/1"]);
    assert.equal((await registry.createVersion("iris", newVersion("b"))).version, 2);
  });

  test("open() takes a directory or a file:// URL, and object-store URLs", async () => {
    await registry.createVersion("iris", newVersion("a"));
    const byPath = ModelRegistry.open(root);
    assert.equal(byPath.storage.url, pathToFileURL(root).href);
    assert.deepEqual(await byPath.listModels(), ["iris"]);
    assert.deepEqual(await ModelRegistry.open(pathToFileURL(root).href).listModels(), ["iris"]);
    assert.equal(ModelRegistry.open().storage.url, pathToFileURL(path.resolve(".mlops/registry")).href);
    for (const url of ["s3://bucket/registry", "gs://bucket/registry", "az://account/container"]) {
      assert.equal(ModelRegistry.open(url).storage.url, url);
    }
  });
});
