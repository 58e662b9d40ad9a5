import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FileSystemStorage, PreconditionFailedError } from "../../../runtime/src/registry/index.ts";

const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

/** Every file under `dir`, relative, including internal ones. */
async function filesOnDisk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const lockContent = (pid: number, host: string, time: number): string => JSON.stringify({ pid, host, time, nonce: "test" });

describe("FileSystemStorage", () => {
  let root: string;
  let storage: FileSystemStorage;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "mlops-fs-storage-"));
    storage = new FileSystemStorage(root, { lockTimeoutMs: 300 });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("reports its root as a file:// URL", () => {
    assert.equal(storage.url, pathToFileURL(root).href);
    assert.ok(storage.url.startsWith("file:///"));
  });

  test("round-trips bytes and strings with the content's sha256 as etag", async () => {
    const etag = await storage.put("a/b/c.bin", Buffer.from([0, 1, 2, 255]));
    assert.equal(etag, sha256(Buffer.from([0, 1, 2, 255])));
    assert.deepEqual(await storage.get("a/b/c.bin"), { data: Buffer.from([0, 1, 2, 255]), etag });
    await storage.put("text.json", '{"x":1}');
    assert.equal((await storage.get("text.json"))?.data.toString("utf8"), '{"x":1}');
    assert.deepEqual(await filesOnDisk(root), [path.join("a", "b", "c.bin"), "text.json"].sort());
  });

  test("returns undefined for an absent key, and for a missing root directory", async () => {
    assert.equal(await storage.get("nope"), undefined);
    assert.equal(await storage.get("a/b"), undefined);
    const missing = new FileSystemStorage(path.join(root, "does-not-exist"));
    assert.equal(await missing.get("x"), undefined);
    assert.deepEqual(await missing.list(""), []);
  });

  test("deletes a key, and deleting an absent key is not an error", async () => {
    await storage.put("k", "v");
    await storage.delete("k");
    assert.equal(await storage.get("k"), undefined);
    await storage.delete("k");
    await storage.delete("no/such/dir/k");
  });

  test("a create-only put succeeds on a new key and fails on an existing one, leaving its content intact", async () => {
    const etag = await storage.put("claims/1", "first", { ifNoneMatch: "*" });
    assert.equal(etag, sha256("first"));
    await assert.rejects(storage.put("claims/1", "second", { ifNoneMatch: "*" }), (err: unknown) => {
      assert.ok(err instanceof PreconditionFailedError);
      assert.equal(err.key, "claims/1");
      return true;
    });
    assert.equal((await storage.get("claims/1"))?.data.toString(), "first");
    assert.deepEqual(await filesOnDisk(root), [path.join("claims", "1")]);
  });

  test("a compare-and-swap put replaces the value only when the etag is current", async () => {
    const e1 = await storage.put("aliases.json", "v1");
    const e2 = await storage.put("aliases.json", "v2", { ifMatch: e1 });
    assert.equal((await storage.get("aliases.json"))?.data.toString(), "v2");
    await assert.rejects(storage.put("aliases.json", "v3", { ifMatch: e1 }), PreconditionFailedError);
    assert.deepEqual(await storage.get("aliases.json"), { data: Buffer.from("v2"), etag: e2 });
    await assert.rejects(storage.put("absent.json", "v", { ifMatch: e1 }), PreconditionFailedError);
    assert.equal(await storage.get("absent.json"), undefined);
    assert.deepEqual(await filesOnDisk(root), ["aliases.json"], "no temp or lock file is left behind");
  });

  test("serialises concurrent compare-and-swap increments without losing any", async () => {
    storage = new FileSystemStorage(root);
    await storage.put("counter", "0");
    const increment = async (): Promise<void> => {
      for (;;) {
        const current = await storage.get("counter");
        assert.ok(current);
        try {
          await storage.put("counter", String(Number(current.data.toString()) + 1), { ifMatch: current.etag });
          return;
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    assert.equal((await storage.get("counter"))?.data.toString(), "20");
  });

  test("readers see the old or the new bytes of an overwritten object, never a mix", async () => {
    const a = Buffer.alloc(2 * 1024 * 1024, "a");
    const b = Buffer.alloc(3 * 1024 * 1024, "b");
    await storage.put("big.bin", a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 10; i++) await storage.put("big.bin", i % 2 === 0 ? b : a);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const got = await storage.get("big.bin");
      assert.ok(got && (got.data.equals(a) || got.data.equals(b)), "a read returned a partial object");
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
  });

  test("lists every key under a string prefix recursively and sorted", async () => {
    for (const key of ["m/b/2", "m/a/1", "m/a/10", "m2/x", "top"]) await storage.put(key, key);
    assert.deepEqual(await storage.list(""), ["m/a/1", "m/a/10", "m/b/2", "m2/x", "top"]);
    assert.deepEqual(await storage.list("m/"), ["m/a/1", "m/a/10", "m/b/2"]);
    assert.deepEqual(await storage.list("m"), ["m/a/1", "m/a/10", "m/b/2", "m2/x"]);
    assert.deepEqual(await storage.list("m/a/1"), ["m/a/1", "m/a/10"]);
    assert.deepEqual(await storage.list("nothing/"), []);
  });

  test("list skips temp and lock files", async () => {
    await storage.put("m/v/file", "x");
    await writeFile(path.join(root, "m", "v", ".tmp-123-abcdef"), "partial");
    await writeFile(path.join(root, "m", "v", ".lock-file"), lockContent(1, "h", 0));
    await writeFile(path.join(root, "m", "v", ".lock-file.broken-00"), "");
    await mkdir(path.join(root, ".tmp-dir"));
    await writeFile(path.join(root, ".tmp-dir", "inner"), "x");
    assert.deepEqual(await storage.list(""), ["m/v/file"]);
  });

  test("rejects malformed and reserved keys", async () => {
    for (const key of ["", "/abs", "a//b", "a/", "a/../b", "./a", "a\\b", "a\0b", ".tmp-1-x", "a/.lock-b"]) {
      await assert.rejects(storage.put(key, "x"), /invalid storage key/, `put ${JSON.stringify(key)}`);
      await assert.rejects(storage.get(key), /invalid storage key/, `get ${JSON.stringify(key)}`);
    }
    await assert.rejects(storage.list("../x"), /invalid storage key prefix/);
    await assert.rejects(storage.put("k", "x", { ifNoneMatch: "*", ifMatch: "e" }), /not both/);
  });

  test("a compare-and-swap waits for a live writer's lock, then fails with MLOPS_ERR_REGISTRY_LOCKED", async () => {
    const etag = await storage.put("aliases.json", "v1");
    await writeFile(path.join(root, ".lock-aliases.json"), lockContent(process.pid, hostname(), Date.now()));
    const started = Date.now();
    await assert.rejects(storage.put("aliases.json", "v2", { ifMatch: etag }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_LOCKED");
      assert.match(err.message, /aliases\.json stayed locked by another writer for \d+ ms/);
      return true;
    });
    assert.ok(Date.now() - started >= 300);
    assert.equal((await storage.get("aliases.json"))?.data.toString(), "v1");
    assert.deepEqual(await filesOnDisk(root), [".lock-aliases.json", "aliases.json"], "the live lock is left alone");
  });

  test("breaks a lock whose owner process is dead on this host", async () => {
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    assert.ok(deadPid);
    const etag = await storage.put("aliases.json", "v1");
    await writeFile(path.join(root, ".lock-aliases.json"), lockContent(deadPid, hostname(), Date.now()));
    await storage.put("aliases.json", "v2", { ifMatch: etag });
    assert.equal((await storage.get("aliases.json"))?.data.toString(), "v2");
    assert.deepEqual(await filesOnDisk(root), ["aliases.json"]);
  });

  test("breaks a lock older than staleLockMs even when its owner may be alive on another host", async () => {
    const short = new FileSystemStorage(root, { lockTimeoutMs: 2000, staleLockMs: 1000 });
    const etag = await short.put("aliases.json", "v1");
    await writeFile(path.join(root, ".lock-aliases.json"), lockContent(process.pid, "another-host", Date.now() - 5000));
    await short.put("aliases.json", "v2", { ifMatch: etag });
    assert.equal((await short.get("aliases.json"))?.data.toString(), "v2");
  });

  test("keeps waiting on a fresh lock from another host (its pid cannot be checked)", async () => {
    const etag = await storage.put("aliases.json", "v1");
    await writeFile(path.join(root, ".lock-aliases.json"), lockContent(999_999_999, "another-host", Date.now()));
    await assert.rejects(storage.put("aliases.json", "v2", { ifMatch: etag }), { code: "MLOPS_ERR_REGISTRY_LOCKED" });
  });
});
