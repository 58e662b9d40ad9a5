import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { MlopsError } from "../../../runtime/src/errors.ts";
import {
  AzureBlobStorage,
  FileSystemStorage,
  GcsStorage,
  ModelRegistry,
  type NewVersion,
  openRegistryStorage,
  S3Storage,
} from "../../../runtime/src/registry/index.ts";
import { startFakeGcs, type FakeGcsServer } from "../../helpers/fake-gcs-server.ts";
import {
  AZURITE_ACCOUNT,
  azuriteConnectionString,
  azuriteUnavailable,
  type LocalServer,
  motoUnavailable,
  startAzurite,
  startMoto,
} from "../../helpers/object-store-servers.ts";
import { runMlops } from "../../helpers/run-cli.ts";
import { storageConformance } from "../../helpers/storage-conformance.ts";

describe("FileSystemStorage passes the same conformance suite as the object stores", () => {
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  storageConformance(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mlops-conformance-fs-"));
    dirs.push(dir);
    return new FileSystemStorage(dir);
  });
});

describe("ModelRegistry.open with object-store URLs", () => {
  test("dispatches s3://, gs:// and az:// to their storages, with the URL in normal form", () => {
    const s3 = ModelRegistry.open("s3://models-bucket/registry/").storage;
    assert.ok(s3 instanceof S3Storage);
    assert.equal(s3.url, "s3://models-bucket/registry");
    const gs = ModelRegistry.open("gs://models_bucket.example.com").storage;
    assert.ok(gs instanceof GcsStorage);
    assert.equal(gs.url, "gs://models_bucket.example.com");
    const az = ModelRegistry.open("az://mlopsmodels/registry/team/a").storage;
    assert.ok(az instanceof AzureBlobStorage);
    assert.equal(az.url, "az://mlopsmodels/registry/team/a");
    assert.equal(az.prefix, "team/a/");
    assert.ok(openRegistryStorage("S3://models-bucket") instanceof S3Storage, "the scheme is case-insensitive");
  });

  test("rejects malformed locations with MLOPS_ERR_CONFIG_INVALID naming the location and every problem", () => {
    const cases: [string, RegExp[]][] = [
      ["s3://", [/bucket name is missing/]],
      ["s3:///registry", [/bucket name is missing/]],
      ["s3://My_Bucket/x", [/bucket name "My_Bucket" must be/]],
      ["s3://ab", [/bucket name "ab" must be/]],
      ["s3://bucket/a/../b", [/'\.\.' segment/]],
      ["s3://bucket/a//b", [/empty segment/]],
      ["gs://", [/bucket name is missing/]],
      ["gs://bucket/./x", [/'\.' segment/]],
      ["az://", [/storage account name is missing/, /container name is missing/]],
      ["az://account", [/container name is missing/]],
      ["az://account/", [/container name is missing/]],
      ["az://Bad-Account/Bad--Container", [/storage account name "Bad-Account" must be 3-24 lowercase letters and digits/, /container name "Bad--Container" must be/]],
      ["az://account/container/.tmp-x", [/reserved/]],
      ["s3://bucket/x?versionId=1", [/no query or fragment/]],
      ["ftp://host/registry", [/ftp:\/\/ is not a registry storage/]],
    ];
    for (const [location, patterns] of cases) {
      assert.throws(
        () => ModelRegistry.open(location),
        (err: unknown) => {
          assert.ok(err instanceof MlopsError, location);
          assert.equal(err.code, "MLOPS_ERR_CONFIG_INVALID", location);
          assert.ok(err.message.includes(`${location}: `), `${location} is named: ${err.message}`);
          for (const p of patterns) assert.match(err.message, p, location);
          return true;
        },
        location,
      );
    }
  });

  test("the CLI reports an unreachable store with MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE and the URL", async () => {
    const run = await runMlops(["models", "list", "--registry", "s3://models/registry"], {
      env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1", MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_MAX_ATTEMPTS: "1" },
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE/);
    assert.match(run.stderr, /s3:\/\/models\/registry failed to list "models\/"/);
  });

  test("opening a registry loads no cloud SDK; the first operation loads only its own", () => {
    const script = `
      import { registerHooks } from "node:module";
      const seen = new Set();
      registerHooks({ resolve(specifier, context, next) {
        const m = /^(@aws-sdk|@google-cloud|@azure)\\//.exec(specifier);
        if (m) seen.add(m[1]);
        return next(specifier, context);
      } });
      const { ModelRegistry } = await import(${JSON.stringify(new URL("../../../runtime/src/registry/index.ts", import.meta.url).href)});
      await import(${JSON.stringify(new URL("../../../runtime/src/cli/main.ts", import.meta.url).href)}).catch(() => {});
      for (const url of ["s3://b-1/p", "gs://b-1/p", "az://acct1/c-1/p"]) ModelRegistry.open(url);
      const before = [...seen];
      const s3 = ModelRegistry.open("s3://b-1/p");
      await s3.storage.list("").catch(() => {});
      console.log(JSON.stringify({ before, after: [...seen] }));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_MAX_ATTEMPTS: "1" },
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const { before, after } = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as { before: string[]; after: string[] };
    assert.deepEqual(before, []);
    assert.deepEqual(after, ["@aws-sdk"]);
  });
});

const version = (i: number, weights: Buffer): NewVersion => ({
  files: { "model.json": Buffer.from(JSON.stringify({ layers: [i] })), "weights.bin": weights },
  dataset: { digest: "d".repeat(64), rows: 100 + i, source: "data/train.csv" },
  backend: "cpu",
  config: { i },
  metrics: { loss: 1 / (i + 1) },
});

/** A registry's whole life on one store: versions with real files, aliases by CAS, racing writers, the CLI. */
function registryScenario(open: () => ModelRegistry, cli: () => { registry: string; env: NodeJS.ProcessEnv }): void {
  test("creates versions with their files, reads them back and lists them", async () => {
    const registry = open();
    const weights = randomBytes(300_000);
    const v1 = await registry.createVersion("churn", version(1, weights));
    assert.equal(v1.version, 1);
    const v2 = await registry.createVersion("churn", { ...version(2, weights), parent: 1 });
    assert.equal(v2.version, 2);
    const reader = open();
    assert.deepEqual(await reader.listModels(), ["churn"]);
    assert.deepEqual((await reader.listVersions("churn")).map((v) => [v.version, v.parent]), [[1, null], [2, 1]]);
    assert.ok((await reader.readFile("churn", 2, "weights.bin")).equals(weights));
    assert.deepEqual(JSON.parse((await reader.readFile("churn", 1, "model.json")).toString()), { layers: [1] });
    assert.deepEqual(await reader.getVersion("churn", 2), v2);
  });

  test("moves aliases by compare-and-swap without losing concurrent updates", async () => {
    const registry = open();
    await registry.createVersion("aliased", version(1, Buffer.from("w1")));
    await registry.createVersion("aliased", version(2, Buffer.from("w2")));
    assert.equal(await registry.aliasesEtag("aliased"), undefined);
    await registry.setAlias("aliased", "champion", 1);
    const etag1 = await registry.aliasesEtag("aliased");
    await registry.setAlias("aliased", "champion", 2);
    assert.notEqual(await registry.aliasesEtag("aliased"), etag1);
    assert.equal((await registry.resolve("aliased", "champion")).version, 2);
    await Promise.all(Array.from({ length: 6 }, (_, i) => open().setAlias("aliased", `canary-${i}`, 1 + (i % 2))));
    const aliases = await open().getAliases("aliased");
    assert.deepEqual(aliases, { champion: 2, "canary-0": 1, "canary-1": 2, "canary-2": 1, "canary-3": 2, "canary-4": 1, "canary-5": 2 });
    await registry.deleteAlias("aliased", "canary-0");
    assert.equal((await registry.getAliases("aliased"))["canary-0"], undefined);
  });

  test("concurrent createVersion calls from several registries get distinct numbers", async () => {
    const registries = Array.from({ length: 4 }, () => open());
    const created = await Promise.all(registries.flatMap((r, w) => Array.from({ length: 3 }, (_, i) => r.createVersion("raced", version(w * 10 + i, Buffer.from(`w${w}-${i}`))))));
    assert.deepEqual(created.map((v) => v.version).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
    const listed = await open().listVersions("raced");
    assert.equal(listed.length, 12);
    for (const v of listed) {
      const cfg = v.config as { i: number };
      assert.equal((await open().readFile("raced", v.version, "weights.bin")).toString(), `w${Math.floor(cfg.i / 10)}-${cfg.i % 10}`, `version ${v.version} holds its own writer's files`);
    }
  });

  test("`mlops models list --registry <url>` reads the store with the endpoint taken from the environment", async () => {
    const { registry, env } = cli();
    const run = await runMlops(["models", "list", "--json", "--registry", registry], { env });
    assert.equal(run.code, 0, run.stderr);
    const models = JSON.parse(run.stdout) as { name: string; versions: number; aliases: Record<string, number> }[];
    const churn = models.find((m) => m.name === "churn");
    assert.deepEqual(churn && { versions: churn.versions }, { versions: 2 });
    assert.deepEqual(models.find((m) => m.name === "aliased")?.aliases.champion, 2);
    const table = await runMlops(["models", "list", "--registry", registry], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /churn\s+2\s+2/);
  });
}

const motoSkip = motoUnavailable();
describe("ModelRegistry on S3 (moto)", { skip: motoSkip === undefined ? false : `moto S3 server unavailable: ${motoSkip}` }, () => {
  let moto: LocalServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    moto = await startMoto();
    env = { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: moto.endpoint, MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true" };
    Object.assign(process.env, env);
    const raw = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
    await raw.send(new CreateBucketCommand({ Bucket: "models" }));
    raw.destroy();
  });
  after(async () => {
    await moto?.stop();
  });
  registryScenario(
    () => ModelRegistry.open("s3://models/registry"),
    () => ({ registry: "s3://models/registry", env }),
  );
});

const azuriteSkip = azuriteUnavailable();
describe("ModelRegistry on Azure Blob (Azurite)", { skip: azuriteSkip === undefined ? false : `Azurite unavailable: ${azuriteSkip}` }, () => {
  let azurite: LocalServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    azurite = await startAzurite();
    env = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(azurite.endpoint) };
    Object.assign(process.env, env);
    await BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING as string).getContainerClient("models").create();
  });
  after(async () => {
    await azurite?.stop();
  });
  registryScenario(
    () => ModelRegistry.open(`az://${AZURITE_ACCOUNT}/models/registry`),
    () => ({ registry: `az://${AZURITE_ACCOUNT}/models/registry`, env }),
  );
});

describe("ModelRegistry on GCS (local JSON-API fake)", () => {
  let gcs: FakeGcsServer;
  before(async () => {
    gcs = await startFakeGcs(["models"]);
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
  });
  after(async () => {
    await gcs?.stop();
  });
  registryScenario(
    () => ModelRegistry.open("gs://models/registry"),
    () => ({ registry: "gs://models/registry", env: { STORAGE_EMULATOR_HOST: gcs.endpoint } }),
  );
});
