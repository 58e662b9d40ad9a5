import { MlopsError, describeError, mlopsError } from "../errors.ts";
import type { Log } from "../log.ts";
import { LoadedModel } from "../model/loaded-model.ts";
import { type ModelRegistry, NO_ROLLOUT, type Rollout, readRollout } from "../registry/index.ts";
import { type BatchingOptions, DynamicBatcher } from "./dynamic-batcher.ts";
import type { ModelMonitor } from "./model-monitor.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** The alias the server routes unlabelled requests to. */
export const DEFAULT_ALIAS = "champion";

/** A loaded version with its batcher, the aliases pointing at it and the requests using it. */
export interface ServedVersion {
  readonly model: LoadedModel;
  readonly batcher: DynamicBatcher;
  /** Aliases currently pointing here (empty for versions loaded on demand by number). */
  labels: Set<string>;
  inFlight: number;
  retired: boolean;
}

/** How a request names a version: the default (champion), a number, or an alias. */
export type VersionRef = { kind: "default" } | { kind: "version"; version: number } | { kind: "label"; label: string };

/** Settings for {@link ModelPool}. */
export interface ModelPoolOptions {
  batching: BatchingOptions;
  /** How often the registry is checked for new models and moved aliases. @default 2000 */
  pollIntervalMs: number;
  /** Versions requested by number that stay loaded besides the aliased ones. @default 4 */
  maxOnDemandVersions: number;
  metrics: ServerMetrics;
  log: Log;
  /** Told when versions start and stop serving, to watch them. */
  monitor?: ModelMonitor;
  /** Random numbers for the canary split. @default Math.random */
  random?: () => number;
}

interface ModelEntry {
  versions: Map<number, ServedVersion>;
  aliases: Record<string, number>;
  aliasesEtag: string | undefined;
  /** Version unlabelled requests go to: the champion, else the newest version. */
  defaultVersion: number | undefined;
  onDemand: number[];
  rollout: Rollout;
  rolloutEtag: string | undefined;
}

/** Where an unlabelled request goes: the version that answers, and one that scores a shadow copy. */
export interface Route {
  version: number;
  shadow: number | undefined;
}

/**
 * Keeps the versions the server needs in memory: every alias target (champion, challenger, ...)
 * of every model, plus a few versions requested by number. Polls the registry and swaps in a
 * moved alias only after the new version has loaded and warmed up; the old one is disposed
 * when its last in-flight request finishes, so a swap never fails a request.
 */
export class ModelPool {
  private readonly registry: ModelRegistry;
  private readonly options: ModelPoolOptions;
  private readonly models = new Map<string, ModelEntry>();
  private readonly loading = new Map<string, Promise<ServedVersion>>();
  private readonly failed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private started = false;

  constructor(registry: ModelRegistry, options: ModelPoolOptions) {
    this.registry = registry;
    this.options = options;
  }

  /** Loads every model's aliased versions, then keeps polling. */
  async start(): Promise<void> {
    await this.refresh();
    this.started = true;
    const tick = () => {
      this.timer = setTimeout(() => {
        this.refresh().finally(tick);
      }, this.options.pollIntervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Stops polling and frees every loaded version. */
  close(): void {
    clearTimeout(this.timer);
    for (const entry of this.models.values()) for (const sv of entry.versions.values()) this.retire(sv);
    this.models.clear();
  }

  /** True once the first load finished and every model has its default version loaded. */
  get ready(): boolean {
    if (!this.started) return false;
    for (const e of this.models.values()) if (e.defaultVersion === undefined || !e.versions.has(e.defaultVersion)) return false;
    return true;
  }

  /** Names of the models being served. */
  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }

  /** Loaded versions of a model, ascending; 404 error when the model is unknown. */
  loadedVersions(model: string): ServedVersion[] {
    const e = this.entry(model);
    return [...e.versions.values()].sort((a, b) => a.model.version - b.model.version);
  }

  /** Alias → version for a model as last read from the registry. */
  aliases(model: string): Record<string, number> {
    return { ...this.entry(model).aliases };
  }

  /**
   * Picks the version for an unlabelled request from the model's rollout: the challenger for a
   * `weight` share of requests in canary mode, else the default version (plus the challenger as
   * a shadow in shadow mode). Only versions that are loaded take part.
   */
  route(model: string): Route {
    const e = this.entry(model);
    const fallback = this.versionFor(model, e, { kind: "default" });
    const { mode, challenger, weight } = e.rollout;
    if (challenger === null || challenger === fallback || !e.versions.has(challenger)) return { version: fallback, shadow: undefined };
    if (mode === "canary" && (this.options.random ?? Math.random)() < weight) return { version: challenger, shadow: undefined };
    return { version: fallback, shadow: mode === "shadow" ? challenger : undefined };
  }

  /** Is `model` known and is the version `ref` names loaded? */
  isLoaded(model: string, ref: VersionRef): boolean {
    const e = this.models.get(model);
    if (!e) return false;
    const v = this.versionFor(model, e, ref);
    return e.versions.has(v);
  }

  /**
   * Resolves a reference to a loaded version and marks it in use; call {@link release} after.
   * A version asked for by number that is not loaded is loaded on demand.
   */
  async acquire(model: string, ref: VersionRef): Promise<ServedVersion> {
    const e = this.entry(model);
    const version = this.versionFor(model, e, ref);
    let sv = e.versions.get(version);
    if (!sv) {
      sv = await this.load(model, version);
      const current = this.models.get(model);
      if (!current) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
      if (!current.versions.has(version)) {
        current.versions.set(version, sv);
        current.onDemand.push(version);
        this.options.metrics.loadedVersions.set({ model, version: String(version), alias: "" }, 1);
        this.options.monitor?.track(model, version, sv.model.preprocessor, sv.model.profile);
        this.evictOnDemand(model, current);
      }
      sv = current.versions.get(version)!;
    }
    sv.inFlight++;
    return sv;
  }

  /** Marks a request on `sv` finished; frees a retired version when its last request ends. */
  release(sv: ServedVersion): void {
    sv.inFlight--;
    if (sv.retired && sv.inFlight === 0) sv.model.dispose();
  }

  /** Reads models and aliases from the registry and loads or retires versions to match. One at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private entry(model: string): ModelEntry {
    const e = this.models.get(model);
    if (!e) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    return e;
  }

  private versionFor(model: string, e: ModelEntry, ref: VersionRef): number {
    if (ref.kind === "version") return ref.version;
    if (ref.kind === "label") {
      const v = e.aliases[ref.label];
      if (v === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model, alias: ref.label });
      return v;
    }
    if (e.defaultVersion === undefined) throw mlopsError("MLOPS_ERR_INFER_UNAVAILABLE", { model, reason: "no version is loaded yet" });
    return e.defaultVersion;
  }

  private async doRefresh(): Promise<void> {
    let names: string[];
    try {
      names = await this.registry.listModels();
    } catch (err) {
      this.options.log.error({ err: describeError(err) }, "cannot list models in the registry; keeping what is loaded");
      return;
    }
    for (const name of names) {
      try {
        await this.refreshModel(name);
      } catch (err) {
        this.options.log.error({ model: name, err: describeError(err) }, "cannot refresh model; keeping what is loaded");
      }
    }
    for (const [name, e] of this.models) {
      if (!names.includes(name)) {
        for (const sv of e.versions.values()) {
          this.retire(sv);
          this.options.monitor?.untrack(name, sv.model.version);
        }
        this.models.delete(name);
      }
    }
  }

  private async refreshModel(name: string): Promise<void> {
    const etag = await this.registry.aliasesEtag(name);
    const { rollout, etag: rolloutEtag } = await readRollout(this.registry, name);
    const existing = this.models.get(name);
    const unchanged = existing !== undefined && existing.aliasesEtag === etag && existing.rolloutEtag === rolloutEtag;
    if (unchanged && existing.aliases[DEFAULT_ALIAS] !== undefined) return;
    const aliases = await this.registry.getAliases(name);
    // Without a champion, unlabelled requests go to the newest version, as TF Serving's default policy does.
    const latest = aliases[DEFAULT_ALIAS] === undefined ? (await this.registry.listVersions(name)).at(-1)?.version : undefined;
    if (unchanged && existing.defaultVersion === latest) return;
    const defaultVersion = aliases[DEFAULT_ALIAS] ?? latest;
    if (defaultVersion === undefined) return;
    const wanted = new Map<number, Set<string>>();
    const want = (v: number, label: string) => wanted.set(v, (wanted.get(v) ?? new Set()).add(label));
    for (const [alias, v] of Object.entries(aliases)) want(v, alias);
    if (aliases[DEFAULT_ALIAS] === undefined) want(defaultVersion, "latest");
    if (rollout.mode !== "none" && rollout.challenger !== null) want(rollout.challenger, rollout.mode);

    // Load everything new before switching, so a request never finds a half-ready model.
    const loaded = new Map<number, ServedVersion>();
    for (const v of wanted.keys()) {
      const have = existing?.versions.get(v);
      if (have) loaded.set(v, have);
      else {
        try {
          loaded.set(v, await this.load(name, v));
        } catch {
          // load() logged it; serve what is loaded and retry on the next poll
        }
      }
    }
    if (!loaded.has(defaultVersion) && existing) return;
    const entry: ModelEntry = existing ?? { versions: new Map(), aliases: {}, aliasesEtag: undefined, defaultVersion: undefined, onDemand: [], rollout: NO_ROLLOUT, rolloutEtag: undefined };
    const previous = new Map(entry.versions);
    entry.versions = new Map();
    for (const [v, sv] of loaded) {
      sv.labels = wanted.get(v)!;
      entry.versions.set(v, sv);
    }
    entry.onDemand = entry.onDemand.filter((v) => !wanted.has(v) && previous.has(v));
    for (const v of entry.onDemand) {
      const sv = previous.get(v)!;
      sv.labels = new Set();
      entry.versions.set(v, sv);
    }
    entry.aliases = aliases;
    entry.aliasesEtag = etag;
    entry.rollout = rollout;
    entry.rolloutEtag = rolloutEtag;
    entry.defaultVersion = loaded.has(defaultVersion) ? defaultVersion : undefined;
    this.models.set(name, entry);
    this.exportGauges();
    for (const [v, sv] of previous) {
      if (!entry.versions.has(v)) {
        this.retire(sv);
        this.options.monitor?.untrack(name, v);
        this.options.log.info({ model: name, version: v }, "version unloaded");
      }
    }
    for (const [v, sv] of entry.versions) {
      if (!previous.has(v)) {
        this.options.monitor?.track(name, v, sv.model.preprocessor, sv.model.profile);
        this.options.log.info({ model: name, version: v, aliases: [...sv.labels] }, "version serving");
      }
    }
    if (existing?.rolloutEtag !== rolloutEtag && rollout.mode !== "none") {
      this.options.log.info({ model: name, mode: rollout.mode, challenger: rollout.challenger, weight: rollout.weight }, "rollout applied");
    }
  }

  private exportGauges(): void {
    const m = this.options.metrics;
    m.loadedVersions.reset();
    m.trafficWeight.reset();
    for (const [model, e] of this.models) {
      for (const sv of e.versions.values()) {
        const labels = sv.labels.size ? [...sv.labels] : [""];
        for (const alias of labels) m.loadedVersions.set({ model, version: String(sv.model.version), alias }, 1);
      }
      if (e.defaultVersion === undefined) continue;
      const { mode, challenger, weight } = e.rollout;
      const split = mode === "canary" && challenger !== null && challenger !== e.defaultVersion && e.versions.has(challenger);
      m.trafficWeight.set({ model, version: String(e.defaultVersion), mode: "primary" }, split ? 1 - weight : 1);
      if (split) m.trafficWeight.set({ model, version: String(challenger), mode: "canary" }, weight);
      if (mode === "shadow" && challenger !== null && e.versions.has(challenger)) m.trafficWeight.set({ model, version: String(challenger), mode: "shadow" }, 1);
    }
  }

  private load(model: string, version: number): Promise<ServedVersion> {
    const key = `${model}@${version}`;
    let p = this.loading.get(key);
    if (!p) {
      p = (async () => {
        const started = performance.now();
        try {
          const loaded = await LoadedModel.load(this.registry, model, version);
          const labels = { model, version: String(version) };
          const m = this.options.metrics;
          const batcher = new DynamicBatcher((x, n) => loaded.predict(x, n), loaded.preprocessor.width, loaded.outputWidth, this.options.batching, (rows, requests, seconds) => {
            m.batchRows.observe(labels, rows);
            m.batchRequests.observe(labels, requests);
            m.inferenceDuration.observe(labels, seconds);
          });
          this.failed.delete(key);
          this.options.log.info({ model, version, ms: Math.round(performance.now() - started) }, "version loaded");
          return { model: loaded, batcher, labels: new Set<string>(), inFlight: 0, retired: false };
        } catch (err) {
          if (err instanceof MlopsError && err.status === 404) throw err;
          this.options.metrics.loadFailures.inc({ model, version: String(version) });
          if (!this.failed.has(key)) this.options.log.error({ model, version, err: describeError(err) }, "cannot load version");
          this.failed.add(key);
          throw err;
        } finally {
          this.loading.delete(key);
        }
      })();
      this.loading.set(key, p);
    }
    return p;
  }

  private evictOnDemand(model: string, e: ModelEntry): void {
    while (e.onDemand.length > this.options.maxOnDemandVersions) {
      const v = e.onDemand.shift()!;
      const sv = e.versions.get(v);
      if (sv && sv.labels.size === 0) {
        e.versions.delete(v);
        this.options.metrics.loadedVersions.remove({ model, version: String(v), alias: "" });
        this.options.monitor?.untrack(model, v);
        this.retire(sv);
      }
    }
  }

  private retire(sv: ServedVersion): void {
    if (sv.retired) return;
    sv.retired = true;
    if (sv.inFlight === 0) sv.model.dispose();
  }
}
