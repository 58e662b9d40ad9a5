import assert from "node:assert/strict";
import { access, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { FileSystemStorage, ModelRegistry, type VersionMetadata } from "../../../runtime/src/registry/index.ts";
import { startChild } from "../../fixtures/registry/children.ts";

const MEGABYTES = "24";

/** Versions a fresh registry sees, each with every artifact verified against its checksum. */
async function verifiedVersions(root: string, model: string, skip: ReadonlySet<number> = new Set()): Promise<VersionMetadata[]> {
  const registry = new ModelRegistry(new FileSystemStorage(root), { onCorrupt: (err) => assert.fail(err.message) });
  if (!(await registry.listModels()).includes(model)) return [];
  const versions = await registry.listVersions(model);
  for (const v of versions) {
    if (skip.has(v.version)) continue;
    for (const file of Object.keys(v.files)) await registry.readFile(model, v.version, file);
  }
  return versions;
}

async function assertNoInternalKeys(root: string): Promise<void> {
  const internal = (await new FileSystemStorage(root).list("")).filter((k) => k.split("/").some((s) => s.startsWith(".tmp-") || s.startsWith(".lock-")));
  assert.deepEqual(internal, []);
}

async function tempFilesOnDisk(root: string): Promise<number> {
  const entries = await readdir(root, { recursive: true });
  return entries.filter((e) => path.basename(e).startsWith(".tmp-")).length;
}

describe("crash safety", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "mlops-registry-crash-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("a writer SIGKILLed at any moment of a save leaves either no new version or a complete one", async (t) => {
    const model = "big";
    const full = startChild("write-version.ts", [root, model, MEGABYTES]);
    await full.waitForLine((l) => l === "ready");
    const started = performance.now();
    assert.equal((await full.exited).code, 0);
    const saveMs = performance.now() - started;

    // Kills spread over the whole save, plus kills pinned to its steps: right after the claim,
    // inside the large artifact's write, while the manifest is being written, and just after.
    const plan: Array<{ at: (line: string) => boolean; delayMs: number }> = [];
    for (let i = 0; i < 10; i++) plan.push({ at: (l) => l === "ready", delayMs: (1.2 * saveMs * (i + Math.random())) / 10 });
    plan.push({ at: (l) => l.startsWith(`put-end models/${model}/claims/`), delayMs: 0 });
    plan.push({ at: (l) => l.startsWith("put-start") && l.endsWith("/weights.bin"), delayMs: 1 + Math.random() * 10 });
    plan.push({ at: (l) => l.startsWith("put-end") && l.endsWith("/preprocessor.bin"), delayMs: 0 });
    plan.push({ at: (l) => l.startsWith("put-start") && l.endsWith("/version.json"), delayMs: 0 });
    plan.push({ at: (l) => l.startsWith("put-end") && l.endsWith("/version.json"), delayMs: 0 });

    let seen = new Set((await verifiedVersions(root, model)).map((v) => v.version));
    let interrupted = 0;
    let completed = 0;
    const reached: string[] = [];
    for (const kill of plan) {
      const child = startChild("write-version.ts", [root, model, MEGABYTES]);
      await child.waitForLine(kill.at);
      if (kill.delayMs > 0) await sleep(kill.delayMs);
      child.process.kill("SIGKILL");
      await child.exited;
      reached.push(child.lines.at(-1) ?? "(nothing)");

      const versions = await verifiedVersions(root, model, seen);
      const fresh = versions.filter((v) => !seen.has(v.version));
      assert.ok(fresh.length <= 1, `one killed writer produced ${fresh.length} versions`);
      if (fresh.length === 1) completed++;
      else interrupted++;
      seen = new Set(versions.map((v) => v.version));
      await assertNoInternalKeys(root);
    }
    t.diagnostic(`save of ${MEGABYTES} MB took ${saveMs.toFixed(0)} ms; ${interrupted} kills left no version, ${completed} a complete one`);
    t.diagnostic(`last step reported before each kill: ${reached.join(" | ")}`);
    t.diagnostic(`${await tempFilesOnDisk(root)} temp files left on disk by killed writers (never listed)`);
    assert.ok(interrupted >= 2, "the kills pinned inside the save interrupted it");
    assert.ok(completed >= 1, "the kill after the manifest's write left a complete version");

    const storage = new FileSystemStorage(root);
    const claimed = (await storage.list(`models/${model}/claims/`)).map((k) => Number(k.split("/").pop()));
    const registry = new ModelRegistry(storage);
    const next = await registry.createVersion(model, {
      files: { "model.json": Buffer.from("{}") },
      dataset: { digest: "c".repeat(64), rows: 1, source: "after-crash.csv" },
      backend: "cpu",
      config: null,
      metrics: {},
    });
    assert.equal(next.version, Math.max(...claimed) + 1, "the next version skips every claimed number");
    const all = await verifiedVersions(root, model);
    assert.equal(all.at(-1)?.version, next.version);
    assert.equal(all.length, seen.size + 1);
  });

  test("a writer killed while holding the aliases.json lock does not block the next setAlias", async () => {
    const model = "locked";
    const registry = new ModelRegistry(new FileSystemStorage(root));
    const small = { dataset: { digest: "d".repeat(64), rows: 1, source: "x.csv" }, backend: "cpu", config: null, metrics: {} };
    await registry.createVersion(model, { ...small, files: { "model.json": Buffer.from("1") } });
    await registry.createVersion(model, { ...small, files: { "model.json": Buffer.from("2") } });
    await registry.setAlias(model, "champion", 1);

    const child = startChild("hold-alias-lock.ts", [root, model, "champion", "2"]);
    await child.waitForLine((l) => l === "locked");
    const lockFile = path.join(root, "models", model, ".lock-aliases.json");
    await access(lockFile);
    child.process.kill("SIGKILL");
    await child.exited;
    await access(lockFile);
    assert.deepEqual(await registry.getAliases(model), { champion: 1 }, "the interrupted swap changed nothing");

    const started = performance.now();
    await registry.setAlias(model, "champion", 2);
    assert.ok(performance.now() - started < 5000, "the dead owner's lock is broken at once, not after it goes stale");
    assert.deepEqual(await registry.getAliases(model), { champion: 2 });
    await assert.rejects(access(lockFile), { code: "ENOENT" });
    await assertNoInternalKeys(root);
  });
});
