// Issue 17 items 2 and 3: a champion that cannot be loaded is replaced, loudly, by the newest intact
// aliased version (or an earlier champion); readiness is true only when every model the registry
// names is served, and an unreadable or emptied store keeps what is loaded.
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  FileSystemStorage,
  ModelRegistry,
  type PutCondition,
  type RegistryStorage,
  type StoredObject,
  appendEvent,
  listEvents,
  writeRollout,
} from "../../../runtime/src/registry/index.ts";
import { type ModelServer, createModelServer } from "../../../runtime/src/serve/server.ts";
import { runMlops } from "../../helpers/run-cli.ts";
import { waitFor } from "../../helpers/tiny-server.ts";
import { TINY_MODELS, tinyRows, trainAnotherVersion, trainTinyModels } from "../../helpers/tiny-models.ts";

const MODEL = TINY_MODELS.regression;
let template: string;
const dirs: string[] = [];

before(async () => {
  template = await mkdtemp(path.join(tmpdir(), "mlops-fallback-template-"));
  await trainTinyModels(path.join(template, "registry"));
  await trainAnotherVersion(path.join(template, "registry"), MODEL); // version 2, unpromoted
});
after(async () => {
  await Promise.all([template, ...dirs].map((d) => rm(d, { recursive: true, force: true })));
});

/** A registry storage whose reads and listings a test can break or intercept. */
class FaultyStorage implements RegistryStorage {
  readonly inner: FileSystemStorage;
  listFails: string | undefined;
  listsNothing = false;
  afterGet: ((key: string, got: StoredObject | undefined) => Promise<void>) | undefined;
  constructor(root: string) {
    this.inner = new FileSystemStorage(root);
  }
  get url(): string {
    return this.inner.url;
  }
  async get(key: string): Promise<StoredObject | undefined> {
    const got = await this.inner.get(key);
    await this.afterGet?.(key, got);
    return got;
  }
  put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    return this.inner.put(key, data, condition);
  }
  async list(prefix: string): Promise<string[]> {
    if (this.listFails) throw new Error(this.listFails);
    if (this.listsNothing) return [];
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

interface Setup {
  root: string;
  direct: ModelRegistry;
  storage: FaultyStorage;
  server: ModelServer;
  base: string;
}

const open: ModelServer[] = [];
after(async () => {
  for (const s of open) await s.close().catch(() => undefined);
});

/** A copy of the template registry, prepared by `arrange` before a server starts on it. */
async function setup(arrange: (direct: ModelRegistry, root: string, storage: FaultyStorage) => Promise<void> = async () => {}): Promise<Setup> {
  const dir = await mkdtemp(path.join(tmpdir(), "mlops-fallback-"));
  dirs.push(dir);
  const root = path.join(dir, "registry");
  await cp(path.join(template, "registry"), root, { recursive: true });
  const direct = ModelRegistry.open(root);
  const storage = new FaultyStorage(root);
  await arrange(direct, root, storage);
  const server = createModelServer(new ModelRegistry(storage, { onCorrupt: () => {} }), { port: 0, grpcPort: 0, inferenceGrpcPort: 0, pollIntervalMs: 50, monitorIntervalMs: 3_600_000, feedbackLogDir: path.join(dir, "log") });
  open.push(server);
  const base = await server.listen();
  return { root, direct, storage, server, base };
}

/** Overwrites an artifact with as many different bytes: its sha256 no longer matches version.json. */
async function corrupt(root: string, version: number, file = "weights.bin"): Promise<string> {
  const p = path.join(root, "models", MODEL, "versions", String(version), file);
  const bytes = await readFile(p);
  await writeFile(p, Buffer.alloc(bytes.length, 7));
  return `models/${MODEL}/versions/${version}/${file}`;
}

async function predict(base: string, ref = ""): Promise<{ status: number; version: string | null; body: { error?: string } }> {
  const res = await fetch(`${base}/v1/models/${MODEL}${ref}:predict`, { method: "POST", body: JSON.stringify({ instances: tinyRows(1, 3) }) });
  return { status: res.status, version: res.headers.get("x-mlops-model-version"), body: (await res.json()) as { error?: string } };
}

async function ready(base: string): Promise<{ status: number; body: { ready: boolean; degraded?: string[] } }> {
  const res = await fetch(`${base}/v2/health/ready`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; degraded?: string[] } };
}

describe("a champion that cannot be loaded", () => {
  test("falls back to the newest intact aliased version, with an error log, a gauge and a history event", async () => {
    let key = "";
    const { base, direct } = await setup(async (registry, root) => {
      await registry.setAlias(MODEL, "challenger", 2);
      key = await corrupt(root, 1);
    });
    const p = await predict(base);
    assert.equal(p.status, 200);
    assert.equal(p.version, "2");
    const r = await ready(base);
    assert.equal(r.status, 200, "the model is served");
    assert.match(r.body.degraded!.join("\n"), new RegExp(`model ${MODEL}: serving version 2 instead of version 1, which cannot be loaded: registry object ${key} is corrupt`));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, new RegExp(`mlops_serving_fallback\\{model="${MODEL}",wanted="1",version="2"\\} 1`));
    const event = (await listEvents(direct, MODEL)).find((e) => e.type === "serving-fallback");
    assert.ok(event, "the fallback is in the history");
    assert.deepEqual([event.version, event.champion, event.actor], [2, 1, "server"]);
    assert.match(event.reason, /version 1 \(champion\) cannot be loaded: .*; serving version 2 \(challenger\) instead/);
    const pinned = await predict(base, "/labels/champion");
    assert.equal(pinned.status, 503, "asking for the champion by name says why it is not there");
    assert.match(pinned.body.error!, /version 1 cannot be loaded: registry object .* is corrupt/);
  });

  test("without another aliased version, falls back to the most recent earlier champion in the history", async () => {
    const { base } = await setup(async (registry, root) => {
      await registry.setAlias(MODEL, "champion", 2);
      await appendEvent(registry, MODEL, { type: "alias-moved", version: 2, champion: 2, actor: "cli", reason: "champion moved by hand to version 2 (was 1)", details: { alias: "champion", from: 1 } });
      await corrupt(root, 2, "model.json");
    });
    const p = await predict(base);
    assert.deepEqual([p.status, p.version], [200, "1"]);
  });

  test("with nothing intact to fall back to, the model is not ready and says which object is corrupt", async () => {
    const { base } = await setup(async (_registry, root) => {
      await corrupt(root, 1);
    });
    const r = await ready(base);
    assert.equal(r.status, 400, "not ready: a model the registry names is not served");
    assert.match(r.body.degraded!.join("\n"), new RegExp(`model ${MODEL}: version 1 \\(champion\\) cannot be loaded: registry object models/${MODEL}/versions/1/weights.bin is corrupt`));
    const p = await predict(base);
    assert.equal(p.status, 503);
    // The other models are served all the same.
    const other = await fetch(`${base}/v1/models/${TINY_MODELS.binary}:predict`, { method: "POST", body: JSON.stringify({ instances: tinyRows(1, 3) }) });
    assert.equal(other.status, 200);
  });

  test("a running server whose alias moves 1 → 2 → 1 while it reads never keeps serving the stale version", async () => {
    const { base, storage, direct } = await setup();
    assert.equal((await predict(base)).version, "1");
    // The next read of aliases.json that sees champion 2 is followed, before the server reads
    // again, by a move back to 1: a server pairing one read's etag with another read's table
    // would then ignore the next real move.
    const aliasesKey = `models/${MODEL}/aliases.json`;
    let armed = true;
    storage.afterGet = async (key, got) => {
      if (!armed || key !== aliasesKey || !got || JSON.parse(got.data.toString()).aliases.champion !== 2) return;
      armed = false;
      await direct.setAlias(MODEL, "champion", 1);
    };
    await direct.setAlias(MODEL, "champion", 2);
    await waitFor(async () => !armed);
    await waitFor(async () => (await predict(base)).version === "1");
    await direct.setAlias(MODEL, "champion", 2);
    await waitFor(async () => (await predict(base)).version === "2", 5000);
  });
});

describe("readiness tells the truth", () => {
  test("a corrupt aliases.json at start: not ready, naming the file; other models serve; mlops models alias repairs it", async () => {
    const { base, root, server } = await setup(async (_registry, r) => {
      await writeFile(path.join(r, "models", MODEL, "aliases.json"), "{ not json");
    });
    const r = await ready(base);
    assert.equal(r.status, 400);
    assert.match(r.body.degraded!.join("\n"), new RegExp(`model ${MODEL}: registry object models/${MODEL}/aliases.json is corrupt: not valid JSON`));
    assert.equal((await fetch(`${base}/v1/models/${TINY_MODELS.binary}:predict`, { method: "POST", body: JSON.stringify({ instances: tinyRows(1, 3) }) })).status, 200);

    const list = await runMlops(["models", "list", "--registry", root]);
    assert.equal(list.code, 1, "a corrupt registry is reported as a failure");
    assert.match(list.stdout, new RegExp(`${MODEL}\\s+2\\s+2\\s+\\?\\s+CORRUPT \\(1\\)`));
    assert.match(list.stderr, /aliases\.json is corrupt: not valid JSON/);
    const repair = await runMlops(["models", "alias", MODEL, "champion", "1", "--registry", root]);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stderr, /aliases\.json of tiny-regression was corrupt .*replaced it with champion=1 and kept the old bytes as models\/tiny-regression\/quarantine\/aliases\.json\.\d+/);
    assert.equal((await readFile(path.join(root, "models", MODEL, "aliases.json"), "utf8")).includes('"champion": 1'), true);
    assert.equal((await runMlops(["models", "list", "--registry", root])).code, 0);
    await waitFor(async () => server.pool.ready);
    assert.equal((await predict(base)).version, "1");
  });

  test("a corrupt rollout.json at start: the champion serves alone, ready, with the problem reported", async () => {
    const { base } = await setup(async (registry, r) => {
      await registry.setAlias(MODEL, "challenger", 2);
      await writeFile(path.join(r, "models", MODEL, "rollout.json"), '{"mode": "canary", "weight": 7}');
    });
    const r = await ready(base);
    assert.equal(r.status, 200);
    assert.match(r.body.degraded!.join("\n"), /rollout\.json is corrupt: .*; keeping the champion-only traffic split until it is rewritten/);
    for (let i = 0; i < 10; i++) assert.equal((await predict(base)).version, "1");
  });

  test("an unreadable registry at start: not ready; once readable, ready", async () => {
    const { base, storage, server } = await setup(async (_registry, _root, s) => {
      s.listFails = "EACCES: permission denied, scandir '/registry/models'";
    });
    const r = await ready(base);
    assert.equal(r.status, 400);
    assert.match(r.body.degraded!.join("\n"), /cannot list the registry .*EACCES: permission denied/);
    storage.listFails = undefined;
    await waitFor(async () => server.pool.ready);
    assert.equal((await ready(base)).status, 200);
  });

  test("a store that comes back empty or unreadable keeps every loaded model serving and reports it", async () => {
    const { base, storage, server } = await setup();
    assert.equal((await ready(base)).status, 200);
    storage.listsNothing = true;
    await waitFor(async () => server.pool.status().degraded.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // several polls
    assert.equal((await predict(base)).status, 200, "still served");
    const r = await ready(base);
    assert.equal(r.status, 200);
    assert.match(r.body.degraded!.join("\n"), /lists no models; keeping the 3 model\(s\) loaded/);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /mlops_registry_unavailable 1/);
    storage.listsNothing = false;
    storage.listFails = "connect ETIMEDOUT";
    await waitFor(async () => server.pool.status().degraded.some((d) => d.includes("ETIMEDOUT")));
    assert.equal((await predict(base)).status, 200);
    storage.listFails = undefined;
    await waitFor(async () => server.pool.status().degraded.length === 0);
  });

  test("a rollout split written later still applies once rollout.json is readable again", async () => {
    const { base, direct } = await setup(async (registry) => {
      await registry.setAlias(MODEL, "challenger", 2);
    });
    await writeRollout(direct, MODEL, { mode: "canary", challenger: 2, weight: 1, reason: "test" });
    await waitFor(async () => (await predict(base)).version === "2");
  });
});

describe("models list and show report corruption", () => {
  test("a corrupt artifact of an aliased version fails list and show with the key named, and marks the version", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mlops-corrupt-cli-"));
    dirs.push(dir);
    const root = path.join(dir, "registry");
    await cp(path.join(template, "registry"), root, { recursive: true });
    const key = await corrupt(root, 1);
    await writeFile(path.join(root, "models", MODEL, "versions", "2", "version.json"), "{");
    const list = await runMlops(["models", "list", "--registry", root]);
    assert.equal(list.code, 1);
    assert.match(list.stdout, new RegExp(`${MODEL}\\s+1\\s+1\\s+champion=1\\s+CORRUPT \\(2\\)`));
    assert.match(list.stderr, new RegExp(`registry object ${key} is corrupt: its sha256 is`));
    assert.match(list.stderr, /versions\/2\/version\.json is corrupt: not valid JSON/);
    const show = await runMlops(["models", "show", MODEL, "--registry", root]);
    assert.equal(show.code, 1);
    assert.match(show.stdout, /^1\s+\S+\s+champion .*CORRUPT$/m);
    assert.match(show.stdout, /^2\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+CORRUPT$/m);
    const json = JSON.parse((await runMlops(["models", "show", MODEL, "--json", "--registry", root])).stdout);
    assert.deepEqual(Object.keys(json.corrupt), ["1", "2"]);
    assert.equal((await runMlops(["models", "list", "--registry", root.replace("registry", "nothing")])).code, 0);
    const healthy = await runMlops(["models", "show", TINY_MODELS.binary, "--registry", root]);
    assert.equal(healthy.code, 0, healthy.stderr);
  });
});
