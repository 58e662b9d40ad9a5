// Issue 17 item 8: a hung store fails the CLI with a coded timeout; a full or read-only registry
// fails before training with a coded error naming the path; a version is never visible while
// the command reports failure; what crashed writers leave is collected.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { modelConfig } from "../../../runtime/src/data/model-config.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { writeTable } from "../../../runtime/src/data/write-table.ts";
import { MlopsError, mlopsError } from "../../../runtime/src/errors.ts";
import { initBackend } from "../../../runtime/src/model/backend.ts";
import { registerModel, trainModel } from "../../../runtime/src/model/train-model.ts";
import { FileSystemStorage, ModelRegistry, type PutCondition, type RegistryStorage, S3Storage, collectGarbage } from "../../../runtime/src/registry/index.ts";
import { MLOPS_BIN, type Run, runMlops } from "../../helpers/run-cli.ts";
import { TINY_FEATURES, tinyRows, tinyTargets } from "../../helpers/tiny-models.ts";

let dir: string;
let data: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-storage-failures-"));
  await chmod(dir, 0o755);
  data = path.join(dir, "tiny.csv");
  await writeTable(data, [...TINY_FEATURES, "y"], tinyRows(200, 1).map((r): Cell[] => [r.x1, r.x2, r.color, tinyTargets(r).y]));
  await chmod(data, 0o644);
});
after(() => rm(dir, { recursive: true, force: true }));

const noStack = (r: Run) => assert.doesNotMatch(r.stderr, /\n\s+at /, `a stack trace:\n${r.stderr}`);

describe("a store that accepts connections and never answers", () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  before(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on("data", () => undefined);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const env = () => ({
    MLOPS_STORAGE_TIMEOUT_SECONDS: "1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    MLOPS_S3_FORCE_PATH_STYLE: "true",
    STORAGE_EMULATOR_HOST: `http://127.0.0.1:${port}`,
    MLOPS_AZURE_BLOB_ENDPOINT: `http://127.0.0.1:${port}/devstoreaccount1`,
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from("k").toString("base64")};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
  });
  for (const url of ["s3://hung-bucket/registry", "gs://hung-bucket/registry", "az://devstoreaccount1/hung-container/registry"]) {
    test(`mlops models list on ${url.slice(0, 2)}:// fails with MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT instead of hanging`, { timeout: 60_000 }, async () => {
      const r = await runMlops(["models", "list", "--registry", url], { env: env() });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`registry storage ${url.replace(/[/.]/g, "\\$&")} did not answer list "models/" within 1 s \\[MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT\\]`));
      noStack(r);
    });
  }
  test("mlops train against it fails before training, at the writability check", { timeout: 60_000 }, async () => {
    const r = await runMlops(["train", "--data", data, "--target", "y", "--registry", "s3://hung-bucket/registry"], { env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not answer put "probes\/write-check\.json" within 1 s \[MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT\]/);
    assert.doesNotMatch(r.stderr, /epoch/i, "no training ran");
  });
  test("a storage call in process rejects with the coded timeout", { timeout: 30_000 }, async () => {
    // The SDK's credential chain reads process.env itself.
    const saved = { ...process.env };
    Object.assign(process.env, env());
    try {
      const s3 = new S3Storage("s3://hung-bucket/x", { env: process.env });
      await assert.rejects(s3.get("a/b"), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT" && err.status === 504);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
  test("a bad MLOPS_STORAGE_TIMEOUT_SECONDS is a config error naming the variable", () => {
    assert.throws(() => new S3Storage("s3://b-1/x", { env: { MLOPS_STORAGE_TIMEOUT_SECONDS: "soon" } }), /MLOPS_STORAGE_TIMEOUT_SECONDS must be a positive number of seconds, got "soon"/);
  });
});

/** A filesystem storage that fails one chosen put with ENOSPC, before or after the write lands. */
class FailingPut implements RegistryStorage {
  readonly inner: FileSystemStorage;
  puts = 0;
  failAt = 0;
  mode: "before" | "after" = "before";
  constructor(root: string) {
    this.inner = new FileSystemStorage(root);
  }
  get url(): string {
    return this.inner.url;
  }
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    const n = ++this.puts;
    const fail = () => mlopsError("MLOPS_ERR_REGISTRY_IO", { url: this.url, operation: "write", path: key, reason: "ENOSPC (no space left on device)" });
    if (n === this.failAt && this.mode === "before") throw fail();
    const etag = await this.inner.put(key, data, condition);
    if (n === this.failAt) throw fail(); // e.g. the directory fsync after the rename failed
    return etag;
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

describe("a write that fails while a version is registered", () => {
  test("at every put, before or after it lands: the version is visible exactly when registration reports success", async () => {
    await initBackend("wasm");
    const table = await readTable(data);
    const config = modelConfig.parse({ name: "disk", target: "y", task: "regression", network: { hiddenLayers: [4], epochs: 2, batchSize: 32, patience: 0, seed: 1 } });
    const outcome = await trainModel({ table, config, defaultName: "disk" });
    const probe = new FailingPut(path.join(dir, "probe-registry"));
    await registerModel(new ModelRegistry(probe), outcome, table);
    const puts = probe.puts;
    assert.ok(puts >= 8, `${puts} puts`);
    const seen: string[] = [];
    for (const mode of ["before", "after"] as const) {
      for (let k = 1; k <= puts; k++) {
        const storage = new FailingPut(path.join(dir, `fail-${mode}-${k}`));
        storage.failAt = k;
        storage.mode = mode;
        const registry = new ModelRegistry(storage);
        let ok = true;
        let warnings: string[] = [];
        try {
          warnings = (await registerModel(registry, outcome, table)).warnings;
        } catch (err) {
          ok = false;
          assert.ok(err instanceof MlopsError && err.code === "MLOPS_ERR_REGISTRY_IO", String(err));
        }
        const visible = (await ModelRegistry.open(path.join(dir, `fail-${mode}-${k}`)).listModels()).includes("disk");
        assert.equal(visible, ok, `${mode} put ${k}: reported ${ok ? "success" : "failure"} but the version is ${visible ? "" : "not "}visible`);
        if (ok && visible) for (const w of warnings) assert.match(w, /ENOSPC/);
        seen.push(`${mode}${k}:${ok ? (warnings.length ? "warned" : "ok") : "failed"}`);
      }
    }
    assert.ok(seen.some((s) => s.endsWith("failed")) && seen.some((s) => s.endsWith("warned")), seen.join(" "));
  });
});

const root = process.getuid?.() === 0;

describe("a full or unwritable registry fails before training, naming the path", () => {
  test("a registry volume with less than 8 MiB free (tmpfs)", { skip: root ? false : "mounting a tmpfs needs root" }, async (t) => {
    const mnt = path.join(dir, "small-volume");
    await mkdir(mnt);
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], { encoding: "utf8" });
    if (mount.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mount.stderr.trim()}`);
    try {
      const r = await runMlops(["train", "--data", data, "--target", "y", "--registry", path.join(mnt, "registry")]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`registry storage file://${mnt}/registry cannot write a new version to ${mnt}/registry: only [\\d.]+ (KiB|MiB) free on its volume; at least 8\\.0 MiB is needed \\[MLOPS_ERR_REGISTRY_IO\\]`));
      assert.doesNotMatch(r.stderr, /epoch/i);
      noStack(r);
      // The raw filesystem error, when a write does hit a full disk, is coded too and leaves no temp file.
      await writeFile(path.join(mnt, "filler"), Buffer.alloc(0));
      const filler = spawnSync("dd", ["if=/dev/zero", `of=${path.join(mnt, "filler")}`, "bs=64k"], { encoding: "utf8" });
      assert.notEqual(filler.status, null);
      const storage = new FileSystemStorage(path.join(mnt, "registry"));
      await assert.rejects(storage.put("models/m/versions/1/weights.bin", Buffer.alloc(256 * 1024)), (err: MlopsError) => {
        assert.equal(err.code, "MLOPS_ERR_REGISTRY_IO");
        assert.match(err.message, /cannot write .*models\/m\/versions\/1.*: ENOSPC \(no space left on device\)/);
        return true;
      });
      const left = (await readdir(path.join(mnt, "registry"), { recursive: true })).filter((e) => path.basename(e).startsWith(".tmp-"));
      assert.deepEqual(left, []);
    } finally {
      spawnSync("umount", [mnt]);
    }
  });

  test("a registry the runtime's user cannot write (EACCES)", async () => {
    const registry = path.join(dir, "read-only-registry");
    await mkdir(registry, { mode: 0o755 });
    // As root, permission bits do not apply to the process: run the CLI as nobody instead, with a
    // node binary nobody may execute (the test's own may sit under a private home).
    let node = process.execPath;
    if (root) {
      node = path.join(dir, "node");
      await link(process.execPath, node).catch(() => copyFile(process.execPath, node));
      await chmod(node, 0o755);
    } else await chmod(registry, 0o555);
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn(node, [MLOPS_BIN, "train", "--data", data, "--target", "y", "--registry", registry], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        ...(root ? { uid: 65534, gid: 65534 } : {}),
        env: { ...process.env, HOME: dir },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`registry storage file://${registry} cannot write ${registry}/\\S+: EACCES \\(permission denied\\) \\[MLOPS_ERR_REGISTRY_IO\\]`));
    assert.doesNotMatch(r.stderr, /epoch/i, "no training ran");
    noStack(r);
  });
});

describe("mlops registry gc", () => {
  test("removes a dead writer's half-written version and old temp files; keeps a live writer's, complete versions and claims", async () => {
    const root = path.join(dir, "gc-registry");
    const registry = ModelRegistry.open(root);
    const complete = await registry.createVersion("m", { files: { "model.json": Buffer.from("{}") }, dataset: { digest: "0".repeat(64), rows: 1, source: "x" }, backend: "wasm", config: {}, metrics: {} });
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const claim = (pid: number) => JSON.stringify({ pid, host: hostname(), claimedAt: new Date().toISOString() });
      await registry.storage.put("models/m/claims/2", claim(dead));
      await registry.storage.put("models/m/versions/2/weights.bin", Buffer.alloc(1000));
      await registry.storage.put("models/m/claims/3", claim(live.pid!));
      await registry.storage.put("models/m/versions/3/weights.bin", Buffer.alloc(1000));
      const tmp = path.join(root, "models", "m", "versions", "2", ".tmp-99999-deadbeef");
      await writeFile(tmp, "half");
      const old = new Date(Date.now() - 2 * 3600_000);
      await utimes(tmp, old, old);
      const dry = await runMlops(["registry", "gc", "--dry-run", "--registry", root]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /would remove m version 2: 1 artifact\(s\) of a version that never completed \(its writer \(pid \d+ on this host\) is gone\)/);
      assert.match(dry.stdout, /would remove .*\.tmp-99999-deadbeef/);
      assert.match(dry.stdout, /kept m version 3: claimed \d+ s ago; its writer may still be uploading/);
      assert.equal((await registry.storage.list("models/m/versions/2/")).length, 1, "a dry run removes nothing");
      const real = await runMlops(["registry", "gc", "--registry", root]);
      assert.equal(real.code, 0, real.stderr);
      assert.deepEqual(await registry.storage.list("models/m/versions/2/"), []);
      assert.equal((await registry.storage.list("models/m/versions/3/")).length, 1);
      assert.ok(await registry.storage.get("models/m/claims/2"), "claims are kept: numbers are never reused");
      assert.deepEqual((await registry.listVersions("m")).map((v) => v.version), [complete.version]);
      assert.deepEqual((await collectGarbage(registry)).orphanVersions, []);
      const next = await registry.createVersion("m", { files: { "model.json": Buffer.from("{}") }, dataset: { digest: "0".repeat(64), rows: 1, source: "x" }, backend: "wasm", config: {}, metrics: {} });
      assert.equal(next.version, 4);
    } finally {
      live.kill("SIGKILL");
    }
  });
});
