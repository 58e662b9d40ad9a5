import { mlopsError } from "../errors.ts";
import { type AtomicUpload, type DataObject, type DataStore, dataUnavailable } from "./data-store.ts";

/**
 * Read-only {@link DataStore} over HTTPS (and loopback HTTP): GET for streams, `Range` requests
 * for Parquet's random access (the server must support them for Parquet; CSV and JSONL only
 * stream). Redirects are followed; no credentials are sent.
 */
export class HttpsDataStore implements DataStore {
  readonly #origin: string;

  constructor(origin: string) {
    this.#origin = origin;
  }

  async list(dir: string): Promise<DataObject[]> {
    throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${this.#origin}${dir}: https:// locations cannot be listed` });
  }

  async stat(name: string): Promise<DataObject | undefined> {
    const url = this.#origin + name;
    let res: Response;
    try {
      res = await fetch(url, { method: "HEAD", redirect: "follow" });
    } catch (err) {
      throw dataUnavailable(url, "stat", err);
    }
    if (res.status === 404 || res.status === 410) return undefined;
    if (!res.ok) throw dataUnavailable(url, "stat", new Error(`HTTP ${res.status} ${res.statusText}`));
    return { name, url, size: Number(res.headers.get("content-length") ?? 0) };
  }

  async *stream(name: string): AsyncIterable<Uint8Array> {
    const url = this.#origin + name;
    let res: Response;
    try {
      res = await fetch(url, { redirect: "follow" });
    } catch (err) {
      throw dataUnavailable(url, "read", err);
    }
    if (!res.ok || res.body === null) throw dataUnavailable(url, "read", new Error(`HTTP ${res.status} ${res.statusText}`));
    yield* res.body as unknown as AsyncIterable<Uint8Array>;
  }

  async readRange(name: string, start: number, end: number): Promise<ArrayBuffer> {
    const url = this.#origin + name;
    let res: Response;
    try {
      res = await fetch(url, { headers: { range: `bytes=${start}-${end - 1}` }, redirect: "follow" });
    } catch (err) {
      throw dataUnavailable(url, "read", err);
    }
    if (res.status !== 206) throw dataUnavailable(url, "read", new Error(`HTTP ${res.status} to a Range request; the server must support byte ranges to read Parquet`));
    return res.arrayBuffer();
  }

  async upload(name: string): Promise<AtomicUpload> {
    throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${this.#origin}${name}: https:// locations are read-only; write to a path, s3://, gs:// or az://` });
  }
}
