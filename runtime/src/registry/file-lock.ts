import { randomBytes } from "node:crypto";
import { link, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { mlopsError } from "../errors.ts";
import { tempFileName } from "./reserved-file-names.ts";

/** Timing of {@link acquireFileLock}. */
export interface FileLockOptions {
  /** How long to wait for a lock held by a live owner before failing with MLOPS_ERR_REGISTRY_LOCKED. @default 10000 */
  timeoutMs?: number;
  /** Age after which a lock is broken whoever holds it (covers owners on other hosts). @default 30000 */
  staleMs?: number;
}

/** What a lock file records about its owner. */
export interface FileLockOwner {
  /** Process id of the owner. */
  pid: number;
  /** Host name of the owner; the pid is only checked on the same host. */
  host: string;
  /** When the lock was taken, in ms since the epoch. */
  time: number;
  /** Random token telling this acquisition apart from any other. */
  nonce: string;
}

/** A held lock. */
export interface FileLock {
  /** Path of the lock file. */
  readonly path: string;
  /** Releases the lock; does nothing if it was meanwhile broken as stale and taken by someone else. */
  release(): Promise<void>;
}

/** Default for {@link FileLockOptions.timeoutMs}. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/** Default for {@link FileLockOptions.staleMs}. */
export const DEFAULT_STALE_LOCK_MS = 30_000;

/**
 * Takes the lock file at `lockPath` (its directory must exist), waiting with jittered sleeps while
 * a live owner holds it. The file is created complete and atomically (written to a temp file, then
 * hard-linked into place, which fails when it exists), so no reader ever sees an empty lock. A lock
 * whose owner pid is dead on this host, or older than `staleMs`, is broken. `key` names the locked
 * object in the MLOPS_ERR_REGISTRY_LOCKED error.
 */
export async function acquireFileLock(lockPath: string, key: string, options: FileLockOptions = {}): Promise<FileLock> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_LOCK_MS;
  const owner: FileLockOwner = { pid: process.pid, host: hostname(), time: Date.now(), nonce: randomBytes(8).toString("hex") };
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    owner.time = Date.now();
    const content = JSON.stringify(owner);
    if (await tryCreate(lockPath, content)) return { path: lockPath, release: () => release(lockPath, content) };
    const held = await inspect(lockPath, staleMs);
    if (held?.stale) {
      await breakLock(lockPath, held.raw);
    } else if (held !== undefined) {
      const waited = Date.now() - start;
      if (waited >= timeoutMs) throw mlopsError("MLOPS_ERR_REGISTRY_LOCKED", { key, ms: waited });
      // Exponential backoff from ~2 ms to ~100 ms, jittered so waiting writers do not retry in step.
      await sleep(Math.min(100, 2 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }
}

async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const tmp = path.join(path.dirname(lockPath), tempFileName());
  try {
    await writeFile(tmp, content, { flag: "wx" });
    await link(tmp, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Whether the lock file at `lockPath` would be broken by the next writer: its owner is dead on
 * this host, or it is older than `staleMs`. False when it does not exist.
 */
export async function isLockStale(lockPath: string, staleMs: number = DEFAULT_STALE_LOCK_MS): Promise<boolean> {
  return (await inspect(lockPath, staleMs))?.stale ?? false;
}

async function inspect(lockPath: string, staleMs: number): Promise<{ raw: string; stale: boolean } | undefined> {
  let raw: string;
  try {
    raw = await readFile(lockPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const owner = parseOwner(raw);
  if (owner === undefined) {
    // Not written by us: judge by the file's age alone.
    const info = await stat(lockPath).catch(() => undefined);
    return { raw, stale: info === undefined || Date.now() - info.mtimeMs > staleMs };
  }
  const dead = owner.host === hostname() && !isProcessAlive(owner.pid);
  return { raw, stale: dead || Date.now() - owner.time > staleMs };
}

function parseOwner(raw: string): FileLockOwner | undefined {
  try {
    const v = JSON.parse(raw) as Partial<FileLockOwner>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.time === "number" && typeof v.nonce === "string") {
      return v as FileLockOwner;
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** True unless the process is known not to exist (ESRCH). EPERM means it exists under another user. */
function isProcessAlive(pid: number): boolean {
  // pid 0 and negative pids address process groups; never treat them as a dead owner.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes a stale lock whose content was `observed`. Renaming it aside first means only one
 * breaker wins; if what was renamed is not the lock judged stale (it was broken and retaken in
 * between), it is put back.
 */
async function breakLock(lockPath: string, observed: string): Promise<void> {
  const aside = `${lockPath}.broken-${randomBytes(8).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    const taken = await readFile(aside, "utf8").catch(() => undefined);
    if (taken !== undefined && taken !== observed) await link(aside, lockPath).catch(() => undefined);
  } finally {
    await rm(aside, { force: true });
  }
}

async function release(lockPath: string, content: string): Promise<void> {
  const current = await readFile(lockPath, "utf8").catch(() => undefined);
  if (current === content) await rm(lockPath, { force: true });
}
