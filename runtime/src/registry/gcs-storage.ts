import { randomUUID } from "node:crypto";
import type { Bucket, File, Storage } from "@google-cloud/storage";
import {
  assertValidListPrefix,
  keysFromObjectNames,
  type ObjectStoreLocation,
  objectName,
  parseObjectStoreUrl,
  settleRefusedPut,
  storageTimeoutSeconds,
  storageUnavailable,
  withDeadline,
  WRITE_ID_METADATA,
} from "./object-store-location.ts";
import { MlopsError } from "../errors.ts";
import { assertValidCondition, PreconditionFailedError, type PutCondition, type RegistryStorage, type StoredObject } from "./storage.ts";

/** Options of {@link GcsStorage}. */
export interface GcsStorageOptions {
  /** Objects asked for per objects.list page (GCS caps it at 1000). @default 1000 */
  pageSize?: number;
  /** Environment to read the settings below from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * {@link RegistryStorage} in a Google Cloud Storage bucket, at `gs://bucket/prefix`. Etags are
 * object generations: create-only puts send `ifGenerationMatch=0`, compare-and-swap puts
 * `ifGenerationMatch=<generation>`; uploads are single-request (not resumable), so all or nothing.
 * Credentials: Application Default Credentials (GKE Workload Identity through the metadata
 * server, `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's user credentials). `STORAGE_EMULATOR_HOST`
 * points the client at an emulator (unauthenticated, as the SDK does for custom endpoints).
 * The SDK is loaded on first use.
 */
export class GcsStorage implements RegistryStorage {
  /** The `gs://` URL in normal form. */
  readonly url: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Object-name prefix of every key (`""` or ending with '/'). */
  readonly prefix: string;
  readonly #pageSize: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutSeconds: number;
  #bucket: Promise<Bucket> | undefined;

  /** @param location `gs://bucket[/prefix]`; throws MLOPS_ERR_CONFIG_INVALID when malformed. */
  constructor(location: string | ObjectStoreLocation, options: GcsStorageOptions = {}) {
    const loc = typeof location === "string" ? parseObjectStoreUrl(location) : location;
    if (loc.scheme !== "gs") throw new Error(`GcsStorage needs a gs:// location, got ${loc.url}`);
    this.url = loc.url;
    this.bucket = loc.bucket;
    this.prefix = loc.prefix;
    this.#pageSize = options.pageSize ?? 1000;
    this.#env = options.env ?? process.env;
    this.#timeoutSeconds = storageTimeoutSeconds(this.#env);
  }

  /** Reads `key` and the generation of exactly those bytes; `undefined` when absent. */
  async get(key: string): Promise<StoredObject | undefined> {
    const name = objectName(this.prefix, key);
    const file = (await this.#client("get", key)).file(name);
    try {
      return await this.#deadline("get", key, 0, (signal) => download(file, signal));
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "get", key, err);
    }
  }

  /** Writes `key` under `condition` in one upload request and returns the new generation. */
  async put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    assertValidCondition(condition);
    const name = objectName(this.prefix, key);
    const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const file = (await this.#client("put", key)).file(name);
    let ifGenerationMatch: number | undefined;
    if (condition?.ifNoneMatch !== undefined) ifGenerationMatch = 0;
    else if (condition?.ifMatch !== undefined) {
      // A generation is a positive integer; any other etag cannot match (and 0 would mean "absent").
      if (!/^[1-9][0-9]*$/.test(condition.ifMatch)) throw new PreconditionFailedError(key, condition);
      ifGenerationMatch = Number(condition.ifMatch);
    }
    const writeId = randomUUID();
    try {
      await this.#deadline("put", key, body.length, () => file.save(body, {
        resumable: false,
        contentType: "application/octet-stream",
        metadata: { metadata: { [WRITE_ID_METADATA]: writeId } },
        ...(ifGenerationMatch === undefined ? {} : { preconditionOpts: { ifGenerationMatch } }),
      }));
      const generation = file.metadata.generation;
      if (generation === undefined || generation === null || generation === "") throw new Error("GCS returned no generation");
      return String(generation);
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      if (condition !== undefined && apiStatus(err) === 412) {
        return settleRefusedPut(key, condition, writeId, async () => {
          const [meta] = await file.getMetadata();
          return { writeId: meta.metadata?.[WRITE_ID_METADATA] as string | undefined, etag: meta.generation === undefined ? undefined : String(meta.generation) };
        });
      }
      throw storageUnavailable(this.url, "put", key, err);
    }
  }

  /** Every key starting with `prefix`, sorted by code unit; reads every objects.list page. */
  async list(prefix: string): Promise<string[]> {
    assertValidListPrefix(prefix);
    const bucket = await this.#client("list", prefix);
    const names: string[] = [];
    try {
      let query: { prefix: string; maxResults: number; pageToken?: string; autoPaginate: false } | undefined = {
        prefix: this.prefix + prefix,
        maxResults: this.#pageSize,
        autoPaginate: false,
      };
      while (query !== undefined) {
        const page = query;
        const [files, next]: [File[], { pageToken?: string } | null | undefined, unknown] = (await this.#deadline("list", prefix, 0, () => bucket.getFiles(page))) as never;
        for (const file of files) names.push(file.name);
        query = next?.pageToken ? { ...query, pageToken: next.pageToken } : undefined;
      }
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "list", prefix, err);
    }
    return keysFromObjectNames(this.prefix, names);
  }

  /** Deletes `key` if present. */
  async delete(key: string): Promise<void> {
    const name = objectName(this.prefix, key);
    const file = (await this.#client("delete", key)).file(name);
    try {
      await this.#deadline("delete", key, 0, () => file.delete({ ignoreNotFound: true }));
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "delete", key, err);
    }
  }

  #deadline<T>(operation: string, key: string, bodyBytes: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline({ url: this.url, operation, key, seconds: this.#timeoutSeconds, bodyBytes }, call);
  }

  #client(operation: string, key: string): Promise<Bucket> {
    this.#bucket ??= loadGcsClient(this.#env, this.#timeoutSeconds).then((storage) => storage.bucket(this.bucket));
    return this.#bucket.catch((err: unknown) => {
      this.#bucket = undefined;
      throw storageUnavailable(this.url, operation, key, err);
    });
  }
}

/**
 * Loads the GCS SDK and makes a client the way {@link GcsStorage} documents (Application Default
 * Credentials; `STORAGE_EMULATOR_HOST` for an emulator). Shared with the dataset readers and writers.
 */
export async function loadGcsClient(env: NodeJS.ProcessEnv = process.env, timeoutSeconds = 60): Promise<Storage> {
  const { Storage } = await import("@google-cloud/storage");
  const emulator = env.STORAGE_EMULATOR_HOST;
  // Per-request timeout, and retries bounded so the SDK gives up inside the registry call's deadline.
  const limits = { timeout: timeoutSeconds * 1000, retryOptions: { totalTimeout: timeoutSeconds } };
  return new Storage({ ...(emulator ? { apiEndpoint: emulator } : {}), ...limits });
}

/** One media download; the generation comes from the same response's `x-goog-generation` header. */
function download(file: File, signal: AbortSignal): Promise<StoredObject> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let generation: string | undefined;
    const stream = file.createReadStream();
    signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), { once: true });
    stream
      .on("response", (res: { headers?: Record<string, string | string[] | undefined> }) => {
        const header = res.headers?.["x-goog-generation"];
        generation = Array.isArray(header) ? header[0] : header;
      })
      .on("data", (chunk: Buffer) => chunks.push(chunk))
      .on("error", reject)
      .on("end", () => {
        if (generation === undefined) reject(new Error("GCS returned no x-goog-generation header"));
        else resolve({ data: Buffer.concat(chunks), etag: generation });
      });
  });
}

const apiStatus = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
};
