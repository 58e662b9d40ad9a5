import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { link, lstat, mkdir, open, readdir, readFile, rename, rm, statfs } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MlopsError, mlopsError } from "../errors.ts";
import { acquireFileLock, type FileLock, type FileLockOptions, isLockStale } from "./file-lock.ts";
import { isReservedFileName, LOCK_PREFIX, TEMP_PREFIX, tempFileName } from "./reserved-file-names.ts";
import {
  assertValidCondition,
  assertValidKey,
  PreconditionFailedError,
  type PutCondition,
  type RegistryStorage,
  type StoredObject,
} from "./storage.ts";

/** Options of {@link FileSystemStorage}. */
export interface FileSystemStorageOptions {
  /** How long a compare-and-swap or delete waits for another writer's lock on the same key. @default 10000 */
  lockTimeoutMs?: number;
  /** Age after which a key's lock is broken even if its owner may be alive (e.g. on another host). @default 30000 */
  staleLockMs?: number;
}

/**
 * {@link RegistryStorage} on a local (or shared POSIX) filesystem; keys map to files under
 * `rootDir`. Every put writes a temp file in the target's directory, fsyncs it and renames it into
 * place (create-only puts hard-link instead, which fails atomically when the target exists), then
 * fsyncs the directory. Compare-and-swap puts and deletes take a per-key lock file; see
 * {@link acquireFileLock}. Etags are the sha256 hex of the content. Files named `.tmp-*` and
 * `.lock-*` are internal: never listed, and rejected as key segments. The root is created on the
 * first write; reading a missing root finds nothing.
 */
export class FileSystemStorage implements RegistryStorage {
  /** `file://` URL of the root directory. */
  readonly url: string;
  /** Absolute root directory. */
  readonly rootDir: string;
  readonly #lockOptions: FileLockOptions;

  /** @param rootDir Root directory, resolved against the working directory. */
  constructor(rootDir: string, options: FileSystemStorageOptions = {}) {
    this.rootDir = path.resolve(rootDir);
    this.url = pathToFileURL(this.rootDir).href;
    this.#lockOptions = { timeoutMs: options.lockTimeoutMs, staleMs: options.staleLockMs };
  }

  /** Reads `key`; `undefined` when absent. */
  async get(key: string): Promise<StoredObject | undefined> {
    const file = this.#path(key);
    const data = await readIfExists(file).catch((err: unknown) => {
      throw this.#ioError("read", file, err);
    });
    return data === undefined ? undefined : { data, etag: etagOf(data) };
  }

  /** Writes `key` atomically under `condition` and returns the new etag. */
  async put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string> {
    assertValidCondition(condition);
    const target = this.#path(key);
    try {
      return await this.#put(key, target, data, condition);
    } catch (err) {
      throw this.#ioError("write", target, err);
    }
  }

  async #put(key: string, target: string, data: Buffer | string, condition: PutCondition | undefined): Promise<string> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const etag = etagOf(bytes);
    const dir = path.dirname(target);
    await this.#makeDir(dir);
    const tmp = path.join(dir, tempFileName());
    try {
      await writeDurably(tmp, bytes);
      if (condition?.ifNoneMatch !== undefined) {
        try {
          await link(tmp, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new PreconditionFailedError(key, condition);
          throw err;
        }
        await syncDir(dir);
      } else if (condition?.ifMatch !== undefined) {
        const lock = await this.acquireLock(key);
        try {
          const current = await readIfExists(target);
          if (current === undefined || etagOf(current) !== condition.ifMatch) throw new PreconditionFailedError(key, condition);
          await rename(tmp, target);
          // Inside the lock, so the next compare-and-swap builds on a durable value.
          await syncDir(dir);
        } finally {
          await lock.release();
        }
      } else {
        await rename(tmp, target);
        await syncDir(dir);
      }
      return etag;
    } finally {
      // After a rename this is a no-op; after a link or a failure it removes the temp file.
      await rm(tmp, { force: true });
    }
  }

  /** Every key starting with `prefix`, sorted; temp and lock files are skipped. */
  async list(prefix: string): Promise<string[]> {
    if (prefix.startsWith("/") || prefix.includes("\\") || prefix.split("/").some((s) => s === "..")) {
      throw new Error(`invalid storage key prefix ${JSON.stringify(prefix)}`);
    }
    const baseKey = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const keys: string[] = [];
    const dir = path.join(this.rootDir, ...baseKey.split("/").filter(Boolean));
    await walk(dir, baseKey, keys).catch((err: unknown) => {
      throw this.#ioError("list", dir, err);
    });
    return keys.filter((k) => k.startsWith(prefix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Deletes `key` if present (under its lock, so it never interleaves with a compare-and-swap). */
  async delete(key: string): Promise<void> {
    const target = this.#path(key);
    const dir = path.dirname(target);
    let lock: FileLock;
    try {
      lock = await this.acquireLock(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw this.#ioError("delete", target, err);
    }
    try {
      await rm(target, { force: true });
      await syncDir(dir);
    } catch (err) {
      throw this.#ioError("delete", target, err);
    } finally {
      await lock.release();
    }
  }

  /**
   * Removes the internal files writers leave when they die mid-write, under `keyPrefix`: temp
   * files (`.tmp-*`) older than `olderThanMs`, and lock files (`.lock-*`) the next writer would
   * break anyway (owner dead on this host, or older than the stale-lock age). Returns the paths
   * removed (or, with `dryRun`, that would be).
   */
  async sweepInternalFiles(options: { keyPrefix?: string; olderThanMs: number; dryRun?: boolean; now?: number }): Promise<string[]> {
    const now = options.now ?? Date.now();
    const removed: string[] = [];
    const visit = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return;
        throw this.#ioError("list", dir, err);
      }
      for (const entry of entries) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await visit(file);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const info = await lstat(file).catch(() => undefined);
          if (info !== undefined && now - info.mtimeMs >= options.olderThanMs) removed.push(file);
        } else if (entry.name.startsWith(LOCK_PREFIX)) {
          if (entry.name.includes(".broken-") || (await isLockStale(file, this.#lockOptions.staleMs))) removed.push(file);
        }
      }
    };
    await visit(path.join(this.rootDir, ...(options.keyPrefix ?? "").split("/").filter(Boolean)));
    if (!options.dryRun) for (const file of removed) await rm(file, { force: true });
    return removed;
  }

  /**
   * Bytes free to this process on the volume holding `keyPrefix` (its nearest existing ancestor
   * directory), or `undefined` when the platform cannot tell.
   */
  async freeBytes(keyPrefix = ""): Promise<number | undefined> {
    for (let dir = path.join(this.rootDir, ...keyPrefix.split("/").filter(Boolean)); ; dir = path.dirname(dir)) {
      try {
        const s = await statfs(dir);
        return Number(s.bavail) * Number(s.bsize);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") return undefined;
        if (path.dirname(dir) === dir) return undefined;
      }
    }
  }

  /**
   * Takes `key`'s lock file (`.lock-<name>` next to it). Protected so tests can observe a writer
   * holding the lock; not part of {@link RegistryStorage}.
   */
  protected async acquireLock(key: string): Promise<FileLock> {
    const target = this.#path(key);
    return acquireFileLock(path.join(path.dirname(target), LOCK_PREFIX + path.basename(target)), key, this.#lockOptions);
  }

  /**
   * A filesystem error (ENOSPC, EACCES, EROFS, EIO...) as MLOPS_ERR_REGISTRY_IO naming the path;
   * registry errors (a lock timeout) and failed preconditions pass through.
   */
  #ioError(operation: string, file: string, err: unknown): unknown {
    if (err instanceof MlopsError || err instanceof PreconditionFailedError) return err;
    const code = (err as NodeJS.ErrnoException)?.code;
    if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return err;
    const where = (err as NodeJS.ErrnoException).path ?? file;
    return mlopsError("MLOPS_ERR_REGISTRY_IO", { url: this.url, operation, path: where, reason: describeErrno(err as NodeJS.ErrnoException) }, { cause: err });
  }

  #path(key: string): string {
    assertValidKey(key);
    const segments = key.split("/");
    const reserved = segments.find(isReservedFileName);
    if (reserved !== undefined) throw new Error(`invalid storage key ${JSON.stringify(key)}: segment ${JSON.stringify(reserved)} is reserved`);
    return path.join(this.rootDir, ...segments);
  }

  /** mkdir -p, then fsync the parent of every directory it created so the new entries survive a crash. */
  async #makeDir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; ; d = path.dirname(d)) {
      await syncDir(path.dirname(d));
      if (d === first || path.dirname(d) === d) break;
    }
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EIO: "input/output error",
  EMFILE: "too many open files",
};

/** `ENOSPC (no space left on device)`: the errno code and what it means. */
export const describeErrno = (err: NodeJS.ErrnoException): string => `${err.code} (${(err.code && ERRNO_TEXT[err.code]) ?? err.message})`;

/** The etag {@link FileSystemStorage} gives content: its sha256 in hex. */
export const etagOf = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
    throw err;
  }
}

async function writeDurably(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) and filesystems cannot fsync a directory; the rename is still atomic.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF" && code !== "EACCES") throw err;
  } finally {
    await handle?.close();
  }
}

async function walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw err;
  }
  for (const entry of entries) {
    if (isReservedFileName(entry.name)) continue;
    const key = keyPrefix + entry.name;
    if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${key}/`, out);
    else if (entry.isFile()) out.push(key);
  }
}
