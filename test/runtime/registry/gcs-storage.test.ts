import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MlopsError } from "../../../runtime/src/errors.ts";
import { GcsStorage, PreconditionFailedError } from "../../../runtime/src/registry/index.ts";
import { type FakeGcsServer, startFakeGcs } from "../../helpers/fake-gcs-server.ts";
import { storageConformance } from "../../helpers/storage-conformance.ts";

// No GCS emulator is installable here: these run the real @google-cloud/storage client against
// test/helpers/fake-gcs-server.ts, which implements the JSON-API calls GcsStorage makes with GCS's
// documented precondition and generation semantics. Authentication and resumable uploads are not covered.
describe("GcsStorage against a local GCS JSON-API fake", () => {
  let gcs: FakeGcsServer;
  let env: NodeJS.ProcessEnv;
  let n = 0;
  before(async () => {
    gcs = await startFakeGcs(["registry-bucket"]);
    env = { STORAGE_EMULATOR_HOST: gcs.endpoint };
  });
  after(async () => {
    await gcs?.stop();
  });

  describe("conformance", () => {
    storageConformance(async ({ pageSize }) => new GcsStorage(`gs://registry-bucket/conformance/t${++n}`, { env, pageSize }));
  });

  test("etags are generations: a create-only write sends ifGenerationMatch=0, a CAS the generation read", async () => {
    const storage = new GcsStorage("gs://registry-bucket/generations", { env });
    const g1 = await storage.put("k", "one", { ifNoneMatch: "*" });
    assert.match(g1, /^[1-9][0-9]*$/);
    const g2 = await storage.put("k", "two", { ifMatch: g1 });
    assert.ok(BigInt(g2) > BigInt(g1), "a new write gets a higher generation");
    assert.equal((await storage.get("k"))?.etag, g2);
    await assert.rejects(storage.put("k", "x", { ifMatch: '"not-a-generation"' }), PreconditionFailedError);
  });

  test("a create-only upload whose response is lost and retried by the SDK still counts as this writer's", async () => {
    const storage = new GcsStorage("gs://registry-bucket/lost-response", { env });
    gcs.loseUploadResponses(1);
    const before = gcs.requests.get("POST upload") ?? 0;
    const etag = await storage.put("claims/1", "mine", { ifNoneMatch: "*" });
    assert.equal((gcs.requests.get("POST upload") ?? 0) - before, 2, "the SDK retried the upload once, and the retry got 412");
    assert.deepEqual(await storage.get("claims/1"), { data: Buffer.from("mine"), etag });
    await assert.rejects(storage.put("claims/1", "theirs", { ifNoneMatch: "*" }), PreconditionFailedError, "another writer still loses");
  });

  test("keeps every key under the URL's prefix and reports the URL in normal form", async () => {
    const storage = new GcsStorage("gs://registry-bucket/team-a/registry/", { env });
    assert.equal(storage.url, "gs://registry-bucket/team-a/registry");
    await storage.put("models/x", "1");
    assert.deepEqual(await new GcsStorage("gs://registry-bucket/team-a", { env }).list(""), ["registry/models/x"]);
  });

  test("a missing bucket fails with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE naming the URL, operation and key", async () => {
    const storage = new GcsStorage("gs://no-such-bucket/reg", { env });
    await assert.rejects(storage.put("models/m/claims/1", "c", { ifNoneMatch: "*" }), (err: unknown) => {
      assert.ok(err instanceof MlopsError);
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
      assert.match(err.message, /gs:\/\/no-such-bucket\/reg failed to put "models\/m\/claims\/1": .*not found/i);
      return true;
    });
    await assert.rejects(storage.list(""), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
  });
});
