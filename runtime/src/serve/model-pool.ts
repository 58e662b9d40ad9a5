import { MlopsError, describeError, mlopsError } from "../errors.ts";
import type { Log } from "../log.ts";
import { LoadedModel } from "../model/loaded-model.ts";
import { type Experiment, type ExperimentKey, type ModelRegistry, NO_ROLLOUT, type Rollout, appendEvent, assignVariant, isRouting, listEvents, readActiveExperiment, readRollout } from "../registry/index.ts";
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
  /** The running A/B experiment that routes keyed requests, if any. */
  experiment: Experiment | undefined;
  experimentEtag: string | undefined;
  /** Set while unlabelled requests go to another version because the champion cannot be loaded. */
  fallback: { wanted: number; serving: number; reason: string } | undefined;
  /** When a champion that failed to load is tried again (performance.now() ms). */
  retryAt: number;
}

/** What the server is (not) serving as the registry names it: readiness and why it is degraded. */
export interface PoolStatus {
  /** Every model the registry names has a version loaded for unlabelled requests. */
  ready: boolean;
  /** One sentence per problem: an unreadable registry, a model not served, a fallback, a corrupt rollout. */
  degraded: string[];
}

/** Where an unlabelled request goes: the version that answers, and one that scores a shadow copy. */
export interface Route {
  version: number;
  shadow: number | undefined;
  /** The experiment that assigned the version (by the request's sticky key), when one did. */
  experiment?: string;
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
  /** Models the registry named at its last good listing. */
  private known: string[] | undefined;
  /** Why the registry could not be listed (or listed nothing while models were loaded); cleared by a good listing. */
  private registryProblem: string | undefined;
  /** Per model: why it is not served as the registry says (kept until a refresh of it succeeds). */
  private readonly problems = new Map<string, string>();
  /** Problems already logged, so a poll every 2 s does not repeat them. */
  private readonly reported = new Set<string>();

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

  /**
   * True once the first load finished, the registry could be listed, and every model it names has
   * a version loaded for unlabelled requests (the champion, or a fallback when the champion is
   * unloadable). See {@link status} for what is wrong when it is false or degraded.
   */
  get ready(): boolean {
    return this.status().ready;
  }

  /** Readiness with the reasons behind it. */
  status(): PoolStatus {
    const degraded: string[] = [];
    if (this.registryProblem) degraded.push(this.registryProblem);
    let ready = this.started && this.known !== undefined;
    if (!this.started) degraded.push("the first registry load has not finished");
    for (const name of this.known ?? []) {
      const e = this.models.get(name);
      const served = e !== undefined && e.defaultVersion !== undefined && e.versions.has(e.defaultVersion);
      if (!served) ready = false;
      const problem = this.problems.get(name);
      if (problem) degraded.push(`model ${name}: ${problem}`);
      else if (!served && this.started) degraded.push(`model ${name}: no version loaded yet`);
    }
    return { ready, degraded };
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
  route(model: string, key?: string): Route {
    const e = this.entry(model);
    const fallback = this.versionFor(model, e, { kind: "default" });
    // A keyed request in a running experiment goes to its variant; without a key it is not in the experiment.
    if (key !== undefined && isRouting(e.experiment)) {
      const version = assignVariant(e.experiment, key);
      if (e.versions.has(version)) return { version, shadow: undefined, experiment: e.experiment.id };
    }
    const { mode, challenger, weight } = e.rollout;
    if (challenger === null || challenger === fallback || !e.versions.has(challenger)) return { version: fallback, shadow: undefined };
    if (mode === "canary" && (this.options.random ?? Math.random)() < weight) return { version: challenger, shadow: undefined };
    return { version: fallback, shadow: mode === "shadow" ? challenger : undefined };
  }

  /** The sticky key of the experiment routing `model` now, if one does (undefined for an unknown model). */
  experimentKey(model: string): ExperimentKey | undefined {
    const e = this.models.get(model)?.experiment;
    return isRouting(e) ? e.key : undefined;
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
      try {
        sv = await this.load(model, version);
      } catch (err) {
        if (err instanceof MlopsError && err.status < 500) throw err;
        throw mlopsError("MLOPS_ERR_INFER_UNAVAILABLE", { model, reason: `version ${version} cannot be loaded: ${describeError(err)}` }, { cause: err });
      }
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
    if (e) return e;
    // Named by the registry but not served: say why (503, retryable), not "no such model" (404).
    if (this.known?.includes(model)) throw mlopsError("MLOPS_ERR_INFER_UNAVAILABLE", { model, reason: this.problems.get(model) ?? "no version is loaded yet" });
    throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
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
      this.registryProblem = `cannot list the registry ${this.registry.storage.url}: ${describeError(err)}; keeping the ${this.models.size} model(s) loaded`;
      this.report("registry", this.registryProblem);
      this.options.metrics.registryUnavailable.set(1);
      return;
    }
    if (names.length === 0 && this.models.size > 0) {
      // A bucket that comes back empty (a wrong prefix, a lost mount, a wiped store) must not take
      // every model down with it; a real removal of every model needs a restart.
      this.registryProblem = `the registry ${this.registry.storage.url} lists no models; keeping the ${this.models.size} model(s) loaded`;
      this.report("registry", this.registryProblem);
      this.options.metrics.registryUnavailable.set(1);
      return;
    }
    if (this.registryProblem) this.options.log.info({ registry: this.registry.storage.url }, "registry readable again");
    this.registryProblem = undefined;
    this.reported.delete("registry");
    this.options.metrics.registryUnavailable.set(0);
    this.known = names;
    for (const name of names) {
      try {
        await this.refreshModel(name);
      } catch (err) {
        const why = `cannot refresh it: ${describeError(err)}${this.models.has(name) ? "; keeping what is loaded" : ""}`;
        this.problems.set(name, why);
        this.report(`${name}:refresh`, why, { model: name });
      }
    }
    for (const [name, e] of this.models) {
      if (!names.includes(name)) {
        for (const sv of e.versions.values()) {
          this.retire(sv);
          this.options.monitor?.untrack(name, sv.model.version);
        }
        this.models.delete(name);
        this.problems.delete(name);
      }
    }
    this.exportGauges();
  }

  /** Logs a problem once (until it clears), at error level. */
  private report(id: string, message: string, fields: Record<string, unknown> = {}): void {
    const key = `${id}\u0000${message}`;
    if (this.reported.has(key)) return;
    for (const k of this.reported) if (k.startsWith(`${id}\u0000`)) this.reported.delete(k);
    this.reported.add(key);
    this.options.log.error(fields, message);
  }

  private async refreshModel(name: string): Promise<void> {
    const existing = this.models.get(name);
    let aliases: Record<string, number>;
    let etag: string | undefined;
    try {
      // One read: the table and the etag of exactly those bytes.
      ({ aliases, etag } = await this.registry.readAliases(name));
    } catch (err) {
      if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
      const serving = existing?.defaultVersion;
      const why = `${describeError(err)}; ${serving === undefined ? "not serving it until it is repaired (`mlops models alias`)" : `keeping version ${serving} until it is repaired (\`mlops models alias\`)`}`;
      this.problems.set(name, why);
      this.report(`${name}:aliases`, why, { model: name });
      return;
    }
    let rollout: Rollout;
    let rolloutEtag: string | undefined;
    let rolloutProblem: string | undefined;
    try {
      ({ rollout, etag: rolloutEtag } = await readRollout(this.registry, name));
    } catch (err) {
      if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
      // Unknown split: keep the one in force (none at start), which never sends traffic anywhere unvetted.
      rollout = existing?.rollout ?? NO_ROLLOUT;
      rolloutEtag = existing?.rolloutEtag;
      rolloutProblem = `${describeError(err)}; keeping the ${rollout.mode === "none" ? "champion-only" : rollout.mode} traffic split until it is rewritten`;
    }
    let experiment: Experiment | undefined;
    let experimentEtag: string | undefined;
    try {
      ({ experiment, etag: experimentEtag } = await readActiveExperiment(this.registry, name));
    } catch (err) {
      if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
      experiment = existing?.experiment;
      experimentEtag = existing?.experimentEtag;
      rolloutProblem = `${rolloutProblem ? `${rolloutProblem}; ` : ""}${describeError(err)}; keeping the experiment routing in force until it is rewritten`;
    }
    const unchanged = existing !== undefined && existing.aliasesEtag === etag && existing.rolloutEtag === rolloutEtag && existing.experimentEtag === experimentEtag && (existing.fallback === undefined || performance.now() < existing.retryAt);
    if (unchanged && existing.aliases[DEFAULT_ALIAS] !== undefined) return this.settle(name, existing, rolloutProblem);
    // Without a champion, unlabelled requests go to the newest version, as TF Serving's default policy does.
    const latest = aliases[DEFAULT_ALIAS] === undefined ? (await this.registry.listVersions(name)).at(-1)?.version : undefined;
    if (unchanged && existing.defaultVersion === latest) return this.settle(name, existing, rolloutProblem);
    const wantedDefault = aliases[DEFAULT_ALIAS] ?? latest;
    if (wantedDefault === undefined) {
      this.problems.set(name, "it has no intact version to serve");
      return;
    }
    const wanted = new Map<number, Set<string>>();
    const want = (v: number, label: string) => wanted.set(v, (wanted.get(v) ?? new Set()).add(label));
    for (const [alias, v] of Object.entries(aliases)) want(v, alias);
    if (aliases[DEFAULT_ALIAS] === undefined) want(wantedDefault, "latest");
    if (rollout.mode !== "none" && rollout.challenger !== null) want(rollout.challenger, rollout.mode);
    if (experiment?.status === "running") for (const v of experiment.variants) want(v.version, "experiment");

    // Load everything new before switching, so a request never finds a half-ready model.
    const loaded = new Map<number, ServedVersion>();
    const failures = new Map<number, string>();
    for (const v of wanted.keys()) {
      const have = existing?.versions.get(v);
      if (have) loaded.set(v, have);
      else {
        try {
          loaded.set(v, await this.load(name, v));
        } catch (err) {
          failures.set(v, describeError(err)); // load() logged it; retried on a later poll
        }
      }
    }
    let defaultVersion = wantedDefault;
    let fallback: ModelEntry["fallback"];
    if (!loaded.has(wantedDefault)) {
      const chosen = await this.chooseFallback(name, wantedDefault, aliases, loaded, existing);
      const reason = failures.get(wantedDefault) ?? "it could not be loaded";
      if (chosen === undefined) {
        const why = `version ${wantedDefault} (${aliases[DEFAULT_ALIAS] === undefined ? "latest" : DEFAULT_ALIAS}) cannot be loaded: ${reason}; no other intact aliased or earlier champion version to fall back to`;
        this.problems.set(name, why);
        this.report(`${name}:fallback`, why, { model: name, version: wantedDefault });
        if (existing) existing.retryAt = performance.now() + this.retryDelayMs();
        return;
      }
      defaultVersion = chosen.version;
      loaded.set(chosen.version, chosen.sv);
      if (!wanted.has(chosen.version)) wanted.set(chosen.version, new Set(["fallback"]));
      else wanted.get(chosen.version)!.add("fallback");
      fallback = { wanted: wantedDefault, serving: chosen.version, reason };
    }
    const entry: ModelEntry = existing ?? {
      versions: new Map(),
      aliases: {},
      aliasesEtag: undefined,
      defaultVersion: undefined,
      onDemand: [],
      rollout: NO_ROLLOUT,
      rolloutEtag: undefined,
      experiment: undefined,
      experimentEtag: undefined,
      fallback: undefined,
      retryAt: 0,
    };
    const previous = new Map(entry.versions);
    const previousFallback = entry.fallback;
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
    if (entry.experimentEtag !== experimentEtag && experiment) this.options.log.info({ model: name, experiment: experiment.id, status: experiment.status, variants: experiment.variants }, "experiment applied");
    entry.experiment = experiment;
    entry.experimentEtag = experimentEtag;
    entry.defaultVersion = defaultVersion;
    entry.fallback = fallback;
    entry.retryAt = fallback ? performance.now() + this.retryDelayMs() : 0;
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
    if (fallback && (previousFallback?.wanted !== fallback.wanted || previousFallback.serving !== fallback.serving)) await this.announceFallback(name, fallback, aliases);
    if (!fallback && previousFallback) this.options.log.info({ model: name, version: defaultVersion }, "champion loaded; fallback ended");
    this.settle(name, entry, rolloutProblem);
  }

  /** Records the model's state after a refresh: its problem (a fallback, a corrupt rollout) or none. */
  private settle(name: string, entry: ModelEntry, rolloutProblem: string | undefined): void {
    const parts: string[] = [];
    if (entry.fallback) parts.push(`serving version ${entry.fallback.serving} instead of version ${entry.fallback.wanted}, which cannot be loaded: ${entry.fallback.reason}`);
    if (rolloutProblem) {
      parts.push(rolloutProblem);
      this.report(`${name}:rollout`, rolloutProblem, { model: name });
    } else this.reported.forEach((k) => k.startsWith(`${name}:rollout\u0000`) && this.reported.delete(k));
    if (parts.length) this.problems.set(name, parts.join("; "));
    else {
      this.problems.delete(name);
      for (const k of this.reported) if (k.startsWith(`${name}:`)) this.reported.delete(k);
    }
  }

  /** How long before a champion that would not load is tried again. */
  private retryDelayMs(): number {
    return Math.max(30_000, this.options.pollIntervalMs);
  }

  /**
   * The version to serve when the champion (`wanted`) cannot be loaded: the newest other aliased
   * version that loads, else the most recent earlier champion (from the model's history) that
   * loads, else the version this server already serves. Never an unvetted version nobody aliased
   * or promoted.
   */
  private async chooseFallback(
    name: string,
    wanted: number,
    aliases: Record<string, number>,
    loaded: ReadonlyMap<number, ServedVersion>,
    existing: ModelEntry | undefined,
  ): Promise<{ version: number; sv: ServedVersion } | undefined> {
    const aliased = [...new Set(Object.values(aliases))].filter((v) => v !== wanted).sort((a, b) => b - a);
    let champions: number[] = [];
    try {
      const events = await listEvents(this.registry, name, { onSkip: () => {} });
      const order = events.filter((e) => e.version !== undefined && (e.type === "promoted" || (e.type === "alias-moved" && e.details?.alias === DEFAULT_ALIAS))).map((e) => e.version!);
      champions = [...new Set(order.reverse())].filter((v) => v !== wanted && !aliased.includes(v));
    } catch (err) {
      this.options.log.warn({ model: name, err: describeError(err) }, "cannot read the history for an earlier champion");
    }
    // Last, what this server already serves, so a running server never drops a model it can serve.
    const current = existing?.defaultVersion !== undefined && existing.defaultVersion !== wanted ? [existing.defaultVersion] : [];
    for (const v of [...new Set([...aliased, ...champions, ...current])]) {
      const have = loaded.get(v) ?? existing?.versions.get(v);
      if (have) return { version: v, sv: have };
      try {
        return { version: v, sv: await this.load(name, v) };
      } catch {
        // load() logged it; try the next candidate
      }
    }
    return undefined;
  }

  /** Says loudly that unlabelled traffic goes to a fallback: an error log, the gauge, and a history event. */
  private async announceFallback(name: string, f: NonNullable<ModelEntry["fallback"]>, aliases: Record<string, number>): Promise<void> {
    const labels = Object.entries(aliases).filter(([, v]) => v === f.serving).map(([a]) => a);
    const reason = `version ${f.wanted} (champion) cannot be loaded: ${f.reason}; serving version ${f.serving} (${labels.length ? labels.join(", ") : "an earlier champion"}) instead`;
    this.options.log.error({ model: name, wanted: f.wanted, version: f.serving }, reason);
    const instance = this.options.monitor?.instance ?? `pid-${process.pid}`;
    try {
      await appendEvent(this.registry, name, { type: "serving-fallback", version: f.serving, champion: f.wanted, actor: "server", reason, details: { wanted: f.wanted, serving: f.serving, error: f.reason, instance } });
    } catch (err) {
      this.options.log.warn({ model: name, err: describeError(err) }, "cannot record the fallback in the history");
    }
  }

  private exportGauges(): void {
    const m = this.options.metrics;
    m.loadedVersions.reset();
    m.trafficWeight.reset();
    m.fallback.reset();
    for (const [model, e] of this.models) {
      if (e.fallback) m.fallback.set({ model, wanted: String(e.fallback.wanted), version: String(e.fallback.serving) }, 1);
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
      if (isRouting(e.experiment)) {
        const total = e.experiment.variants.reduce((sum, v) => sum + v.weight, 0);
        for (const v of e.experiment.variants) m.trafficWeight.set({ model, version: String(v.version), mode: "experiment" }, v.weight / total);
      }
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
