import type { ObjectStoreLocation } from "../registry/object-store-location.ts";
import { loadS3Client, type S3Sdk } from "../registry/s3-storage.ts";
import { type AtomicUpload, type DataObject, type DataStore, dataUnavailable, PartBuffer } from "./data-store.ts";

const url = (bucket: string, key: string) => `s3://${bucket}/${key}`;
const notFound = (err: unknown) => ["NoSuchKey", "NotFound"].includes((err as { name?: string })?.name ?? "") || (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404;

/**
 * {@link DataStore} in an S3 bucket, through the registry's client settings (region, endpoint,
 * path style, default credential chain: IRSA / Pod Identity in EKS). Uploads under 8 MiB are one
 * PutObject; larger ones a multipart upload of 8 MiB parts, completed on commit and aborted on
 * failure (a killed process leaves an incomplete upload, invisible, that the bucket's
 * AbortIncompleteMultipartUpload lifecycle rule removes).
 */
export class S3DataStore implements DataStore {
  readonly #bucket: string;
  readonly #env: NodeJS.ProcessEnv;
  #sdk: Promise<S3Sdk> | undefined;

  constructor(location: ObjectStoreLocation, env: NodeJS.ProcessEnv) {
    this.#bucket = location.bucket;
    this.#env = env;
  }

  #client(): Promise<S3Sdk> {
    this.#sdk ??= loadS3Client(this.#env);
    return this.#sdk;
  }

  async list(dir: string): Promise<DataObject[]> {
    const { client, sdk } = await this.#client();
    const out: DataObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.#bucket, Prefix: dir, Delimiter: "/", ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key !== undefined && o.Key !== dir) out.push({ name: o.Key, url: url(this.#bucket, o.Key), size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, dir), "list", err);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(name: string): Promise<DataObject | undefined> {
    const { client, sdk } = await this.#client();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: name }));
      return { name, url: url(this.#bucket, name), size: head.ContentLength ?? 0 };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw dataUnavailable(url(this.#bucket, name), "stat", err);
    }
  }

  async *stream(name: string): AsyncIterable<Uint8Array> {
    const { client, sdk } = await this.#client();
    let body: AsyncIterable<Uint8Array>;
    try {
      body = (await client.send(new sdk.GetObjectCommand({ Bucket: this.#bucket, Key: name }))).Body as AsyncIterable<Uint8Array>;
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, name), "read", err);
    }
    yield* body;
  }

  async readRange(name: string, start: number, end: number): Promise<ArrayBuffer> {
    const { client, sdk } = await this.#client();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.#bucket, Key: name, Range: `bytes=${start}-${end - 1}` }));
      const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, name), "read", err);
    }
  }

  async upload(name: string): Promise<AtomicUpload> {
    const { client, sdk } = await this.#client();
    const bucket = this.#bucket;
    const where = url(bucket, name);
    const buffer = new PartBuffer();
    const parts: { ETag: string; PartNumber: number }[] = [];
    let uploadId: string | undefined;
    const sendPart = async (body: Buffer) => {
      uploadId ??= (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: name }))).UploadId;
      const PartNumber = parts.length + 1;
      const out = await client.send(new sdk.UploadPartCommand({ Bucket: bucket, Key: name, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }));
      parts.push({ ETag: out.ETag!, PartNumber });
    };
    const abort = async () => {
      if (uploadId !== undefined) await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId })).catch(() => {});
    };
    return {
      write: async (chunk) => {
        buffer.push(chunk);
        if (!buffer.full) return;
        try {
          await sendPart(buffer.take());
        } catch (err) {
          throw dataUnavailable(where, "upload", err);
        }
      },
      commit: async () => {
        try {
          if (uploadId === undefined) {
            const body = buffer.take();
            await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: name, Body: body, ContentLength: body.length }));
            return;
          }
          if (buffer.bytes > 0) await sendPart(buffer.take());
          await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        } catch (err) {
          await abort();
          throw dataUnavailable(where, "upload", err);
        }
      },
      abort,
    };
  }
}
