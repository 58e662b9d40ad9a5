import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { openDataStore } from "../../../runtime/src/data/data-store.ts";
import { createTableWriter } from "../../../runtime/src/data/dataset-writer.ts";
import { parseDatasetUrl } from "../../../runtime/src/data/dataset-url.ts";
import { readTable } from "../../../runtime/src/data/read-table.ts";
import type { Cell } from "../../../runtime/src/data/table.ts";
import { startFakeGcs, type FakeGcsServer } from "../../helpers/fake-gcs-server.ts";
import { AZURITE_ACCOUNT, azuriteConnectionString, azuriteUnavailable, type LocalServer, motoUnavailable, startAzurite, startMoto } from "../../helpers/object-store-servers.ts";
import { MLOPS_BIN, runMlops } from "../../helpers/run-cli.ts";
import { tinyRows, tinyTargets } from "../../helpers/tiny-models.ts";

/** One object store under test: where its datasets live and how to look at uploads in flight. */
interface Store {
  /** `s3://bucket`, `gs://bucket` or `az://account/container`. */
  base: string;
  env: NodeJS.ProcessEnv;
  /** Whether an upload of `key` has started but is not committed (an S3 multipart upload, Azure uncommitted blocks, a GCS upload request). */
  uploadInFlight(key: string): Promise<boolean>;
}

const trainingRows = (n: number, seed: number): Cell[][] => tinyRows(n, seed).map((r) => [r.x1, r.x2, r.color, tinyTargets(r).y]);
const csvRows = (n: number, seed: number) => tinyRows(n, seed).map((r) => `${r.x1},${r.x2},${r.color}`);

/** A CSV over loopback HTTP that sends `sendRows` rows and then holds the connection open, so a reader of it stays mid-run. */
async function stallingServer(totalRows: number, sendRows: number): Promise<{ url: string; sent: Promise<void>; stop(): Promise<void> }> {
  const lines = csvRows(totalRows, 99);
  let markSent: () => void = () => {};
  const sent = new Promise<void>((r) => (markSent = r));
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/csv" });
    if (req.method === "HEAD") return void res.end();
    res.write("x1,x2,color\n");
    for (let i = 0; i < sendRows; i += 10_000) res.write(`${lines.slice(i, Math.min(i + 10_000, sendRows)).join("\n")}\n`);
    markSent();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/big.csv`,
    sent,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function scenario(store: () => Store): void {
  let work: string;
  const url = (p: string) => `${store().base}/${p}`;
  const registry = () => url("registry");
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "mlops-os-datasets-"));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test("trains from a prefix of Parquet shards in the bucket and records their URLs, digest, schema and a snapshot", async () => {
    const env = store().env;
    for (const [i, seed] of [[0, 1], [1, 2]] as const) {
      const w = await createTableWriter(url(`train/part-${i}.parquet`), ["x1", "x2", "color", "y"], { env });
      await w.write(trainingRows(150, seed));
      await w.commit();
    }
    const config = path.join(work, "config.json");
    await writeFile(config, JSON.stringify({ name: "tiny", target: "y", network: { hiddenLayers: [8], epochs: 20, batchSize: 32, learningRate: 0.01 } }));
    const run = await runMlops(["train", "--data", url("train/"), "--config", config, "--registry", registry(), "--snapshot"], { env: { ...env, MLOPS_BACKEND: "cpu" } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /registered tiny version 1 \(champion\)/);
    const show = await runMlops(["models", "show", "tiny", "--json", "--registry", registry()], { env });
    assert.equal(show.code, 0, show.stderr);
    const v = (JSON.parse(show.stdout) as { versions: { dataset: Record<string, unknown> & { files: { url: string }[]; snapshot: { url: string; rows: number } } }[] }).versions[0]!;
    assert.equal(v.dataset.source, url("train/"));
    assert.deepEqual(v.dataset.files.map((f) => f.url), [url("train/part-0.parquet"), url("train/part-1.parquet")]);
    assert.equal(v.dataset.format, "parquet");
    assert.equal(v.dataset.rowsRead, 300);
    assert.deepEqual(v.dataset.schema, [
      { name: "x1", type: "number" },
      { name: "x2", type: "number" },
      { name: "color", type: "string" },
      { name: "y", type: "number" },
    ]);
    assert.ok(v.dataset.snapshot.url.startsWith(`${registry()}/datasets/sha256-`), v.dataset.snapshot.url);
    const copy = await readTable(v.dataset.snapshot.url, { env });
    const original = await readTable(url("train/"), { env });
    assert.deepEqual(copy.rows, original.rows, "the snapshot holds exactly the rows trained on");
    const text = await runMlops(["models", "show", "tiny", "--registry", registry()], { env });
    assert.match(text.stdout, /snapshot {2}\S+datasets\/sha256-[0-9a-f]{64}\.parquet \(300 rows/);
    assert.match(text.stdout, /retrain {3}mlops train --from tiny@1/);
  });

  test("predicts from one prefix to another, one output per shard, rejects beside them with line numbers", async () => {
    const env = store().env;
    const a = await createTableWriter(url("in/a.csv"), ["x1", "x2", "color"], { env });
    await a.write(tinyRows(50, 7).map((r) => [r.x1, r.x2, r.color]));
    await a.commit();
    const b = await createTableWriter(url("in/b.csv.gz"), ["x1", "x2", "color"], { env });
    await b.write([[0.5, 0.5, "red"], ["oops", 1, "blue"], [null, 1, "mauve"]]);
    await b.commit();
    const run = await runMlops(["predict", "--model", "tiny", "--data", url("in/"), "--out", url("out/"), "--on-error", "skip", "--registry", registry()], { env: { ...env, MLOPS_BACKEND: "cpu" } });
    assert.equal(run.code, 0, run.stderr);
    const outA = await readTable(url("out/a.csv"), { env });
    assert.deepEqual(outA.columns, ["x1", "x2", "color", "prediction"]);
    assert.equal(outA.rows.length, 50);
    const outB = await readTable(url("out/b.csv.gz"), { env });
    assert.equal(outB.rows.length, 2);
    const rejects = await readTable(url("out/_rejects-b.jsonl"), { env });
    assert.deepEqual(rejects.rows, [[3, 'feature "x1": expected a number, got "oops"', "oops,1,blue"]]);
    assert.match(run.stderr, /scored 52 rows with tiny version 1; rejected 1/);
    assert.match(run.stderr, /x1: 1 missing, imputed with the training mean/);
    assert.match(run.stderr, /color: 1 unseen categories \(out-of-vocabulary bucket\), e\.g\. "mauve"/);
  });

  test("drift between two files in the bucket", async () => {
    const env = store().env;
    const run = await runMlops(["drift", "--reference", url("train/part-0.parquet"), "--current", url("train/part-1.parquet"), "--json"], { env });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { drift: { columns: number }; columns: { name: string }[] };
    assert.deepEqual(result.columns.map((c) => c.name).sort(), ["color", "x1", "x2", "y"]);
    assert.equal(result.drift.columns, 4);
  });

  test("a predict killed mid-upload leaves nothing under the final name", async () => {
    const env = store().env;
    // 300k rows of output is ~10 MB: more than one 8 MiB part, so a multipart upload / staged block is in flight.
    const server = await stallingServer(300_000, 280_000);
    const child = spawn(process.execPath, [MLOPS_BIN, "predict", "--model", "tiny", "--data", server.url, "--out", url("killed/out.csv"), "--registry", registry()], {
      env: { ...process.env, ...env, MLOPS_BACKEND: "cpu" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      await server.sent;
      const deadline = Date.now() + 60_000;
      while (!(await store().uploadInFlight("killed/out.csv"))) {
        assert.equal(child.exitCode, null, `predict exited early: ${stderr}`);
        assert.ok(Date.now() < deadline, "no upload started within 60 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill("SIGKILL");
      await exited;
    } finally {
      child.kill("SIGKILL");
      await server.stop();
    }
    const location = parseDatasetUrl(url("killed/out.csv"));
    const ds = await openDataStore(location, env);
    assert.equal(await ds.stat("killed/out.csv"), undefined, "no object under the final name");
    assert.deepEqual((await ds.list("killed/")).map((o) => o.name), []);
  });
}

const motoSkip = motoUnavailable();
describe("datasets on S3 (moto)", { skip: motoSkip === undefined ? false : `moto unavailable: ${motoSkip}` }, () => {
  let moto: LocalServer;
  let env: NodeJS.ProcessEnv;
  let client: S3Client;
  before(async () => {
    moto = await startMoto();
    env = { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: moto.endpoint, MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true" };
    // The SDK's credential chain reads process.env itself (as the registry's S3 tests rely on too).
    Object.assign(process.env, env);
    client = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    await client.send(new CreateBucketCommand({ Bucket: "data" }));
  });
  after(async () => {
    client?.destroy();
    await moto?.stop();
  });
  scenario(() => ({
    base: "s3://data",
    env,
    uploadInFlight: async (key) => ((await client.send(new ListMultipartUploadsCommand({ Bucket: "data", Prefix: key }))).Uploads ?? []).length > 0,
  }));
});

const azuriteSkip = azuriteUnavailable();
describe("datasets on Azure Blob (Azurite)", { skip: azuriteSkip === undefined ? false : `Azurite unavailable: ${azuriteSkip}` }, () => {
  let azurite: LocalServer;
  let env: NodeJS.ProcessEnv;
  let service: BlobServiceClient;
  before(async () => {
    azurite = await startAzurite();
    env = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(azurite.endpoint) };
    service = BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING!);
    await service.getContainerClient("data").create();
  });
  after(async () => {
    await azurite?.stop();
  });
  scenario(() => ({
    base: `az://${AZURITE_ACCOUNT}/data`,
    env,
    uploadInFlight: async (key) => {
      try {
        const list = await service.getContainerClient("data").getBlockBlobClient(key).getBlockList("uncommitted");
        return (list.uncommittedBlocks ?? []).length > 0;
      } catch {
        return false;
      }
    },
  }));
});

describe("datasets on GCS (local JSON-API fake)", () => {
  let gcs: FakeGcsServer;
  before(async () => {
    gcs = await startFakeGcs(["data"]);
  });
  after(async () => {
    await gcs?.stop();
  });
  scenario(() => ({
    base: "gs://data",
    env: { STORAGE_EMULATOR_HOST: gcs.endpoint },
    uploadInFlight: async () => (gcs.requests.get("POST upload-started") ?? 0) > (gcs.requests.get("POST upload") ?? 0),
  }));
});
