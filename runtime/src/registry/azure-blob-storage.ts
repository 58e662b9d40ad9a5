import { randomUUID } from "node:crypto";
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
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
import { assertValidCondition, type PutCondition, type RegistryStorage, type StoredObject } from "./storage.ts";

/** Options of {@link AzureBlobStorage}. */
export interface AzureBlobStorageOptions {
  /** Blob names asked for per List Blobs page (Azure caps it at 5000). @default 5000 */
  pageSize?: number;
  /** Environment to read the settings below from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * {@link RegistryStorage} in an Azure Blob container, at `az://account/container/prefix`.
 * Conditional puts are Put Blob with `If-None-Match: *` or `If-Match: <etag>`; etags are Azure's.
 * Endpoint: `https://<account>.blob.core.windows.net`, or `MLOPS_AZURE_BLOB_ENDPOINT` (e.g.
 * Azurite's `http://127.0.0.1:10000/devstoreaccount1`). Credentials: the connection string in
 * `AZURE_STORAGE_CONNECTION_STRING` when set (it then also names the endpoint, unless
 * MLOPS_AZURE_BLOB_ENDPOINT overrides it), otherwise `DefaultAzureCredential` (Azure Workload
 * Identity's federated token, managed identity, Azure CLI...). The SDKs are loaded on first use.
 */
export class AzureBlobStorage implements RegistryStorage {
  /** The `az://` URL in normal form. */
  readonly url: string;
  /** Storage account name. */
  readonly account: string;
  /** Container name. */
  readonly container: string;
  /** Blob-name prefix of every key (`""` or ending with '/'). */
  readonly prefix: string;
  readonly #pageSize: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutSeconds: number;
  #container: Promise<ContainerClient> | undefined;

  /** @param location `az://account/container[/prefix]`; throws MLOPS_ERR_CONFIG_INVALID when malformed. */
  constructor(location: string | ObjectStoreLocation, options: AzureBlobStorageOptions = {}) {
    const loc = typeof location === "string" ? parseObjectStoreUrl(location) : location;
    if (loc.scheme !== "az" || loc.account === undefined) throw new Error(`AzureBlobStorage needs an az:// location, got ${loc.url}`);
    this.url = loc.url;
    this.account = loc.account;
    this.container = loc.bucket;
    this.prefix = loc.prefix;
    this.#pageSize = options.pageSize ?? 5000;
    this.#env = options.env ?? process.env;
    this.#timeoutSeconds = storageTimeoutSeconds(this.#env);
  }

  /** Reads `key`; `undefined` when absent. */
  async get(key: string): Promise<StoredObject | undefined> {
    const name = objectName(this.prefix, key);
    const container = await this.#client("get", key);
    try {
      // One Get Blob: the etag returned belongs to exactly these bytes (retried ranges are pinned to it by the SDK).
      const response = await this.#deadline("get", key, 0, (abortSignal) => container.getBlobClient(name).download(0, undefined, { abortSignal }));
      const data = await this.#deadline("get", key, response.contentLength ?? 0, (signal) => readAll(response.readableStreamBody, signal));
      if (response.etag === undefined) throw new Error("Azure returned no ETag");
      return { data, etag: response.etag };
    } catch (err) {
      if (restCode(err) === "BlobNotFound" || (restStatus(err) === 404 && restCode(err) === undefined)) return undefined;
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "get", key, err);
    }
  }

  /** Writes `key` under `condition` (one Put Blob, so all or nothing) and returns Azure's new etag. */
  async put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    assertValidCondition(condition);
    const name = objectName(this.prefix, key);
    const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const container = await this.#client("put", key);
    const blob = container.getBlockBlobClient(name);
    const writeId = randomUUID();
    try {
      const out = await this.#deadline("put", key, body.length, (abortSignal) => blob.upload(body, body.length, {
        abortSignal,
        metadata: { [WRITE_ID_METADATA]: writeId },
        conditions: condition?.ifNoneMatch !== undefined ? { ifNoneMatch: "*" } : condition?.ifMatch !== undefined ? { ifMatch: condition.ifMatch } : {},
      }));
      if (out.etag === undefined) throw new Error("Azure returned no ETag");
      return out.etag;
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      const status = restStatus(err);
      const code = restCode(err);
      const failed =
        status === 412 || (status === 409 && code === "BlobAlreadyExists") || (condition?.ifMatch !== undefined && code === "BlobNotFound");
      if (condition !== undefined && failed) {
        return settleRefusedPut(key, condition, writeId, async () => {
          const props = await this.#deadline("head", key, 0, (abortSignal) => blob.getProperties({ abortSignal }));
          return { writeId: props.metadata?.[WRITE_ID_METADATA], etag: props.etag };
        });
      }
      throw storageUnavailable(this.url, "put", key, err);
    }
  }

  /** Every key starting with `prefix`, sorted by code unit; reads every List Blobs page. */
  async list(prefix: string): Promise<string[]> {
    assertValidListPrefix(prefix);
    const container = await this.#client("list", prefix);
    const names: string[] = [];
    try {
      const pages = container.listBlobsFlat({ prefix: this.prefix + prefix }).byPage({ maxPageSize: this.#pageSize });
      for (;;) {
        const page = await this.#deadline("list", prefix, 0, () => pages.next());
        if (page.done) break;
        for (const item of page.value.segment.blobItems) names.push(item.name);
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
    const container = await this.#client("delete", key);
    try {
      await this.#deadline("delete", key, 0, (abortSignal) => container.getBlobClient(name).deleteIfExists({ abortSignal }));
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "delete", key, err);
    }
  }

  #deadline<T>(operation: string, key: string, bodyBytes: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline({ url: this.url, operation, key, seconds: this.#timeoutSeconds, bodyBytes }, call);
  }

  #client(operation: string, key: string): Promise<ContainerClient> {
    this.#container ??= loadAzureBlobService(this.account, this.#env).then((service) => service.getContainerClient(this.container));
    return this.#container.catch((err: unknown) => {
      this.#container = undefined;
      throw storageUnavailable(this.url, operation, key, err);
    });
  }
}

/**
 * Loads the Azure SDKs and makes a BlobServiceClient for `account` the way {@link AzureBlobStorage}
 * documents (MLOPS_AZURE_BLOB_ENDPOINT, AZURE_STORAGE_CONNECTION_STRING, else
 * DefaultAzureCredential). Shared with the dataset readers and writers.
 */
export async function loadAzureBlobService(account: string, env: NodeJS.ProcessEnv = process.env): Promise<BlobServiceClient> {
  const { BlobServiceClient, StorageSharedKeyCredential } = await import("@azure/storage-blob");
  const endpoint = env.MLOPS_AZURE_BLOB_ENDPOINT?.replace(/\/+$/, "") || `https://${account}.blob.core.windows.net`;
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING;
  // The SDK sets no per-try timeout; each registry call's abortSignal deadline bounds it instead.
  const pipeline = { retryOptions: { maxTries: 3 } };
  if (connectionString) {
    const fields = parseConnectionString(connectionString);
    const accountName = fields.get("accountname");
    const accountKey = fields.get("accountkey");
    if (accountName !== undefined && accountName !== account) {
      throw new Error(`AZURE_STORAGE_CONNECTION_STRING is for account ${accountName}, the URL names ${account}`);
    }
    if (env.MLOPS_AZURE_BLOB_ENDPOINT && accountName !== undefined && accountKey !== undefined) {
      return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(accountName, accountKey), pipeline);
    }
    return BlobServiceClient.fromConnectionString(connectionString, pipeline);
  }
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new BlobServiceClient(endpoint, new DefaultAzureCredential(), pipeline);
}

/** `Key=Value;...` fields of an Azure Storage connection string, keys lower-cased. */
function parseConnectionString(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return fields;
}

const restStatus = (err: unknown): number | undefined => {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === "number" ? status : undefined;
};

const restCode = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown; details?: { errorCode?: unknown } })?.details?.errorCode ?? (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
};

async function readAll(stream: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<Buffer> {
  if (stream === undefined) return Buffer.alloc(0);
  signal.addEventListener("abort", () => (stream as { destroy?: (err?: Error) => void }).destroy?.(signal.reason as Error), { once: true });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
