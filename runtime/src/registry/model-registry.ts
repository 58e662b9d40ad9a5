import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { type MlopsError, mlopsError } from "../errors.ts";
import { formatAliasesFile, parseAliasesFile } from "./aliases-file.ts";
import { openRegistryStorage } from "./open-registry-storage.ts";
import { FileSystemStorage } from "./file-system-storage.ts";
import { quarantine } from "./quarantine.ts";
import { isVersionNumber, parseVersionNumber, registryLayout as keys } from "./registry-layout.ts";
import { assertAliasName, assertFileName, assertModelName, isModelName, MANIFEST_FILE } from "./registry-names.ts";
import { PreconditionFailedError, type RegistryStorage } from "./storage.ts";
import { assertNewVersionMetadata, type NewVersion, parseVersionMetadata, type VersionFile, type VersionMetadata } from "./version-metadata.ts";

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  /** Clock for `createdAt`. @default () => new Date() */
  now?: () => Date;
  /**
   * Called for each version `listVersions` skips because its `version.json` is corrupt.
   * @default - emits a process warning with the error's code and message
   */
  onCorrupt?: (error: MlopsError) => void;
}

/** Default registry location, resolved against the working directory. */
export const DEFAULT_REGISTRY_LOCATION = ".mlops/registry";

/** How many numbers `createVersion` tries to claim before giving up. */
const CLAIM_ATTEMPTS = 100;
/** How many compare-and-swap rounds an alias update tries before giving up. */
const ALIAS_ATTEMPTS = 50;
/** Manifests read at once by `listVersions`. */
const READ_CONCURRENCY = 16;

/**
 * Model versions with their artifacts and lineage, and movable aliases (champion, challenger),
 * on any {@link RegistryStorage}.
 *
 * Every write is safe against crashes and concurrent writers in other processes or machines:
 * a version number is taken by a create-only write of `models/<model>/claims/<n>` (a writer that
 * loses the race tries n+1), artifacts go to `models/<model>/versions/<n>/`, and the version
 * becomes visible only when its `version.json` manifest, written last and create-only, exists.
 * A crash leaves at most an orphan claim and artifacts no reader sees; its number is skipped,
 * never reused. Orphans are not removed automatically, since a slow writer may still be uploading.
 * `aliases.json` is updated by compare-and-swap on its etag, retried on conflict.
 */
export class ModelRegistry {
  /** Where the objects live. */
  readonly storage: RegistryStorage;
  readonly #now: () => Date;
  readonly #onCorrupt: (error: MlopsError) => void;

  /** A registry on `storage`; see {@link ModelRegistry.open} to open one by location. */
  constructor(storage: RegistryStorage, options: ModelRegistryOptions = {}) {
    this.storage = storage;
    this.#now = options.now ?? (() => new Date());
    this.#onCorrupt = options.onCorrupt ?? ((error) => process.emitWarning(error.message, { code: error.code }));
  }

  /**
   * Opens the registry at a location, by default `.mlops/registry` under the working directory:
   * a directory path or `file://` URL, `s3://bucket[/prefix]`, `gs://bucket[/prefix]` or
   * `az://account/container[/prefix]` (see {@link openRegistryStorage} for each store's settings).
   * Throws MLOPS_ERR_CONFIG_INVALID for a malformed location.
   */
  static open(location: string = DEFAULT_REGISTRY_LOCATION, options: ModelRegistryOptions = {}): ModelRegistry {
    return new ModelRegistry(openRegistryStorage(location), options);
  }

  /** Names of the models with at least one version manifest (complete version), sorted; reads no manifest. */
  async listModels(): Promise<string[]> {
    const models = new Set<string>();
    for (const key of await this.storage.list(keys.models)) {
      const [, model, versions, n, file, more] = key.split("/");
      if (model === undefined || !isModelName(model) || versions !== "versions" || more !== undefined) continue;
      if (file === MANIFEST_FILE && n !== undefined && parseVersionNumber(n) !== undefined) models.add(model);
    }
    return [...models].sort();
  }

  /**
   * A model's complete versions, ascending. A version whose `version.json` is corrupt is skipped
   * and reported to `options.onCorrupt`, so one bad version does not hide the others; reading it
   * directly throws MLOPS_ERR_REGISTRY_CORRUPT. Throws MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND when the
   * model has no complete version.
   */
  async listVersions(model: string): Promise<VersionMetadata[]> {
    assertModelName(model);
    const numbers = await this.#versionNumbers(model);
    if (numbers.length === 0) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    const found = await mapLimit(numbers, READ_CONCURRENCY, async (n) => {
      try {
        return await this.#readManifest(model, n);
      } catch (err) {
        if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
        this.#onCorrupt(err as MlopsError);
        return undefined;
      }
    });
    return found.filter((v): v is VersionMetadata => v !== undefined);
  }

  /**
   * One version's metadata. Throws MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND (or _MODEL_NOT_FOUND when
   * the model has no version at all), or MLOPS_ERR_REGISTRY_CORRUPT when its `version.json` is.
   */
  async getVersion(model: string, version: number): Promise<VersionMetadata> {
    assertModelName(model);
    if (!isVersionNumber(version)) throw await this.#versionNotFound(model, version);
    const meta = await this.#readManifest(model, version);
    if (meta === undefined) throw await this.#versionNotFound(model, version);
    return meta;
  }

  /**
   * An artifact's bytes, checked against the size and sha256 in `version.json`: a mismatch or a
   * missing object throws MLOPS_ERR_REGISTRY_CORRUPT naming the key.
   */
  async readFile(model: string, version: number, file: string): Promise<Buffer> {
    assertFileName(file);
    const meta = await this.getVersion(model, version);
    const expected = Object.hasOwn(meta.files, file) ? meta.files[file] : undefined;
    if (expected === undefined) {
      throw mlopsError("MLOPS_ERR_REGISTRY_FILE_NOT_FOUND", { model, version, file, available: Object.keys(meta.files) });
    }
    const key = keys.artifact(model, version, file);
    const object = await this.storage.get(key);
    if (object === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `it is missing but listed in ${MANIFEST_FILE}` });
    if (object.data.length !== expected.bytes) {
      throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `it has ${object.data.length} bytes, ${MANIFEST_FILE} says ${expected.bytes}` });
    }
    const sha256 = sha256Of(object.data);
    if (sha256 !== expected.sha256) {
      throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `its sha256 is ${sha256}, ${MANIFEST_FILE} says ${expected.sha256}` });
    }
    return object.data;
  }

  /**
   * Registers a new version under the next free number (1, 2, ...; numbers left by crashed writers
   * are skipped) and returns its metadata. The version is invisible to readers until complete.
   * If uploading fails, the artifacts already written are deleted (best effort); the number stays used.
   */
  async createVersion(model: string, v: NewVersion): Promise<VersionMetadata> {
    assertModelName(model);
    assertNewVersionMetadata(v);
    const entries = Object.entries(v.files);
    const files: Record<string, VersionFile> = {};
    for (const [name, data] of entries) {
      assertFileName(name);
      if (!Buffer.isBuffer(data)) throw new TypeError(`invalid new version: files.${name} must be a Buffer`);
      files[name] = { sha256: sha256Of(data), bytes: data.length };
    }
    const parent = v.parent ?? null;
    if (parent !== null) await this.getVersion(model, parent);
    // Serialise before claiming so a config that is not JSON cannot burn a number.
    const draft = {
      parent,
      dataset: structuredClone(v.dataset),
      backend: v.backend,
      config: v.config ?? null,
      metrics: v.metrics,
      files,
      ...(v.tuning === undefined ? {} : { tuning: structuredClone(v.tuning) }),
      ...(v.extra === undefined ? {} : { extra: v.extra }),
    };
    JSON.stringify(draft);

    const version = await this.#claimNextNumber(model);
    const meta: VersionMetadata = { model, version, createdAt: this.#now().toISOString(), ...draft };
    const written: string[] = [];
    try {
      for (const [name, data] of entries) {
        const key = keys.artifact(model, version, name);
        written.push(key);
        await this.storage.put(key, data);
      }
      const manifest = keys.manifest(model, version);
      const bytes = Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, "utf8");
      try {
        await this.storage.put(manifest, bytes, { ifNoneMatch: "*" });
      } catch (err) {
        // Only a writer ignoring claims could have written it.
        if (err instanceof PreconditionFailedError) throw mlopsError("MLOPS_ERR_REGISTRY_CONFLICT", { key: manifest, attempts: 1 }, { cause: err });
        // A failure reported after the manifest landed (a directory fsync on a full disk, a lost
        // response): the version is visible, so it is registered, and saying otherwise would
        // leave a version nobody knows about. Only when it is absent did the write fail.
        const landed = await this.storage.get(manifest).catch(() => undefined);
        if (landed === undefined || !landed.data.equals(bytes)) throw err;
      }
    } catch (err) {
      await Promise.all(written.map((key) => this.storage.delete(key).catch(() => undefined)));
      throw err;
    }
    return meta;
  }

  /** A model's aliases (alias → version). Throws MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND for an unknown model. */
  async getAliases(model: string): Promise<Record<string, number>> {
    return (await this.readAliases(model)).aliases;
  }

  /**
   * A model's aliases and the etag of exactly those bytes (`undefined` when no alias was ever
   * set), from one read: a poller comparing etags must never pair one table with another's etag.
   * Throws MLOPS_ERR_REGISTRY_CORRUPT when `aliases.json` is unreadable, MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND
   * for an unknown model.
   */
  async readAliases(model: string): Promise<{ aliases: Record<string, number>; etag: string | undefined }> {
    assertModelName(model);
    const key = keys.aliases(model);
    const object = await this.storage.get(key);
    if (object === undefined) {
      if (!(await this.#modelExists(model))) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
      return { aliases: {}, etag: undefined };
    }
    return { aliases: parseAliasesFile(object.data, key), etag: object.etag };
  }

  /**
   * Points `alias` at `version`, creating or moving it. The version must exist. An unreadable
   * `aliases.json` makes this throw MLOPS_ERR_REGISTRY_CORRUPT, unless `options.replaceCorrupt`
   * names who repairs it: then its bytes are quarantined (see {@link quarantine}) and replaced, by
   * compare-and-swap on the corrupt bytes, with a table holding only this alias; the result says
   * what was replaced.
   */
  async setAlias(model: string, alias: string, version: number, options: { replaceCorrupt?: { actor: string } } = {}): Promise<{ replacedCorrupt?: { reason: string; copy: string } }> {
    assertModelName(model);
    assertAliasName(alias);
    await this.getVersion(model, version);
    return this.#updateAliases(model, (aliases) => (aliases[alias] === version ? undefined : { ...aliases, [alias]: version }), options.replaceCorrupt);
  }

  /** Removes `alias`. Throws MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND when it is not set. */
  async deleteAlias(model: string, alias: string): Promise<void> {
    assertModelName(model);
    assertAliasName(alias);
    await this.#updateAliases(model, async (aliases, exists) => {
      if (!Object.hasOwn(aliases, alias)) {
        if (!exists && !(await this.#modelExists(model))) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
        throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model, alias });
      }
      const { [alias]: _removed, ...rest } = aliases;
      return rest;
    });
  }

  /**
   * The version a reference names: a version number, a numeric string (`"3"`), or an alias
   * (`"champion"`). Throws the matching *_NOT_FOUND error.
   */
  async resolve(model: string, ref: number | string): Promise<VersionMetadata> {
    assertModelName(model);
    if (typeof ref === "number") return this.getVersion(model, ref);
    if (/^[0-9]+$/.test(ref)) return this.getVersion(model, Number(ref));
    assertAliasName(ref);
    const aliases = await this.getAliases(model);
    const version = Object.hasOwn(aliases, ref) ? aliases[ref] : undefined;
    if (version === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model, alias: ref });
    return this.getVersion(model, version);
  }

  /**
   * Etag of the model's alias table, `undefined` when no alias was ever set: a cheap way for a
   * server polling for a new champion to tell whether anything changed.
   */
  async aliasesEtag(model: string): Promise<string | undefined> {
    assertModelName(model);
    return (await this.storage.get(keys.aliases(model)))?.etag;
  }

  /**
   * Reads a version's manifest and every artifact it lists, checking sizes and sha256: the
   * problems found (one line each, naming the key), empty when the version is intact.
   */
  async verifyVersion(model: string, version: number): Promise<string[]> {
    let meta: VersionMetadata;
    try {
      meta = await this.getVersion(model, version);
    } catch (err) {
      if ((err as MlopsError).code === "MLOPS_ERR_REGISTRY_CORRUPT") return [(err as MlopsError).message];
      throw err;
    }
    const problems: string[] = [];
    for (const file of Object.keys(meta.files)) {
      try {
        await this.readFile(model, version, file);
      } catch (err) {
        if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
        problems.push((err as MlopsError).message);
      }
    }
    return problems;
  }

  /** Numbers of the versions whose manifest exists (intact or not), ascending; no manifest is read. */
  async versionNumbers(model: string): Promise<number[]> {
    assertModelName(model);
    return this.#versionNumbers(model);
  }

  /**
   * Fails fast, before a long run, when the registry cannot take a new version of `model`:
   * overwrites a small probe object (MLOPS_ERR_REGISTRY_IO or _STORAGE_UNAVAILABLE naming the
   * path when that fails) and, on a filesystem, checks the volume has at least `minFreeBytes` free.
   */
  async checkWritable(model: string, minFreeBytes: number = MIN_FREE_BYTES): Promise<void> {
    assertModelName(model);
    const storage = this.storage;
    if (storage instanceof FileSystemStorage) {
      const free = await storage.freeBytes(keys.model(model));
      if (free !== undefined && free < minFreeBytes) {
        throw mlopsError("MLOPS_ERR_REGISTRY_IO", {
          url: storage.url,
          operation: "write a new version to",
          path: storage.rootDir,
          reason: `only ${formatBytes(free)} free on its volume; at least ${formatBytes(minFreeBytes)} is needed`,
        });
      }
    }
    await storage.put(keys.writeProbe, `${JSON.stringify({ model, host: hostname(), pid: process.pid, time: this.#now().toISOString() })}\n`);
  }

  async #readManifest(model: string, version: number): Promise<VersionMetadata | undefined> {
    const key = keys.manifest(model, version);
    const object = await this.storage.get(key);
    return object === undefined ? undefined : parseVersionMetadata(object.data, key, model, version);
  }

  /** Numbers of the versions whose manifest exists, ascending. */
  async #versionNumbers(model: string): Promise<number[]> {
    const prefix = keys.versions(model);
    const numbers: number[] = [];
    for (const key of await this.storage.list(prefix)) {
      const [n, file, more] = key.slice(prefix.length).split("/");
      const version = n === undefined ? undefined : parseVersionNumber(n);
      if (version !== undefined && file === MANIFEST_FILE && more === undefined) numbers.push(version);
    }
    return numbers.sort((a, b) => a - b);
  }

  async #modelExists(model: string): Promise<boolean> {
    return (await this.#versionNumbers(model)).length > 0;
  }

  async #versionNotFound(model: string, version: unknown): Promise<MlopsError> {
    if (!(await this.#modelExists(model))) return mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    return mlopsError("MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND", { model, version: String(version) });
  }

  /** Reserves the next free version number by a create-only write of its claim. */
  async #claimNextNumber(model: string): Promise<number> {
    const [claimKeys, versionKeys] = await Promise.all([this.storage.list(keys.claims(model)), this.storage.list(keys.versions(model))]);
    let highest = 0;
    for (const [key, prefix] of [
      ...claimKeys.map((k) => [k, keys.claims(model)] as const),
      ...versionKeys.map((k) => [k, keys.versions(model)] as const),
    ]) {
      const n = parseVersionNumber(key.slice(prefix.length).split("/")[0] ?? "");
      if (n !== undefined && n > highest) highest = n;
    }
    const claim = JSON.stringify({ pid: process.pid, host: hostname(), claimedAt: this.#now().toISOString() });
    let n = highest + 1;
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++, n++) {
      try {
        await this.storage.put(keys.claim(model, n), claim, { ifNoneMatch: "*" });
        return n;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
    throw mlopsError("MLOPS_ERR_REGISTRY_CONFLICT", { key: keys.claim(model, n - 1), attempts: CLAIM_ATTEMPTS });
  }

  /**
   * Read-modify-write of `aliases.json` by compare-and-swap; `change` returns the new table, or
   * `undefined` for no write. Retries with jittered backoff when another writer got in between.
   */
  async #updateAliases(
    model: string,
    change: (aliases: Record<string, number>, exists: boolean) => Record<string, number> | undefined | Promise<Record<string, number> | undefined>,
    replaceCorrupt?: { actor: string },
  ): Promise<{ replacedCorrupt?: { reason: string; copy: string } }> {
    const key = keys.aliases(model);
    for (let attempt = 0; attempt < ALIAS_ATTEMPTS; attempt++) {
      const current = await this.storage.get(key);
      let table: Record<string, number> = {};
      let corrupt: MlopsError | undefined;
      if (current !== undefined) {
        try {
          table = parseAliasesFile(current.data, key);
        } catch (err) {
          if (replaceCorrupt === undefined || (err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
          corrupt = err as MlopsError;
        }
      }
      const next = await change(table, current !== undefined);
      if (next === undefined) return {};
      try {
        const copy = corrupt && current ? await quarantine(this, model, key, current.data, corrupt.message, replaceCorrupt!.actor, this.#now()) : undefined;
        await this.storage.put(key, formatAliasesFile(next), current === undefined ? { ifNoneMatch: "*" } : { ifMatch: current.etag });
        return corrupt && copy ? { replacedCorrupt: { reason: String(corrupt.params.reason), copy } } : {};
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
      await sleep(Math.min(50, 2 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
    throw mlopsError("MLOPS_ERR_REGISTRY_CONFLICT", { key, attempts: ALIAS_ATTEMPTS });
  }
}

/** Default of {@link ModelRegistry.checkWritable}'s free-space floor on a filesystem registry. */
export const MIN_FREE_BYTES = 8 * 1024 * 1024;

const formatBytes = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`);

const sha256Of = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
