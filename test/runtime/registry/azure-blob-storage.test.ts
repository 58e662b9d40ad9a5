import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { MlopsError } from "../../../runtime/src/errors.ts";
import { AzureBlobStorage, PreconditionFailedError } from "../../../runtime/src/registry/index.ts";
import { AZURITE_ACCOUNT, azuriteConnectionString, azuriteUnavailable, type LocalServer, startAzurite, startFaultProxy } from "../../helpers/object-store-servers.ts";
import { storageConformance } from "../../helpers/storage-conformance.ts";

const skip = azuriteUnavailable();

describe("AzureBlobStorage against Azurite", { skip: skip === undefined ? false : `Azurite unavailable: ${skip}` }, () => {
  let azurite: LocalServer;
  let env: NodeJS.ProcessEnv;
  let container: ContainerClient;
  let n = 0;
  before(async () => {
    azurite = await startAzurite();
    env = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(azurite.endpoint) };
    container = BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING as string).getContainerClient("registry");
    await container.create();
  });
  after(async () => {
    await azurite?.stop();
  });

  describe("conformance", () => {
    storageConformance(async ({ pageSize }) => new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/registry/conformance/t${++n}`, { env, pageSize }));
  });

  test("keeps every key under the URL's prefix and reports the URL in normal form", async () => {
    const storage = new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/registry/team-a/`, { env });
    assert.equal(storage.url, `az://${AZURITE_ACCOUNT}/registry/team-a`);
    assert.equal(storage.account, AZURITE_ACCOUNT);
    assert.equal(storage.container, "registry");
    await storage.put("models/x", "1");
    assert.ok((await container.getBlobClient("team-a/models/x").exists()), "stored as team-a/models/x");
    assert.deepEqual(await storage.list(""), ["models/x"]);
  });

  test("skips folder markers and names a filesystem could not hold when listing", async () => {
    const storage = new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/registry/markers`, { env });
    await storage.put("models/a/aliases.json", "{}");
    for (const name of ["markers/models/a/.lock-aliases.json", "markers/models/.tmp-1-2"]) await container.getBlockBlobClient(name).upload("", 0);
    assert.deepEqual(await storage.list(""), ["models/a/aliases.json"]);
  });

  test("uses MLOPS_AZURE_BLOB_ENDPOINT with the connection string's shared key", async () => {
    const withEndpoint = {
      MLOPS_AZURE_BLOB_ENDPOINT: `${azurite.endpoint}/${AZURITE_ACCOUNT}/`,
      AZURE_STORAGE_CONNECTION_STRING: (env.AZURE_STORAGE_CONNECTION_STRING as string).replace(/BlobEndpoint=[^;]*;/, "BlobEndpoint=http://127.0.0.1:1/nowhere;"),
    };
    const storage = new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/registry/endpoint-env`, { env: withEndpoint });
    await storage.put("k", "v", { ifNoneMatch: "*" });
    assert.equal((await storage.get("k"))?.data.toString(), "v");
  });

  test("a conditional put whose response is lost and retried by the SDK still counts as this writer's", async () => {
    const proxy = await startFaultProxy(azurite.endpoint);
    try {
      const viaProxy = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(proxy.endpoint) };
      const storage = new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/registry/lost`, { env: viaProxy });
      let lose = 1;
      let conditionalPuts = 0;
      proxy.rule = (r) => {
        if (r.method !== "PUT" || (r.headers["if-none-match"] === undefined && r.headers["if-match"] === undefined)) return { kind: "forward" };
        conditionalPuts++;
        return lose-- > 0
          ? { kind: "forward-then-reply", status: 503, headers: { "x-ms-error-code": "ServerBusy" }, body: "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>injected</Message></Error>" }
          : { kind: "forward" };
      };
      const etag = await storage.put("claims/1", "mine", { ifNoneMatch: "*" });
      assert.equal(conditionalPuts, 2, "the SDK retried once and the retry met the blob it had written");
      assert.deepEqual(await storage.get("claims/1"), { data: Buffer.from("mine"), etag });
      await assert.rejects(storage.put("claims/1", "theirs", { ifNoneMatch: "*" }), PreconditionFailedError, "another writer still loses");
    } finally {
      await proxy.stop();
    }
  });

  test("a connection string for another account fails with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE", async () => {
    const storage = new AzureBlobStorage("az://otheraccount/registry/x", { env });
    await assert.rejects(storage.get("k"), (err: unknown) => {
      assert.ok(err instanceof MlopsError);
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
      assert.match(err.message, /az:\/\/otheraccount\/registry\/x failed to get "k": .*devstoreaccount1/);
      return true;
    });
  });

  test("a missing container fails with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE naming the operation and key", async () => {
    const storage = new AzureBlobStorage(`az://${AZURITE_ACCOUNT}/no-such-container`, { env });
    await assert.rejects(storage.put("models/m/claims/1", "c", { ifNoneMatch: "*" }), (err: MlopsError) => {
      assert.equal(err.code, "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
      assert.match(err.message, /failed to put "models\/m\/claims\/1": .*container/i);
      return true;
    });
    await assert.rejects(storage.list(""), (err: MlopsError) => err.code === "MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE");
  });
});
