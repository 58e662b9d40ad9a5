import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { MlopsError } from "../../runtime/src/errors.ts";
import { PreconditionFailedError, type RegistryStorage } from "../../runtime/src/registry/index.ts";

/** Makes an empty storage (a fresh directory, bucket prefix or container prefix) for one test. */
export type StorageFactory = (options: { pageSize: number }) => Promise<RegistryStorage>;

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const rejectsPrecondition = async (promise: Promise<unknown>, key: string): Promise<void> => {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof PreconditionFailedError, `expected PreconditionFailedError, got ${String(err)}`);
    assert.equal(err.key, key);
    return true;
  });
};

/**
 * The behaviour every {@link RegistryStorage} must share, as node:test tests. Call it inside a
 * describe(); `factory` is called once per test.
 */
export function storageConformance(factory: StorageFactory): void {
  const fresh = (pageSize = 1000) => factory({ pageSize });

  test("round-trips binary bytes, an empty object and a 5 MB object, with the etag put returned", async () => {
    const storage = await fresh();
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = randomBytes(5 * 1024 * 1024);
    for (const [key, data] of [
      ["bin/all-bytes", binary],
      ["empty", Buffer.alloc(0)],
      ["big/weights.bin", big],
    ] as const) {
      const etag = await storage.put(key, data);
      assert.equal(typeof etag, "string");
      assert.ok(etag.length > 0);
      const got = await storage.get(key);
      assert.ok(got !== undefined, key);
      assert.ok(got.data.equals(data), `${key} comes back byte for byte`);
      assert.equal(got.etag, etag, `${key}: get returns the etag put returned`);
    }
    await storage.put("text.json", '{"ünï":"cödé"}');
    assert.equal((await storage.get("text.json"))?.data.toString("utf8"), '{"ünï":"cödé"}');
  });

  test("get of an absent key, or of a 'directory' that only has keys under it, is undefined", async () => {
    const storage = await fresh();
    assert.equal(await storage.get("nope"), undefined);
    await storage.put("dir/sub/file", "x");
    assert.equal(await storage.get("dir"), undefined);
    assert.equal(await storage.get("dir/sub"), undefined);
    assert.equal(await storage.get("dir/sub/file/more"), undefined);
  });

  test("a create-only put fails on an existing key with PreconditionFailedError and leaves the first content", async () => {
    const storage = await fresh();
    const etag = await storage.put("claims/1", "first", { ifNoneMatch: "*" });
    await rejectsPrecondition(storage.put("claims/1", "second", { ifNoneMatch: "*" }), "claims/1");
    assert.deepEqual(await storage.get("claims/1"), { data: Buffer.from("first"), etag });
  });

  test("compare-and-swap writes with the current etag and fails with a stale one or on a missing key", async () => {
    const storage = await fresh();
    const e1 = await storage.put("aliases.json", "v1");
    const e2 = await storage.put("aliases.json", "v2", { ifMatch: e1 });
    assert.notEqual(e2, e1);
    assert.deepEqual(await storage.get("aliases.json"), { data: Buffer.from("v2"), etag: e2 });
    await rejectsPrecondition(storage.put("aliases.json", "v3", { ifMatch: e1 }), "aliases.json");
    assert.deepEqual(await storage.get("aliases.json"), { data: Buffer.from("v2"), etag: e2 });
    await rejectsPrecondition(storage.put("missing.json", "v1", { ifMatch: e2 }), "missing.json");
    await rejectsPrecondition(storage.put("aliases.json", "v3", { ifMatch: "not-an-etag" }), "aliases.json");
    assert.equal(await storage.get("missing.json"), undefined);
    const e3 = await storage.put("aliases.json", "v3", { ifMatch: e2 });
    assert.equal((await storage.get("aliases.json"))?.etag, e3);
  });

  test("an unconditional put overwrites, and the etag changes with the content", async () => {
    const storage = await fresh();
    const e1 = await storage.put("k", "one");
    const e2 = await storage.put("k", "two");
    assert.notEqual(e1, e2);
    assert.deepEqual(await storage.get("k"), { data: Buffer.from("two"), etag: e2 });
  });

  test("20 racing create-only puts of one key: exactly one wins and its bytes are stored", async () => {
    const storage = await fresh();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => storage.put("claims/7", `writer-${i}`, { ifNoneMatch: "*" })));
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ i, etag: r.value }] : []));
    assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
    for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof PreconditionFailedError, String(r.reason));
    const winner = winners[0] as { i: number; etag: string };
    assert.deepEqual(await storage.get("claims/7"), { data: Buffer.from(`writer-${winner.i}`), etag: winner.etag });
  });

  test("10 racing compare-and-swap puts from the same etag: exactly one wins", async () => {
    const storage = await fresh();
    const base = await storage.put("aliases.json", "base");
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => storage.put("aliases.json", `cas-${i}`, { ifMatch: base })));
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ i, etag: r.value }] : []));
    assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
    for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof PreconditionFailedError, String(r.reason));
    const winner = winners[0] as { i: number; etag: string };
    assert.deepEqual(await storage.get("aliases.json"), { data: Buffer.from(`cas-${winner.i}`), etag: winner.etag });
  });

  test("list is a recursive string-prefix match, sorted by UTF-16 code unit", async () => {
    const storage = await fresh();
    const keys = ["b", "a/2", "a/10", "a/1", "a/1/deeper", "ab", "a-", "Z", "é", "z/\u{1F600}", "z/\uFFFD", "z/x y"];
    // A key that is also a 'directory' cannot exist on a filesystem; keep to keys every backend can hold.
    const storable = keys.filter((k) => k !== "a/1/deeper");
    for (const k of storable) await storage.put(k, k);
    assert.deepEqual(await storage.list(""), [...storable].sort(byCodeUnit));
    assert.deepEqual(await storage.list("a"), ["a-", "a/1", "a/10", "a/2", "ab"]);
    assert.deepEqual(await storage.list("a/"), ["a/1", "a/10", "a/2"]);
    assert.deepEqual(await storage.list("a/1"), ["a/1", "a/10"]);
    assert.deepEqual(await storage.list("z/"), ["z/x y", "z/\u{1F600}", "z/\uFFFD"], "U+1F600 (surrogates D83D..) sorts before U+FFFD by code unit");
    assert.deepEqual(await storage.list("nothing/"), []);
    assert.deepEqual(await storage.list("nothing"), []);
  });

  test("list reads every page", async () => {
    const storage = await fresh(3);
    const keys = Array.from({ length: 23 }, (_, i) => `paged/${String(i).padStart(3, "0")}`);
    await Promise.all(keys.map((k) => storage.put(k, k)));
    await storage.put("other", "x");
    assert.deepEqual(await storage.list("paged/"), keys);
    assert.equal((await storage.list("")).length, 24);
  });

  test("delete removes a key, and deleting a missing key is not an error", async () => {
    const storage = await fresh();
    await storage.put("d/k", "v");
    await storage.put("d/keep", "v");
    await storage.delete("d/k");
    assert.equal(await storage.get("d/k"), undefined);
    assert.deepEqual(await storage.list("d/"), ["d/keep"]);
    await storage.delete("d/k");
    await storage.delete("never/existed");
    const again = await storage.put("d/k", "new", { ifNoneMatch: "*" });
    assert.equal((await storage.get("d/k"))?.etag, again, "a deleted key can be created again");
  });

  test("keys with spaces, unicode and URL-special characters round-trip and list as written", async () => {
    const storage = await fresh();
    const keys = ["dir with space/file name.json", "ünïcödé/日本語.txt", "emoji/\u{1F680}.bin", "special/a+b%20c&d=e?f#g;h'i", "special/~tilde@at!bang$dollar,comma"];
    for (const k of keys) await storage.put(k, `content of ${k}`);
    for (const k of keys) assert.equal((await storage.get(k))?.data.toString("utf8"), `content of ${k}`, k);
    assert.deepEqual(await storage.list(""), [...keys].sort(byCodeUnit));
    await storage.delete("emoji/\u{1F680}.bin");
    assert.equal(await storage.get("emoji/\u{1F680}.bin"), undefined);
  });

  test("rejects malformed keys and prefixes with a plain Error before touching the store", async () => {
    const storage = await fresh();
    for (const key of ["", "/abs", "a//b", "../up", "a/./b", "back\\slash", "a/.tmp-1", ".lock-x"]) {
      await assert.rejects(storage.put(key, "x"), (err: unknown) => err instanceof Error && !(err instanceof MlopsError) && /invalid storage key/.test(err.message), key);
      await assert.rejects(storage.get(key), /invalid storage key/, key);
    }
    await assert.rejects(storage.list("/abs"), /invalid storage key prefix/);
    await assert.rejects(storage.list("a/../b"), /invalid storage key prefix/);
    await assert.rejects(storage.put("k", "x", { ifNoneMatch: "*", ifMatch: "e" }), /not both/);
  });
}
