import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { describeError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";
import { PreconditionFailedError } from "./storage.ts";

/** What the lease object (`models/<model>/controller/lease.json`) says about its holder. */
export interface LeaseRecord {
  /** Unique id of the holding process: `<host>-<pid>-<random>`. */
  holder: string;
  host: string;
  pid: number;
  /** The holder's pid namespace (`/proc/self/ns/pid`), so a pid is only judged on the same host and namespace. */
  pidNamespace: string | null;
  /** Increases by one at every change of holder. */
  term: number;
  /** Lease length the holder renews within. */
  leaseSeconds: number;
  /** When this holder took the lease, and last renewed it (holder's clock; informative only). */
  acquiredAt: string;
  renewedAt: string;
  /** Set by a holder that stepped down: the next controller may take over at once. */
  released: boolean;
}

const leaseRecord = z.object({
  holder: z.string().min(1),
  host: z.string(),
  pid: z.number().int(),
  pidNamespace: z.string().nullable(),
  term: z.number().int().min(0),
  leaseSeconds: z.number().positive(),
  acquiredAt: z.string(),
  renewedAt: z.string(),
  released: z.boolean(),
});

/** Options of {@link LeaderLease}. */
export interface LeaderLeaseOptions {
  /** How long a lease lasts without renewal. The holder renews every third of it. */
  leaseMs: number;
  /** Id of this process in the lease. @default `<hostname>-<pid>-<random hex>` */
  holder?: string;
  /** Monotonic milliseconds, for expiry. @default performance.now */
  now?: () => number;
  /** Wall-clock time written in the record. @default () => new Date() */
  wallClock?: () => Date;
  /** Told when renewal fails or the lease is lost. @default - nothing */
  onLost?: (reason: string) => void;
  /** Renew in the background on a timer while held. @default true */
  autoRenew?: boolean;
  /**
   * Take over at once a lease held by another holder in this very process (same host, pid
   * namespace and pid): that holder was replaced, since one process acts once per model. @default false
   */
  takeOverSameProcess?: boolean;
}

/** Why a lease could be taken: none existed, it expired, was released, its holder's process is gone (or replaced in this process), it was unreadable, or it was already ours. */
export type AcquiredHow = "created" | "expired" | "released" | "owner-dead" | "replaced" | "unreadable" | "already-held";

/** How an attempt to take the lease ended. */
export type AcquireResult =
  | { acquired: true; previous: LeaseRecord | null; how: AcquiredHow }
  | { acquired: false; holder: LeaseRecord | null; reason: string };

const ownPidNamespace = (): string | null => {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
};

const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
};

/**
 * A leadership lease in the registry, so that of several controllers for one model exactly one
 * acts and the others wait. Built only on get and conditional put, so it works on every backend
 * (filesystem, S3, GCS, Azure Blob):
 *
 * - taking a free lease is a create-only put; taking over is a compare-and-swap on the etag the
 *   taker read, so of two standbys racing for an expired lease one wins;
 * - the holder renews by compare-and-swap on its own last etag every `leaseMs / 3`; a renewal that
 *   finds another etag means someone took over, and the holder stops at once;
 * - a standby judges expiry by its own clock, as Kubernetes leader election does: the lease is
 *   expired once its etag has stayed the same for `leaseMs` while the standby watched. Clocks of
 *   different hosts are never compared. A lease marked `released`, or held by a dead process on
 *   this host and pid namespace, is taken at once;
 * - the holder counts its leadership from *before* each renewal write, so it gives up (see
 *   {@link signal}) no later than a standby could take over.
 */
export class LeaderLease {
  /** The lease's storage key. */
  readonly key: string;
  /** This process's id in the lease. */
  readonly holder: string;
  readonly #registry: ModelRegistry;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #wallClock: () => Date;
  readonly #onLost: (reason: string) => void;
  readonly #autoRenew: boolean;
  readonly #takeOverSameProcess: boolean;
  readonly #pidNamespace = ownPidNamespace();
  #etag: string | undefined;
  #record: LeaseRecord | undefined;
  #heldUntil = 0;
  #observed: { etag: string; since: number } | undefined;
  #lost = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #renewing: Promise<boolean> | undefined;
  /** Bumped at every loss, so a renewal that completes after its lease was given up cannot revive it. */
  #generation = 0;
  #paused = false;

  constructor(registry: ModelRegistry, model: string, options: LeaderLeaseOptions) {
    assertModelName(model);
    this.#registry = registry;
    this.key = keys.controllerLease(model);
    this.#leaseMs = options.leaseMs;
    this.holder = options.holder ?? `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
    this.#now = options.now ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? (() => new Date());
    this.#onLost = options.onLost ?? (() => {});
    this.#autoRenew = options.autoRenew ?? true;
    this.#takeOverSameProcess = options.takeOverSameProcess ?? false;
  }

  /** True while this process holds the lease (and its last renewal is less than `leaseMs` old). */
  get held(): boolean {
    return this.#etag !== undefined && this.#now() < this.#heldUntil;
  }

  /** Aborts when leadership is lost (taken over, or not renewed in time); a fresh signal after each acquisition. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /** The record this process last wrote while holding the lease. */
  get record(): LeaseRecord | undefined {
    return this.#record;
  }

  /** Tries once to take (or keep) the lease; see the class comment for when a held lease counts as expired. */
  async tryAcquire(): Promise<AcquireResult> {
    if (this.held) return { acquired: true, previous: this.#record ?? null, how: "already-held" };
    const object = await this.#registry.storage.get(this.key);
    if (object === undefined) return this.#take(undefined, null, "created");
    const parsed = parseRecord(object.data);
    if (parsed === undefined) return this.#take(object.etag, null, "unreadable");
    if (parsed.holder === this.holder) return this.#take(object.etag, parsed, "already-held");
    if (parsed.released) return this.#take(object.etag, parsed, "released");
    const here = parsed.host === hostname() && parsed.pidNamespace !== null && parsed.pidNamespace === this.#pidNamespace;
    if (here && parsed.pid === process.pid && this.#takeOverSameProcess) return this.#take(object.etag, parsed, "replaced");
    if (here && parsed.pid !== process.pid && !isAlive(parsed.pid)) return this.#take(object.etag, parsed, "owner-dead");
    const now = this.#now();
    if (this.#observed?.etag !== object.etag) this.#observed = { etag: object.etag, since: now };
    const unchangedMs = now - this.#observed.since;
    if (unchangedMs >= this.#leaseMs) return this.#take(object.etag, parsed, "expired");
    return { acquired: false, holder: parsed, reason: `held by ${parsed.holder} (term ${parsed.term}); unchanged for ${Math.round(unchangedMs / 100) / 10} s of its ${parsed.leaseSeconds} s lease` };
  }

  /**
   * Renews the lease now by compare-and-swap on this holder's last write. False (and
   * {@link signal} aborted) when it was taken over, or when it could not be renewed before it ran out.
   */
  renew(): Promise<boolean> {
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  /**
   * Stops renewing in the background without stepping down: the lease lapses after `leaseMs`
   * unless {@link resume}d (or taken again by {@link tryAcquire}, which finds it still ours).
   */
  pause(): void {
    this.#paused = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#expiry);
  }

  /** Resolves once no renewal write is under way (after {@link pause}, none starts again). */
  async idle(): Promise<void> {
    await this.#renewing;
  }

  /**
   * Renews in the background again (at once, when still held). A lease that lapsed while paused
   * is left to {@link tryAcquire}: a renewal racing it would make its compare-and-swap fail, and
   * the controller would stand by for a pass against its own lease.
   */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.held) void this.renew();
  }

  /** Steps down: marks the lease released (so a standby takes it at once) and stops renewing. */
  async release(): Promise<void> {
    clearTimeout(this.#timer);
    clearTimeout(this.#expiry);
    const etag = this.#etag;
    const record = this.#record;
    this.#etag = undefined;
    if (etag === undefined || record === undefined) return;
    try {
      await this.#registry.storage.put(this.key, format({ ...record, released: true, renewedAt: this.#wallClock().toISOString() }), { ifMatch: etag });
    } catch {
      // Taken over meanwhile, or the store is down: the lease runs out by itself.
    }
  }

  async #take(etag: string | undefined, previous: LeaseRecord | null, how: AcquiredHow): Promise<AcquireResult> {
    const time = this.#wallClock().toISOString();
    const record: LeaseRecord = {
      holder: this.holder,
      host: hostname(),
      pid: process.pid,
      pidNamespace: this.#pidNamespace,
      term: how === "already-held" && previous ? previous.term : (previous?.term ?? 0) + 1,
      leaseSeconds: this.#leaseMs / 1000,
      acquiredAt: how === "already-held" && previous ? previous.acquiredAt : time,
      renewedAt: time,
      released: false,
    };
    const started = this.#now();
    try {
      this.#etag = await this.#registry.storage.put(this.key, format(record), etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      this.#observed = undefined;
      return { acquired: false, holder: null, reason: "another controller took the lease first" };
    }
    this.#record = record;
    this.#observed = undefined;
    if (this.#lost.signal.aborted) this.#lost = new AbortController();
    this.#extend(started);
    this.#schedule();
    return { acquired: true, previous, how };
  }

  async #renew(): Promise<boolean> {
    const etag = this.#etag;
    const record = this.#record;
    if (etag === undefined || record === undefined) return false;
    const started = this.#now();
    const generation = this.#generation;
    const next: LeaseRecord = { ...record, renewedAt: this.#wallClock().toISOString() };
    try {
      const written = await this.#registry.storage.put(this.key, format(next), { ifMatch: etag });
      // Given up while the write was in flight: the work is already aborted; the lease runs out.
      if (generation !== this.#generation) return false;
      this.#etag = written;
      this.#record = next;
      this.#extend(started);
      return true;
    } catch (err) {
      if (generation !== this.#generation) return false;
      if (err instanceof PreconditionFailedError) {
        this.#lose("another controller took the lease over");
        return false;
      }
      if (this.#now() >= this.#heldUntil) {
        this.#lose(`the lease could not be renewed before it ran out: ${describeError(err)}`);
        return false;
      }
      return true;
    } finally {
      if (this.#etag !== undefined) this.#schedule();
    }
  }

  /** Leadership now lasts until `leaseMs` after `from` (the start of the write that renewed it); a timer ends it then unless renewed. */
  #extend(from: number): void {
    this.#heldUntil = from + this.#leaseMs;
    clearTimeout(this.#expiry);
    if (this.#paused) return;
    this.#expiry = setTimeout(() => {
      if (this.#etag !== undefined && this.#now() >= this.#heldUntil) this.#lose("the lease was not renewed in time (the store is slow or unreachable)");
    }, Math.max(0, this.#heldUntil - this.#now()) + 1);
    this.#expiry.unref();
  }

  #lose(reason: string): void {
    this.#generation++;
    clearTimeout(this.#timer);
    clearTimeout(this.#expiry);
    this.#etag = undefined;
    this.#lost.abort(new Error(`leadership lost: ${reason}`));
    this.#onLost(reason);
  }

  #schedule(): void {
    if (!this.#autoRenew || this.#paused) return;
    clearTimeout(this.#timer);
    // A third of the lease, but never past the point where it would run out.
    const wait = Math.max(10, Math.min(this.#leaseMs / 3, this.#heldUntil - this.#now() - 10));
    this.#timer = setTimeout(() => {
      void this.renew();
    }, wait);
    this.#timer.unref();
  }
}

function parseRecord(data: Buffer): LeaseRecord | undefined {
  try {
    const parsed = leaseRecord.safeParse(JSON.parse(data.toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const format = (record: LeaseRecord): string => `${JSON.stringify(record, null, 2)}\n`;
