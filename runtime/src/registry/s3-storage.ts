import { randomUUID } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
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

/** Options of {@link S3Storage}. */
export interface S3StorageOptions {
  /** Keys asked for per ListObjectsV2 page (S3 caps it at 1000). @default 1000 */
  pageSize?: number;
  /** Environment to read the settings below from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Times a put is retried after S3 answers 409 ConditionalRequestConflict (a concurrent conditional write was in flight). */
const CONFLICT_RETRIES = 8;

/**
 * {@link RegistryStorage} in an S3 bucket (or an S3-compatible server), at `s3://bucket/prefix`.
 * Conditional puts use PutObject's `If-None-Match: *` and `If-Match: <etag>`; etags are S3's,
 * quotes included. Settings come from the environment, like the AWS CLI:
 * region from `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the shared config profile (requests
 * to a bucket in another region are redirected); endpoint from `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` (read by the SDK itself); `MLOPS_S3_FORCE_PATH_STYLE=true` for servers
 * without virtual-hosted buckets; credentials from the SDK's default chain (env keys, web
 * identity as used by EKS IRSA and Pod Identity, profiles, instance metadata).
 * The SDK is loaded on first use.
 */
export class S3Storage implements RegistryStorage {
  /** The `s3://` URL in normal form. */
  readonly url: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Object-name prefix of every key (`""` or ending with '/'). */
  readonly prefix: string;
  readonly #pageSize: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutSeconds: number;
  #sdk: Promise<S3Sdk> | undefined;

  /** @param location `s3://bucket[/prefix]`; throws MLOPS_ERR_CONFIG_INVALID when malformed. */
  constructor(location: string | ObjectStoreLocation, options: S3StorageOptions = {}) {
    const loc = typeof location === "string" ? parseObjectStoreUrl(location) : location;
    if (loc.scheme !== "s3") throw new Error(`S3Storage needs an s3:// location, got ${loc.url}`);
    this.url = loc.url;
    this.bucket = loc.bucket;
    this.prefix = loc.prefix;
    this.#pageSize = options.pageSize ?? 1000;
    this.#env = options.env ?? process.env;
    this.#timeoutSeconds = storageTimeoutSeconds(this.#env);
  }

  /** Reads `key`; `undefined` when absent. */
  async get(key: string): Promise<StoredObject | undefined> {
    const name = objectName(this.prefix, key);
    const { client, sdk } = await this.#client("get", key);
    try {
      const out = await this.#deadline("get", key, 0, (abortSignal) => client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal }));
      // The body streams after the headers: its own deadline, scaled by its size.
      const data = await this.#deadline("get", key, out.ContentLength ?? 0, async (signal) => {
        signal.addEventListener("abort", () => (out.Body as { destroy?: () => void } | undefined)?.destroy?.(), { once: true });
        return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
      });
      if (out.ETag === undefined) throw new Error("S3 returned no ETag");
      return { data, etag: out.ETag };
    } catch (err) {
      if (errorName(err) === "NoSuchKey") return undefined;
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "get", key, err);
    }
  }

  /** Writes `key` under `condition` and returns S3's new etag. */
  async put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    assertValidCondition(condition);
    const name = objectName(this.prefix, key);
    const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const { client, sdk } = await this.#client("put", key);
    const writeId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.#deadline("put", key, body.length, (abortSignal) => client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: name,
            Body: body,
            ContentLength: body.length,
            Metadata: { [WRITE_ID_METADATA]: writeId },
            ...(condition?.ifNoneMatch === undefined ? {} : { IfNoneMatch: "*" }),
            ...(condition?.ifMatch === undefined ? {} : { IfMatch: condition.ifMatch }),
          }),
          { abortSignal },
        ));
        if (out.ETag === undefined) throw new Error("S3 returned no ETag");
        return out.ETag;
      } catch (err) {
        if (err instanceof MlopsError) throw err;
        const code = errorName(err);
        if (code === "ConditionalRequestConflict" && attempt < CONFLICT_RETRIES) {
          await sleep(attempt);
          continue;
        }
        // If-Match on a key that does not exist answers 404 NoSuchKey, not 412.
        const failed = code === "PreconditionFailed" || code === "ConditionalRequestConflict" || (code === "NoSuchKey" && condition?.ifMatch !== undefined);
        if (condition !== undefined && failed) {
          return settleRefusedPut(key, condition, writeId, async () => {
            const head = await this.#deadline("head", key, 0, (abortSignal) => client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal }));
            return { writeId: head.Metadata?.[WRITE_ID_METADATA], etag: head.ETag };
          });
        }
        throw storageUnavailable(this.url, "put", key, err);
      }
    }
  }

  /** Every key starting with `prefix`, sorted by code unit; reads every ListObjectsV2 page. */
  async list(prefix: string): Promise<string[]> {
    assertValidListPrefix(prefix);
    const { client, sdk } = await this.#client("list", prefix);
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.#deadline("list", prefix, 0, (abortSignal) =>
          client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, MaxKeys: this.#pageSize, ContinuationToken: token }), { abortSignal }),
        );
        for (const object of out.Contents ?? []) if (object.Key !== undefined) names.push(object.Key);
        token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "list", prefix, err);
    }
    return keysFromObjectNames(this.prefix, names);
  }

  /** Deletes `key`; S3 answers success for a missing key too. */
  async delete(key: string): Promise<void> {
    const name = objectName(this.prefix, key);
    const { client, sdk } = await this.#client("delete", key);
    try {
      await this.#deadline("delete", key, 0, (abortSignal) => client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal }));
    } catch (err) {
      if (errorName(err) === "NoSuchKey") return;
      if (err instanceof MlopsError) throw err;
      throw storageUnavailable(this.url, "delete", key, err);
    }
  }

  #deadline<T>(operation: string, key: string, bodyBytes: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline({ url: this.url, operation, key, seconds: this.#timeoutSeconds, bodyBytes }, call);
  }

  #client(operation: string, key: string): Promise<S3Sdk> {
    this.#sdk ??= loadS3Client(this.#env);
    return this.#sdk.catch((err: unknown) => {
      this.#sdk = undefined;
      throw storageUnavailable(this.url, operation, key, err);
    });
  }
}

/** A loaded S3 SDK and a client configured from the environment. */
export interface S3Sdk {
  client: S3Client;
  sdk: typeof import("@aws-sdk/client-s3");
}

/**
 * Loads the S3 SDK and makes a client the way {@link S3Storage} documents (region, endpoint,
 * path style and timeouts from `env`, credentials from the SDK's default chain). Shared with the
 * dataset readers and writers so a dataset URL reaches S3 exactly as the registry does.
 */
export async function loadS3Client(env: NodeJS.ProcessEnv = process.env): Promise<S3Sdk> {
  const sdk = await import("@aws-sdk/client-s3");
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  // The SDK reads these two from process.env itself; passing them keeps `options.env` authoritative.
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const client = new sdk.S3Client({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle: /^(1|true|yes)$/i.test(env.MLOPS_S3_FORCE_PATH_STYLE ?? ""),
    followRegionRedirects: true,
    // Without these the SDK waits forever on a silent network: requestTimeout is socket
    // inactivity, and since @smithy/node-http-handler 4 it only logs a warning unless
    // throwOnRequestTimeout is set. The registry also runs each call under a deadline.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  });
  return { client, sdk };
}

const errorName = (err: unknown): string | undefined => {
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e?.Code === "string" ? e.Code : typeof e?.name === "string" ? e.name : undefined;
};

const sleep = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt) * (0.5 + Math.random())));
