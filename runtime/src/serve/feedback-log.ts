import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { describeError, mlopsError } from "../errors.ts";
import type { Log } from "../log.ts";
import { type FeedbackRow, type ModelRegistry, writeFeedbackLines } from "../registry/index.ts";
import { isModelName } from "../registry/registry-names.ts";

/** Default directory of the feedback log, resolved against the working directory (in a pod: the /tmp emptyDir). */
export const DEFAULT_FEEDBACK_LOG_DIR = ".mlops/feedback-log";

/** Who wrote a log directory: a live sibling server's is left alone, a dead one's is replayed. */
interface Owner {
  host: string;
  pid: number;
  pidNamespace: string | null;
  /** The registry its rows belong to: rows are only ever replayed into that one. */
  registry: string;
  startedAt: string;
}

interface Pending {
  text: string;
  rows: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The segment a model's rows are appended to now. */
interface Segment {
  model: string;
  file: string;
  handle: FileHandle;
  rows: number;
  queue: Pending[];
  writing: Promise<void> | undefined;
}

const pidNamespace = (): string | null => {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
};

/** Segment file names: `<created ms>.<seq>.jsonl`, so a replay rebuilds the same registry key. */
const SEGMENT = /^(\d{13})\.(\d+)\.jsonl$/;

/**
 * The server's write-ahead log of labelled feedback: a row is acknowledged only once it is in a
 * local file and fsync'd, so a kill -9 or an OOM kill loses nothing acknowledged. Concurrent
 * requests share one write and one fsync (group commit). Each flush (every monitor tick and at
 * shutdown) closes the current segment and moves every closed segment to the registry as one
 * JSONL object, under a key fixed by the segment (its creation time, this server's id, its
 * number), then deletes it; a segment whose upload fails stays for the next flush. At start,
 * segments left by a server that died are replayed into the registry the same way: writing a
 * key that is already there succeeds without writing twice, so a crash between upload and delete
 * never duplicates rows.
 *
 * Layout: `<dir>/<server id>/owner.json` and `<dir>/<server id>/<model>/<created>.<seq>.jsonl`.
 * Another server's directory is replayed only when its owner is gone (same host and pid
 * namespace, pid no longer running or now ours) and it belongs to the same registry.
 */
export class FeedbackLog {
  /** Directory of this server's segments. */
  readonly dir: string;
  /** Names this server's feedback objects in the registry. */
  readonly instance: string;
  readonly #root: string;
  readonly #registry: ModelRegistry;
  readonly #log: Log;
  readonly #onStored: (model: string, rows: number) => void;
  readonly #segments = new Map<string, Segment>();
  readonly #opening = new Map<string, Promise<void>>();
  #seq = 0;
  #opened = false;
  #flushing: Promise<void> | undefined;

  /**
   * @param root The log's root directory (several servers may share it).
   * @param onStored Told how many rows of a model reached the registry.
   */
  constructor(registry: ModelRegistry, root: string, instance: string, log: Log, onStored: (model: string, rows: number) => void = () => {}) {
    this.#onStored = onStored;
    this.#registry = registry;
    this.#root = path.resolve(root);
    this.instance = `${instance}-${randomBytes(3).toString("hex")}`.replace(/[^A-Za-z0-9_-]/g, "-");
    this.dir = path.join(this.#root, this.instance);
    this.#log = log;
  }

  /**
   * Creates this server's directory (MLOPS_ERR_SERVER_FEEDBACK_LOG naming it when it cannot be
   * written) and replays what dead servers left. Returns the rows replayed.
   */
  async open(): Promise<number> {
    try {
      await mkdir(this.dir, { recursive: true });
      const owner: Owner = { host: hostname(), pid: process.pid, pidNamespace: pidNamespace(), registry: this.#registry.storage.url, startedAt: new Date().toISOString() };
      const file = path.join(this.dir, "owner.json");
      // Written whole (temp file, fsync, rename), so a reader never sees half an owner.
      const tmp = `${file}.tmp`;
      await writeFile(tmp, `${JSON.stringify(owner)}\n`);
      const handle = await open(tmp, "r");
      await handle.sync().finally(() => handle.close());
      await rename(tmp, file);
      await syncDir(this.dir);
      await syncDir(this.#root);
    } catch (err) {
      throw mlopsError("MLOPS_ERR_SERVER_FEEDBACK_LOG", { path: this.dir, reason: describeError(err) }, { cause: err });
    }
    this.#opened = true;
    return this.#replayOrphans();
  }

  /**
   * Appends `rows` to the model's current segment and resolves once they are fsync'd; rejects
   * with MLOPS_ERR_SERVER_FEEDBACK_LOG (503) when they could not be, in which case nothing was
   * acknowledged and the client may resend.
   */
  append(model: string, rows: readonly FeedbackRow[]): Promise<void> {
    if (!this.#opened) return Promise.reject(new Error("FeedbackLog.open() was not called"));
    if (rows.length === 0) return Promise.resolve();
    const text = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
    return new Promise<void>((resolve, reject) => this.#push(model, { text, rows: rows.length, resolve, reject }));
  }

  /** Moves every segment with rows to the registry (closing the current ones first). One flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Flushes, then removes this server's directory when nothing is left in it. */
  async close(): Promise<void> {
    await this.flush();
    for (const s of this.#segments.values()) {
      await s.handle.close().catch(() => undefined);
      if (s.rows === 0) await rm(s.file, { force: true });
    }
    this.#segments.clear();
    const left = await listSegments(this.dir);
    if (left.length === 0) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Queues `p` on the model's current segment, opening one first when there is none. The lookup
   * and the push happen in one synchronous step, so nothing is ever queued on a segment a flush
   * has already taken out of the map (and is about to close).
   */
  #push(model: string, p: Pending): void {
    const segment = this.#segments.get(model);
    if (segment) {
      segment.queue.push(p);
      this.#drain(segment);
      return;
    }
    this.#openSegment(model).then(
      () => this.#push(model, p),
      (err: unknown) => p.reject(this.#error(path.join(this.dir, model), err)),
    );
  }

  /** Writes everything queued on the segment with one write and one fsync, then the next batch. */
  #drain(segment: Segment): void {
    if (segment.writing || segment.queue.length === 0) return;
    const batch = segment.queue.splice(0);
    segment.writing = (async () => {
      try {
        await segment.handle.write(batch.map((p) => p.text).join(""));
        await segment.handle.datasync();
        segment.rows += batch.reduce((n, p) => n + p.rows, 0);
        for (const p of batch) p.resolve();
      } catch (err) {
        const e = this.#error(segment.file, err);
        for (const p of batch) p.reject(e);
      }
    })().finally(() => {
      segment.writing = undefined;
      this.#drain(segment);
    });
  }

  /** Opens a new segment for `model` and makes it current (one at a time per model). */
  #openSegment(model: string): Promise<void> {
    let p = this.#opening.get(model);
    if (!p) {
      p = (async () => {
        const dir = path.join(this.dir, model);
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `${Date.now()}.${++this.#seq}.jsonl`);
        const handle = await open(file, "wx");
        // The new file's directory entry must survive a crash too.
        await syncDir(dir);
        await syncDir(this.dir);
        this.#segments.set(model, { model, file, handle, rows: 0, queue: [], writing: undefined });
      })().finally(() => this.#opening.delete(model));
      this.#opening.set(model, p);
    }
    return p;
  }

  async #flush(): Promise<void> {
    // Close the current segments: new appends start new ones while these are uploaded.
    for (const [model, s] of [...this.#segments]) {
      if (s.rows === 0 && s.queue.length === 0 && !s.writing) continue;
      this.#segments.delete(model);
      while (s.writing || s.queue.length > 0) await (s.writing ?? Promise.resolve());
      await s.handle.close().catch(() => undefined);
    }
    const open = new Set([...this.#segments.values()].map((s) => s.file));
    await this.#upload(this.dir, this.instance, (file) => !open.has(file));
  }

  /** Uploads the closed segments under `dir` (one server's directory), deleting each once stored. Returns rows stored. */
  async #upload(dir: string, instance: string, closed: (file: string) => boolean): Promise<number> {
    let stored = 0;
    for (const { model, file, created, seq } of await listSegments(dir)) {
      if (!closed(file)) continue;
      try {
        // Rows are appended whole and fsync'd before they are acknowledged: only a last line torn
        // by a crash mid-write can be incomplete (no newline yet), and it was never acknowledged.
        // The rest is stored as it is, unparsed: a flush never blocks the event loop on JSON.
        const bytes = await readFile(file);
        const end = bytes.lastIndexOf(0x0a) + 1;
        if (end < bytes.length) this.#log.warn({ file, bytes: bytes.length - end }, "dropped an unacknowledged partial line at the end of the feedback log");
        let rows = 0;
        for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) rows++;
        if (rows > 0) await writeFeedbackLines(this.#registry, model, bytes.subarray(0, end), instance, new Date(created), { id: `s${seq}` });
        await rm(file, { force: true });
        stored += rows;
        if (rows) this.#onStored(model, rows);
      } catch (err) {
        this.#log.error({ model, file, err: describeError(err) }, "cannot move logged feedback to the registry; it stays in the log and is retried at the next flush");
      }
    }
    return stored;
  }

  async #replayOrphans(): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(this.#root);
    } catch {
      return 0;
    }
    let replayed = 0;
    for (const name of entries) {
      if (name === this.instance) continue;
      const dir = path.join(this.#root, name);
      const owner = await readOwner(dir);
      if (owner === undefined) {
        // Killed before its owner record was complete: it cannot have acknowledged anything yet.
        if ((await listSegments(dir)).length === 0) await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (owner.registry !== this.#registry.storage.url) continue;
      const sameHost = owner.host === hostname() && owner.pidNamespace === pidNamespace();
      if (!sameHost || (owner.pid !== process.pid && isAlive(owner.pid))) continue;
      const rows = await this.#upload(dir, name, () => true);
      replayed += rows;
      if ((await listSegments(dir)).length === 0) await rm(dir, { recursive: true, force: true });
      if (rows > 0) this.#log.info({ from: name, rows }, "replayed feedback a stopped server had acknowledged");
    }
    return replayed;
  }

  #error(file: string, err: unknown) {
    return mlopsError("MLOPS_ERR_SERVER_FEEDBACK_LOG", { path: file, reason: describeError(err) }, { cause: err });
  }
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path.join(dir, "owner.json"), "utf8")) as Owner;
    return typeof owner.pid === "number" && typeof owner.host === "string" && typeof owner.registry === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Segments under one server's directory, oldest first. */
async function listSegments(dir: string): Promise<{ model: string; file: string; created: number; seq: number }[]> {
  const out: { model: string; file: string; created: number; seq: number }[] = [];
  let models: string[];
  try {
    models = await readdir(dir);
  } catch {
    return out;
  }
  for (const model of models) {
    if (!isModelName(model) || model === "owner.json") continue;
    let files: string[];
    try {
      files = await readdir(path.join(dir, model));
    } catch {
      continue;
    }
    for (const f of files) {
      const m = SEGMENT.exec(f);
      if (m) out.push({ model, file: path.join(dir, model, f), created: Number(m[1]), seq: Number(m[2]) });
    }
  }
  return out.sort((a, b) => a.created - b.created || a.seq - b.seq);
}

async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF" && code !== "EACCES") throw err;
  } finally {
    await handle?.close();
  }
}
