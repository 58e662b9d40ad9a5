import type { Writable } from "node:stream";
import type { Storage } from "@google-cloud/storage";
import { loadGcsClient } from "../registry/gcs-storage.ts";
import type { ObjectStoreLocation } from "../registry/object-store-location.ts";
import { type AtomicUpload, type DataObject, type DataStore, dataUnavailable } from "./data-store.ts";

const url = (bucket: string, key: string) => `gs://${bucket}/${key}`;
const status = (err: unknown) => (err as { code?: unknown })?.code;

/**
 * {@link DataStore} in a GCS bucket, through the registry's client settings (Application Default
 * Credentials: GKE Workload Identity; `STORAGE_EMULATOR_HOST`). An upload is one streamed
 * multipart request: the object exists only once the request completes, so a killed process
 * leaves nothing behind.
 */
export class GcsDataStore implements DataStore {
  readonly #bucket: string;
  readonly #env: NodeJS.ProcessEnv;
  #storage: Promise<Storage> | undefined;

  constructor(location: ObjectStoreLocation, env: NodeJS.ProcessEnv) {
    this.#bucket = location.bucket;
    this.#env = env;
  }

  async #b() {
    this.#storage ??= loadGcsClient(this.#env);
    return (await this.#storage).bucket(this.#bucket);
  }

  async list(dir: string): Promise<DataObject[]> {
    const bucket = await this.#b();
    try {
      const [files] = await bucket.getFiles({ prefix: dir, autoPaginate: true });
      return files
        .filter((f) => f.name !== dir && !f.name.slice(dir.length).includes("/"))
        .map((f) => ({ name: f.name, url: url(this.#bucket, f.name), size: Number(f.metadata.size ?? 0) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, dir), "list", err);
    }
  }

  async stat(name: string): Promise<DataObject | undefined> {
    const bucket = await this.#b();
    try {
      const [meta] = await bucket.file(name).getMetadata();
      return { name, url: url(this.#bucket, name), size: Number(meta.size ?? 0) };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw dataUnavailable(url(this.#bucket, name), "stat", err);
    }
  }

  async *stream(name: string): AsyncIterable<Uint8Array> {
    const bucket = await this.#b();
    try {
      yield* bucket.file(name).createReadStream({ validation: false }) as AsyncIterable<Buffer>;
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, name), "read", err);
    }
  }

  async readRange(name: string, start: number, end: number): Promise<ArrayBuffer> {
    const bucket = await this.#b();
    try {
      const chunks: Buffer[] = [];
      for await (const c of bucket.file(name).createReadStream({ start, end: end - 1, validation: false })) chunks.push(c as Buffer);
      const b = Buffer.concat(chunks);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    } catch (err) {
      throw dataUnavailable(url(this.#bucket, name), "read", err);
    }
  }

  async upload(name: string): Promise<AtomicUpload> {
    const file = (await this.#b()).file(name);
    const where = url(this.#bucket, name);
    const stream: Writable = file.createWriteStream({ resumable: false, contentType: "application/octet-stream" });
    let failure: unknown;
    const finished = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", (err) => {
        failure = err;
        reject(err);
      });
    });
    finished.catch(() => {});
    return {
      write: async (chunk) => {
        if (failure !== undefined) throw dataUnavailable(where, "upload", failure);
        if (!stream.write(chunk)) {
          await new Promise<void>((resolve, reject) => {
            stream.once("drain", resolve);
            stream.once("error", reject);
          }).catch((err: unknown) => {
            throw dataUnavailable(where, "upload", err);
          });
        }
      },
      commit: async () => {
        stream.end();
        try {
          await finished;
        } catch (err) {
          throw dataUnavailable(where, "upload", err);
        }
      },
      abort: async () => {
        stream.destroy(new Error("upload aborted"));
      },
    };
  }
}
