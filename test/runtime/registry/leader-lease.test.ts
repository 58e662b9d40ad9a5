// Issue 17 item 6: the controller's leadership lease, on every backend (it uses only get and
// conditional put): filesystem, S3 (moto), Azure Blob (Azurite), GCS (local JSON-API fake).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { LeaderLease, ModelRegistry, type PutCondition, type RegistryStorage } from "../../../runtime/src/registry/index.ts";
import { startFakeGcs, type FakeGcsServer } from "../../helpers/fake-gcs-server.ts";
import { AZURITE_ACCOUNT, azuriteConnectionString, azuriteUnavailable, type LocalServer, motoUnavailable, startAzurite, startMoto } from "../../helpers/object-store-servers.ts";

const LEASE_MS = 15_000;

/** A manual monotonic clock shared by the leases of one test. */
const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

function leaseSuite(fresh: () => Promise<ModelRegistry>): void {
  const lease = (registry: ModelRegistry, c: { now: () => number }, holder: string) => new LeaderLease(registry, "churn", { leaseMs: LEASE_MS, holder, now: c.now, autoRenew: false });

  test("a lease that lapsed while paused is taken back by tryAcquire after resume(), with no renewal racing it", async () => {
    // resume() used to start a renewal even after the lapse; the controller's tryAcquire right
    // after it then lost its compare-and-swap to that write and stood by against its own lease.
    const registry = await fresh();
    const c = clock();
    const a = lease(registry, c, "a");
    assert.equal((await a.tryAcquire()).acquired, true);
    a.pause();
    c.advance(LEASE_MS + 1);
    assert.equal(a.held, false);
    a.resume();
    const again = await a.tryAcquire();
    assert.deepEqual([again.acquired, again.acquired && again.how], [true, "already-held"]);
    assert.equal(a.held, true);
  });

  test("the first controller takes a free lease; another stands by while it renews", async () => {
    const registry = await fresh();
    const c = clock();
    const a = lease(registry, c, "a");
    const b = lease(registry, c, "b");
    const first = await a.tryAcquire();
    assert.deepEqual([first.acquired, first.acquired && first.how], [true, "created"]);
    assert.equal(a.record?.term, 1);
    for (let i = 0; i < 5; i++) {
      const r = await b.tryAcquire();
      assert.equal(r.acquired, false);
      assert.match(!r.acquired ? r.reason : "", /^held by a \(term 1\)/);
      c.advance(LEASE_MS / 3);
      assert.equal(await a.renew(), true);
    }
    assert.ok(a.held && !b.held);
  });

  test("a standby takes over once the lease went unrenewed for a whole lease of its own watching; the old holder then loses it", async () => {
    const registry = await fresh();
    const c = clock();
    const a = lease(registry, c, "a");
    const b = lease(registry, c, "b");
    await a.tryAcquire();
    assert.equal((await b.tryAcquire()).acquired, false);
    c.advance(LEASE_MS - 1);
    assert.equal((await b.tryAcquire()).acquired, false, "not a full lease yet");
    assert.equal(a.held, true);
    c.advance(1);
    assert.equal(a.held, false, "the holder counts its lease from before its last write, so it gives up no later than a standby may take over");
    const taken = await b.tryAcquire();
    assert.deepEqual([taken.acquired, taken.acquired && taken.how, taken.acquired && taken.previous?.holder], [true, "expired", "a"]);
    assert.equal(b.record?.term, 2);
    assert.equal(await a.renew(), false);
    assert.ok(a.signal.aborted, "the old holder's work is aborted");
  });

  test("of two standbys racing for an expired lease exactly one wins", async () => {
    const registry = await fresh();
    const c = clock();
    await lease(registry, c, "dead").tryAcquire();
    const standbys = ["s1", "s2", "s3"].map((h) => lease(registry, c, h));
    for (const s of standbys) assert.equal((await s.tryAcquire()).acquired, false);
    c.advance(LEASE_MS);
    const results = await Promise.all(standbys.map((s) => s.tryAcquire()));
    assert.equal(results.filter((r) => r.acquired).length, 1, JSON.stringify(results));
    assert.equal(standbys.filter((s) => s.held).length, 1);
  });

  test("a released lease, an unreadable one, or one whose holder's process is gone is taken at once", async () => {
    const registry = await fresh();
    const c = clock();
    const a = lease(registry, c, "a");
    await a.tryAcquire();
    await a.release();
    const b = lease(registry, c, "b");
    const r1 = await b.tryAcquire();
    assert.deepEqual([r1.acquired, r1.acquired && r1.how], [true, "released"]);
    await registry.storage.put("models/churn/controller/lease.json", "{ half a lease");
    const r2 = await lease(registry, c, "c").tryAcquire();
    assert.deepEqual([r2.acquired, r2.acquired && r2.how], [true, "unreadable"]);
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
    const record = { holder: "gone", host: hostname(), pid: dead, pidNamespace: readlinkSync("/proc/self/ns/pid"), term: 7, leaseSeconds: 15, acquiredAt: "", renewedAt: "", released: false };
    await registry.storage.put("models/churn/controller/lease.json", JSON.stringify(record));
    const r3 = await lease(registry, c, "d").tryAcquire();
    assert.deepEqual([r3.acquired, r3.acquired && r3.how], [true, "owner-dead"]);
  });
}

describe("leader lease on the filesystem", () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const fresh = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mlops-lease-"));
    dirs.push(dir);
    return ModelRegistry.open(dir);
  };
  leaseSuite(fresh);

  test("a holder whose renewals fail (a store outage) gives up when its lease runs out, before anyone could take over", async () => {
    const dir = await fresh();
    let failing = false;
    const inner = dir.storage;
    const storage: RegistryStorage = {
      url: inner.url,
      get: (k) => inner.get(k),
      put: (k: string, d: Buffer | string, c?: PutCondition) => (failing ? Promise.reject(new Error("connect ETIMEDOUT")) : inner.put(k, d, c)),
      list: (p) => inner.list(p),
      delete: (k) => inner.delete(k),
    };
    const holder = new LeaderLease(new ModelRegistry(storage), "churn", { leaseMs: 300 });
    assert.equal((await holder.tryAcquire()).acquired, true);
    failing = true;
    await new Promise((resolve, reject) => {
      holder.signal.addEventListener("abort", resolve, { once: true });
      setTimeout(() => reject(new Error("leadership was never given up")), 5000).unref();
    });
    assert.equal(holder.held, false);
    assert.match(String(holder.signal.reason), /not renewed in time|could not be renewed/);
  });

  test("renewal in the background keeps a lease held far past its length", async () => {
    const registry = await fresh();
    const holder = new LeaderLease(registry, "churn", { leaseMs: 900 });
    await holder.tryAcquire();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(holder.held, true);
    assert.equal(holder.signal.aborted, false);
    await holder.release();
    assert.equal(JSON.parse((await registry.storage.get("models/churn/controller/lease.json"))!.data.toString()).released, true);
  });

});

const motoSkip = motoUnavailable();
describe("leader lease on S3 (moto)", { skip: motoSkip === undefined ? false : `moto unavailable: ${motoSkip}` }, () => {
  let moto: LocalServer;
  let env: NodeJS.ProcessEnv;
  let n = 0;
  before(async () => {
    moto = await startMoto();
    env = { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: moto.endpoint, MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true" };
    Object.assign(process.env, env);
    const raw = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
    await raw.send(new CreateBucketCommand({ Bucket: "leases" }));
    raw.destroy();
  });
  after(() => moto?.stop());
  leaseSuite(async () => ModelRegistry.open(`s3://leases/t${++n}`));
});

const azuriteSkip = azuriteUnavailable();
describe("leader lease on Azure Blob (Azurite)", { skip: azuriteSkip === undefined ? false : `Azurite unavailable: ${azuriteSkip}` }, () => {
  let azurite: LocalServer;
  let n = 0;
  before(async () => {
    azurite = await startAzurite();
    process.env.AZURE_STORAGE_CONNECTION_STRING = azuriteConnectionString(azurite.endpoint);
    await BlobServiceClient.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient("leases").create();
  });
  after(() => azurite?.stop());
  leaseSuite(async () => ModelRegistry.open(`az://${AZURITE_ACCOUNT}/leases/t${++n}`));
});

describe("leader lease on GCS (local JSON-API fake)", () => {
  let gcs: FakeGcsServer;
  let n = 0;
  before(async () => {
    gcs = await startFakeGcs(["leases"]);
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
  });
  after(() => gcs?.stop());
  leaseSuite(async () => ModelRegistry.open(`gs://leases/t${++n}`));
});
