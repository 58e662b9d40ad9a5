import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { mlopsError } from "../errors.ts";
import { type AtomicUpload, type DataObject, type DataStore, dataUnavailable } from "./data-store.ts";

/**
 * {@link DataStore} on the local filesystem. Uploads write `.<name>.<random>.tmp` in the target's
 * directory (created if missing), fsync it and rename it over the target.
 */
export class LocalDataStore implements DataStore {
  async list(dir: string): Promise<DataObject[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw dataUnavailable(dir, "list", err);
    }
    const out: DataObject[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const name = path.join(dir, e.name);
      out.push({ name, url: name, size: (await stat(name)).size });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(name: string): Promise<DataObject | undefined> {
    try {
      const s = await stat(name);
      return s.isFile() ? { name, url: name, size: s.size } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw dataUnavailable(name, "stat", err);
    }
  }

  /** Whether `name` is a directory (a prefix of shards). */
  async isDirectory(name: string): Promise<boolean> {
    try {
      return (await stat(name)).isDirectory();
    } catch {
      return false;
    }
  }

  async *stream(name: string): AsyncIterable<Uint8Array> {
    try {
      yield* createReadStream(name, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw mlopsError("MLOPS_ERR_DATA_FILE_NOT_FOUND", { path: name });
      throw dataUnavailable(name, "read", err);
    }
  }

  async readRange(name: string, start: number, end: number): Promise<ArrayBuffer> {
    const handle = await open(name, "r");
    try {
      const out = new Uint8Array(end - start);
      let off = 0;
      while (off < out.length) {
        const { bytesRead } = await handle.read(out, off, out.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return out.buffer;
    } finally {
      await handle.close();
    }
  }

  async upload(name: string): Promise<AtomicUpload> {
    await mkdir(path.dirname(name), { recursive: true });
    const tmp = path.join(path.dirname(name), `.${path.basename(name)}.${randomBytes(6).toString("hex")}.tmp`);
    const handle = await open(tmp, "wx");
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    };
    return {
      write: async (chunk) => {
        let off = 0;
        while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
      },
      commit: async () => {
        await handle.sync();
        await close();
        await rename(tmp, name);
      },
      abort: async () => {
        await close().catch(() => {});
        await rm(tmp, { force: true }).catch(() => {});
      },
    };
  }
}
