import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { describeError } from "../errors.ts";
import type { Log } from "../log.ts";
import { type ModelRegistry, type VariantTraffic, writeExperimentTraffic } from "../registry/index.ts";

/**
 * Counts, per experiment and variant, the requests this server answered for it, the 5xx among
 * them and their latency (sum and sum of squares, for a mean with an interval and a Welch test),
 * and writes them each monitor tick to `models/<m>/experiments/<id>/traffic/<instance>.json`. The
 * instance name is unique per server object, so servers (and restarts) never overwrite each other.
 */
export class ExperimentTraffic {
  readonly instance = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private readonly counts = new Map<string, { model: string; id: string; variants: Record<string, VariantTraffic>; dirty: boolean }>();
  private readonly registry: ModelRegistry;
  private readonly log: Log;

  constructor(registry: ModelRegistry, log: Log) {
    this.registry = registry;
    this.log = log;
  }

  /** Counts one finished request. */
  record(model: string, id: string, version: string, status: number, ms: number): void {
    const key = `${model}\u0000${id}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { model, id, variants: {}, dirty: true }));
    const v = (c.variants[version] ??= { requests: 0, errors: 0, latencySumMs: 0, latencySumSquaresMs: 0 });
    v.requests++;
    if (status >= 500) v.errors++;
    v.latencySumMs += ms;
    v.latencySumSquaresMs += ms * ms;
    c.dirty = true;
  }

  /** Writes the counts that changed since the last flush; a failed write is retried at the next. */
  async flush(): Promise<void> {
    for (const c of this.counts.values()) {
      if (!c.dirty) continue;
      try {
        c.dirty = false;
        await writeExperimentTraffic(this.registry, c.model, c.id, this.instance, c.variants);
      } catch (err) {
        c.dirty = true;
        this.log.error({ model: c.model, experiment: c.id, err: describeError(err) }, "cannot write experiment traffic");
      }
    }
  }
}
