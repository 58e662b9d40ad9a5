import { describeError, type MlopsError, mlopsError } from "../errors.ts";
import type { DatasetLocation } from "./dataset-url.ts";

/** One dataset file (object) in a {@link DataStore}. */
export interface DataObject {
  /** Object key, or absolute path for local files. */
  name: string;
  /** Its URL, as lineage and messages show it. */
  url: string;
  /** Size in bytes. */
  size: number;
}

/**
 * A write that becomes visible under its final name only on {@link commit}: a temp file renamed
 * into place, an S3 multipart upload completed, an Azure block list committed, a single-request
 * GCS upload finished. A process killed before commit leaves nothing under the final name.
 */
export interface AtomicUpload {
  /** Appends bytes; resolves when the store has taken them (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the object visible under its name. */
  commit(): Promise<void>;
  /** Discards what was written; never throws. */
  abort(): Promise<void>;
}

/** Byte access to one store (local filesystem, bucket, container, HTTPS origin) for datasets. */
export interface DataStore {
  /** Objects directly under `dir` (no deeper), sorted by name. */
  list(dir: string): Promise<DataObject[]>;
  /** The object, or undefined when it does not exist. */
  stat(name: string): Promise<DataObject | undefined>;
  /** The object's bytes as a stream of chunks. */
  stream(name: string): AsyncIterable<Uint8Array>;
  /** Bytes [start, end) of the object. */
  readRange(name: string, start: number, end: number): Promise<ArrayBuffer>;
  /** Starts an atomic write of `name`. */
  upload(name: string): Promise<AtomicUpload>;
}

/** MLOPS_ERR_DATA_UNAVAILABLE for a failed store call. */
export const dataUnavailable = (url: string, operation: string, err: unknown): MlopsError =>
  mlopsError("MLOPS_ERR_DATA_UNAVAILABLE", { url, operation, reason: describeError(err) }, { cause: err });

/** Part size of multipart uploads (S3 parts, Azure blocks): S3's minimum is 5 MiB. */
export const PART_BYTES = 8 * 1024 * 1024;

/** The store a location points into. Cloud SDKs load on first use, with the registry's settings. */
export async function openDataStore(location: DatasetLocation, env: NodeJS.ProcessEnv = process.env): Promise<DataStore> {
  switch (location.scheme) {
    case "file":
      return new (await import("./local-data-store.ts")).LocalDataStore();
    case "s3":
      return new (await import("./s3-data-store.ts")).S3DataStore(location.store!, env);
    case "gs":
      return new (await import("./gcs-data-store.ts")).GcsDataStore(location.store!, env);
    case "az":
      return new (await import("./azure-data-store.ts")).AzureDataStore(location.store!, env);
    case "https":
      return new (await import("./https-data-store.ts")).HttpsDataStore(location.origin!);
  }
}

/** Collects chunks into parts of at least `size` bytes. */
export class PartBuffer {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  /** Bytes per part. */
  readonly size: number;
  constructor(size: number = PART_BYTES) {
    this.size = size;
  }
  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }
  /** Whether a full part is held. */
  get full(): boolean {
    return this.#bytes >= this.size;
  }
  /** Everything held, as one buffer; empties the buffer. */
  take(): Buffer {
    const out = Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    return out;
  }
}
