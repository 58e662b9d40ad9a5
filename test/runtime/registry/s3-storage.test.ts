import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { MlopsError } from "../../../runtime/src/errors.ts";
import { PreconditionFailedError, S3Storage } from "../../../runtime/src/registry/index.ts";
import { type LocalServer, motoUnavailable, startFaultProxy, startMoto } from "../../helpers/object-store-servers.ts";
import { storageConformance } from "../../helpers/storage-conformance.ts";

const skip = motoUnavailable();

describe("S3Storage against moto", { skip: skip === undefined ? false : `moto S3 server unavailable: ${skip}` }, () => {
  let moto: LocalServer;
  let env: NodeJS.ProcessEnv;
  let raw: S3Client;
  let n = 0;
  before(async () => {
    moto = await startMoto();
    env = {
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      MLOPS_S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    };
    // The SDK's credential chain reads process.env; the dummy keys above are what moto accepts.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true" });
    raw = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
    await raw.send(new CreateBucketCommand({ Bucket: "registry-bucket" }));
  });
  after(async () => {
    raw?.destroy();
    await moto?.stop();
  });

  describe("conformance", () => {
    storageConformance(async ({ pageSize }) => new S3Storage(`s3://registry-bucket/conformance/t${++n}`, { env, pageSize }));
  });

  describe("through a fault-injecting proxy", () => {
    const s3Error = (status: number, code: string) => ({
      status,
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected ${code}</Message></Error>`,
    });
    const isConditionalPut = (r: { method: string; headers: Record<string, unknown> }) =>
      r.method === "PUT" && (r.headers["if-none-match"] !== undefined || r.headers["if-match"] !== undefined);

    test("retries a conditional put that S3 answers 409 ConditionalRequestConflict, then applies the real outcome", async () => {
      const proxy = await startFaultProxy(moto.endpoint);
      try {
        const storage = new S3Storage("s3://registry-bucket/conflict", { env: { ...env, AWS_ENDPOINT_URL_S3: proxy.endpoint } });
        let conflicts = 2;
        let conditionalPuts = 0;
        proxy.rule = (r) => {
          if (!isConditionalPut(r)) return { kind: "forward" };
          conditionalPuts++;
          return conflicts-- > 0 ? { kind: "reply", ...s3Error(409, "ConditionalRequestConflict") } : { kind: "forward" };
        };
        const etag = await storage.put("claims/1", "mine", { ifNoneMatch: "*" });
        assert.equal(conditionalPuts, 3, "two 409s, then the write");
        assert.deepEqual(await storage.get("claims/1"), { data: Buffer.from("mine"), etag });
        conflicts = 1;
        await assert.rejects(storage.put("claims/1", "theirs", { ifNoneMatch: "*" }), PreconditionFailedError, "after the 409 the retry meets the existing key");
        proxy.rule = (r) => (isConditionalPut(r) ? { kind: "reply", ...s3Error(409, "ConditionalRequestConflict") } : { kind: "forward" });
        await assert.rejects(storage.put("claims/2", "x", { ifNoneMatch: "*" }), PreconditionFailedError, "persistent conflicts end as a failed precondition");
      } finally {
        await proxy.stop();
      }
    });

    test("a conditional put whose response is lost and retried by the SDK still counts as this writer's", async () => {
      const proxy = await startFaultProxy(moto.endpoint);
      try {
        const storage = new S3Storage("s3://registry-bucket/lost", { env: { ...env, AWS_ENDPOINT_URL_S3: proxy.endpoint } });
        let lose = 1;
        let conditionalPuts = 0;
        proxy.rule = (r) => {
          if (!isConditionalPut(r)) return { kind: "forward" };
          conditionalPuts++;
          return lose-- > 0 ? { kind: "forward-then-reply", ...s3Error(500, "InternalError") } : { kind: "forward" };
        };
        const etag = await storage.put("claims/1", "mine", { ifNoneMatch: "*" });
        assert.equal(conditionalPuts, 2, "the SDK retried once and the retry met the object it had written");
        assert.deepEqual(await storage.get("claims/1"), { data: Buffer.from("mine"), etag });
        lose = 1;
        const cas = await storage.put("claims/1", "mine-2", { ifMatch: etag });
        assert.equal((await storage.get("claims/1"))?.etag, cas);
        await assert.rejects(storage.put("claims/1", "theirs", { ifMatch: etag }), PreconditionFailedError, "a stale etag still fails");
      } finally {
        await proxy.stop();
      }
    });
  });

  test("keeps every key under the URL's prefix and reports the URL in normal form", async () => {
    const storage = new S3Storage("s3://registry-bucket/team-a/registry/", { env });
    assert.equal(storage.url, "s3://registry-bucket/team-a/registry");
    assert.equal(storage.prefix, "team-a/registry/");
    await storage.put("models/x", "1");
    const sibling = new S3Storage("s3://registry-bucket/team-a/registry-2", { env });
    await sibling.put("models/y", "2");
    assert.deepEqual(await storage.list(""), ["models/x"]);
    assert.deepEqual(await sibling.list(""), ["models/y"]);
    const whole = new S3Storage("s3://registry-bucket", { env });
    assert.equal(whole.url, "s3://registry-bucket");
    const all = await whole.list("team-a/");
    assert.ok(all.includes("team-a/registry/models/x") && all.includes("team-a/registry-2/models/y"), all.join(","));
  });

  test("skips folder markers and names a filesystem could not hold when listing", async () => {
    const storage = new S3Storage("s3://registry-bucket/markers", { env });
    await storage.put("models/a/aliases.json", "{}");
    for (const Key of ["markers/models/", "markers/models/a/", "markers/models//double", "markers/models/.tmp-123"]) {
      await raw.send(new PutObjectCommand({ Bucket: "registry-bucket", Key, Body: Buffer.alloc(0), ContentLength: 0 }));
    }
    assert.deepEqual(await storage.list(""), ["models/a/aliases.json"]);
  });

  test("returns etags as S3 does, quotes included, and accepts them back for compare-and-swap", async () => {
    const storage = new S3Storage("s3://registry-bucket/etags", { env });
    const etag = await storage.put("k", "hello");
    assert.equal(etag, '"5d41402abc4b2a76b9719d911017c592"', "S3's etag of a single-part upload is the quoted MD5");
    await storage.put("k", "world", { ifMatch: etag });
  });

  test("reads the endpoint, region and path-style setting from the process environment by default", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: moto.endpoint, AWS_DEFAULT_REGION: "eu-west-1", MLOPS_S3_FORCE_PATH_STYLE: "true" });
    delete process.env.AWS_REGION;
    try {
      const storage = new S3Storage("s3://registry-bucket/from-env");
      await storage.put("k", "v");
      assert.equal((await storage.get("k"))?.data.toString(), "v");
    } finally {
      process.env = saved;
    }
  });

  test("a missing bucket fails with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE naming the URL, operation, key and S3's reason", async () => {
    const storage = new S3Storage("s3://no-such-bucket/reg", { env });
    await assert.rejects(storage.put("models/x/claims/1", "c", { ifNoneMatch: "*" }), (err: unknown) => {
      assert.ok(err instanceof MlopsError);
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
      assert.equal(err.status, 503);
      assert.match(err.message, /s3:\/\/no-such-bucket\/reg failed to put "models\/x\/claims\/1": .*bucket/i);
      return true;
    });
    await assert.rejects(storage.list("models/"), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE" && /failed to list/.test(err.message));
    await assert.rejects(storage.get("k"), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE" && /failed to get "k"/.test(err.message));
  });

  test("an unreachable endpoint fails with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE, not a hang", async () => {
    const storage = new S3Storage("s3://registry-bucket/reg", { env: { ...env, AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1" } });
    await assert.rejects(storage.get("k"), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE" && err.message.includes("s3://registry-bucket/reg"));
  });
});
