import { randomBytes } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { checkFeedback, type FeedbackSchema, feedbackSchemaOf } from "../data/feedback-check.ts";
import type { Task } from "../data/model-config.ts";
import type { PreprocessorState } from "../data/preprocessor.ts";
import { MlopsError, describeError, mlopsError } from "../errors.ts";
import { type Log, silentLog } from "../log.ts";
import {
  type AcquireResult,
  type FeedbackRow,
  LeaderLease,
  type ModelEvent,
  type ModelEventType,
  type ModelRegistry,
  type MonitorSnapshot,
  type Rollout,
  type UnreadableEvent,
  type UnreadableFeedback,
  type VersionMetadata,
  appendEvent,
  collectGarbage,
  listEvents,
  quarantine,
  readMonitorSnapshots,
  readRollout,
  writeRollout,
} from "../registry/index.ts";
import { registryLayout } from "../registry/registry-layout.ts";
import { approvalState } from "./approval.ts";
import { quarantineFeedback, readCheckedFeedback } from "./feedback-quarantine.ts";
import { type Clock, systemClock } from "./clock.ts";
import { LocalProcessExecutor } from "./local-process-executor.ts";
import { type ControllerPolicy, maxStepSeconds } from "./policy.ts";
import { gateMetric, metricFitsTask } from "./quality-metric.ts";
import { type RolloutHealth, assessHealth, shadowSummary, trafficBaseline } from "./rollout-health.ts";
import { prepareTrainingData, splitFeedback } from "./training-data.ts";
import type { TrainingExecutor } from "./training-executor.ts";
import { type TriggerSignal, evaluateTrigger } from "./trigger-signal.ts";
import { readTriggerState, writeTriggerState } from "./trigger-state.ts";

/** The `actor` of every event the controller records. */
export const CONTROLLER_ACTOR = "controller";

/** Default directory for training tables and configs, resolved against the working directory. */
export const DEFAULT_WORK_DIR = ".mlops/controller";

/** Options of {@link RetrainingController}. */
export interface RetrainingControllerOptions {
  /** The registry holding the model, its snapshots, feedback, rollout and history. */
  registry: ModelRegistry;
  /** A validated policy (see `parsePolicy` / `loadPolicy`). */
  policy: ControllerPolicy;
  /** Runs training. @default - a LocalProcessExecutor (`mlops train` as a child process) */
  executor?: TrainingExecutor;
  /** Time and timers. @default - the system clock */
  clock?: Clock;
  /** Structured log. @default - silent */
  log?: Log;
  /**
   * Directory for each retrain's training table and config. Keep it: a retrained version's
   * `dataset.source` points into it, and the next retrain starts from that table.
   * @default ".mlops/controller"
   */
  workDir?: string;
  /**
   * Act only while holding the model's leadership lease (see {@link LeaderLease}), so that several
   * replicas can run and exactly one acts; the others report `standby`. @default true
   */
  leadership?: boolean;
  /**
   * Keep renewing the lease between passes, for a caller running its own loop of `runOnce`
   * (`run` always does). Otherwise the lease is renewed only during a pass and lapses after
   * `leadership.leaseSeconds` of idleness, so a controller object that is simply dropped never
   * keeps writing to the registry. @default false
   */
  holdLeaseBetweenPasses?: boolean;
}

/** How a pass ended. */
export type CycleOutcome =
  /** The trigger did not fire. */
  | "idle"
  /** The trigger fired within `cooldownSeconds` of the last retraining cycle. */
  | "cooldown"
  /** The trigger fired but fewer labelled rows than the gate needs exist. */
  | "waiting-for-labels"
  | "retrain-failed"
  | "gate-failed"
  | "promoted"
  | "rolled-back"
  /** The aliases or rollout were changed by someone else mid-rollout; the controller stepped aside. */
  | "interrupted"
  /** The policy's `promotion.requireApproval` holds the canary until `mlops models approve` or `reject`. */
  | "awaiting-approval"
  /** Another controller holds the model's lease (or took it over mid-pass); this one waits. */
  | "standby";

/** One evaluation of the trigger. */
export interface TriggerCheck {
  /** The champion whose snapshots were read. */
  champion: number;
  signal: TriggerSignal;
  /** Whether this check saw new snapshots with evidence, and so counted (up, or back to 0). */
  counted: boolean;
  /** Consecutive counted checks with the signal, and how many trigger a retrain. */
  consecutive: number;
  persistChecks: number;
  triggered: boolean;
}

/** What one pass did. */
export interface PassResult {
  /** What start-up reconciliation found and did (first pass only). */
  reconciled: string[];
  /** The trigger check; null when the pass resumed work found at start instead. */
  check: TriggerCheck | null;
  outcome: CycleOutcome;
  /** Who holds the lease, when the outcome is `standby`. */
  standby?: string;
}

/** Thrown by a write the controller attempts after it lost the lease: the new leader owns the model now. */
class LeadershipLost extends Error {
  constructor(reason: string) {
    super(`leadership lost: ${reason}`);
    this.name = "LeadershipLost";
  }
}

/** A version part-way through the pipeline. */
interface InFlight {
  version: number;
  /** The champion it is measured against. */
  champion: number;
}
type Pending =
  | (InFlight & { kind: "gate" })
  | (InFlight & { kind: "rollout"; phase: "shadow" | "canary"; step: number })
  /** Held for a person's approval before canary step `nextStep` (0-based; the steps' length: before promotion). */
  | (InFlight & { kind: "approval"; nextStep: number });
type Watch = { kind: "interrupted" } | { kind: "done" | "unhealthy" | "starved"; health: RolloutHealth; seconds: number };

const BOOKKEEPING: ReadonlySet<ModelEventType> = new Set(["leader-elected", "quarantined", "retrain-abandoned"]);
const ROLLOUT_EVENTS: ReadonlySet<ModelEventType> = new Set(["shadow-started", "shadow-finished", "canary-step", "canary-failed"]);
const NEVER: AbortSignal = new AbortController().signal;

/**
 * Keeps one model fresh: watches the champion's monitoring snapshots, and when drift (or a
 * quality drop) holds for `persistChecks` consecutive checks, outside the cooldown, retrains on
 * the reference data plus recent labelled feedback, gates the new version against the champion
 * on a holdout of the most recent labels, rolls it out (optional shadow phase, then canary steps
 * with health checks) and promotes it or rolls it back. Every decision is a model event with a
 * reason and its numbers.
 *
 * State lives in the registry, not in the process: the aliases, rollout.json, the event history
 * and a small trigger count (models/<m>/controller/trigger.json). Every step leaves a servable
 * champion: the challenger alias is set before any traffic moves, promotion is one
 * compare-and-swap of aliases.json, and rollout.json is cleared only after it. On start
 * ({@link reconcile}) a controller finishes what a previous one left: a rollout whose challenger
 * is already champion is cleared (a crash after the promotion's swap); a shadow or canary rollout
 * in progress is resumed at its current step, with a fresh dwell and fresh health baselines (the
 * version already passed the gate; evidence from before the restart is not trusted across it); a
 * rollout pointing at a version that is not the challenger is cleared; a rollback cut short is
 * finished; a version trained but not yet gated is gated; a training run the previous process
 * never finished is recorded as failed. If someone else moves an alias or rewrites rollout.json
 * during a rollout, the controller stops that rollout without touching anything and reconciles
 * again on its next pass (a challenger promoted by hand is then tidied up like a crashed
 * promotion).
 *
 * Several replicas may run for one model: only the holder of the model's lease in the registry
 * (`models/<m>/controller/lease.json`, see {@link LeaderLease}) acts; the others report `standby`
 * and take over when it stops renewing. A controller that loses the lease mid-pass stops at once
 * (its training run is killed) and writes nothing more; the new leader reconciles what it left.
 */
export class RetrainingController {
  readonly #registry: ModelRegistry;
  readonly #policy: ControllerPolicy;
  readonly #model: string;
  readonly #executor: TrainingExecutor;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #workDir: string;
  readonly #lease: LeaderLease | undefined;
  #holdLease: boolean;
  #started = false;
  #pending: Pending | undefined;
  #lastOutcome: CycleOutcome | undefined;
  #standbyReason: string | undefined;
  /** Lines of stored feedback found unusable in this pass, set aside at its end. */
  #feedbackProblems: UnreadableFeedback[] = [];

  constructor(options: RetrainingControllerOptions) {
    this.#registry = options.registry;
    this.#policy = options.policy;
    this.#model = options.policy.model;
    this.#executor = options.executor ?? new LocalProcessExecutor();
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLog).child({ model: options.policy.model });
    this.#workDir = path.resolve(options.workDir ?? DEFAULT_WORK_DIR);
    this.#holdLease = options.holdLeaseBetweenPasses ?? false;
    this.#lease =
      options.leadership === false
        ? undefined
        : new LeaderLease(this.#registry, this.#model, {
            leaseMs: options.policy.leadership.leaseSeconds * 1000,
            // A second controller for the model in this process replaces the first.
            takeOverSameProcess: true,
            onLost: (reason) => this.#log.warn({ reason }, "leadership lost; standing by"),
          });
  }

  /** This controller's id in the lease, when it runs with leadership. */
  get leaseHolder(): string | undefined {
    return this.#lease?.holder;
  }

  /** Steps down: marks the lease released so a standby takes over at once. */
  async release(): Promise<void> {
    await this.#lease?.release();
  }

  /**
   * Runs passes every `intervalSeconds` until `signal` aborts. A failed pass is logged and the
   * next one tries again; an invalid policy (a gate metric that cannot score the model) stops it.
   * Aborting mid-cycle stops training (the child is killed) and leaves any rollout where it is,
   * for the next start to resume.
   */
  async run(signal: AbortSignal): Promise<void> {
    const held = this.#holdLease;
    this.#holdLease = true;
    try {
      while (!signal.aborted) {
        try {
          await this.runOnce(signal);
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof MlopsError && err.code === "MLOPS_ERR_CONFIG_INVALID") throw err;
          this.#log.error({ err: describeError(err) }, "controller pass failed; trying again next interval");
        }
        try {
          await this.#clock.sleep(this.#policy.intervalSeconds * 1000, signal);
        } catch {
          break;
        }
      }
    } finally {
      this.#holdLease = held;
      await this.release();
    }
  }

  /**
   * One pass: on the first, {@link start}; then either the work start-up found unfinished, or one
   * trigger check and, when it fires, the whole cycle (retrain, gate, rollout, decision), which
   * takes as long as the rollout's dwell times.
   */
  runOnce(signal: AbortSignal = NEVER): Promise<PassResult> {
    return this.#leased(() => this.#pass(signal));
  }

  /**
   * Runs `work` with the lease renewed in the background; afterwards (unless it is held between
   * passes) renewal stops and any renewal write under way has finished, so nothing is written to
   * the registry once the call returns.
   */
  async #leased<T>(work: () => Promise<T>): Promise<T> {
    this.#lease?.resume();
    try {
      return await work();
    } finally {
      if (!this.#holdLease) {
        this.#lease?.pause();
        await this.#lease?.idle();
      }
    }
  }

  async #pass(signal: AbortSignal): Promise<PassResult> {
    const standby = await this.#lead();
    if (standby !== undefined) return { reconciled: [], check: null, outcome: "standby", standby };
    // Losing the lease mid-pass stops the pass like a shutdown does (a training run is killed).
    const work = this.#lease ? AbortSignal.any([signal, this.#lease.signal]) : signal;
    try {
      const reconciled = this.#started ? [] : await this.#start();
      const pending = this.#pending;
      if (pending) {
        this.#pending = undefined;
        const outcome =
          pending.kind === "gate" ? await this.#gateAndRollOut(pending, undefined, work) : pending.kind === "approval" ? await this.#afterApproval(pending, work) : await this.#rollOut(pending, work);
        return { reconciled, check: null, outcome: this.#report(outcome) };
      }
      const check = await this.check();
      if (!check.triggered) return { reconciled, check, outcome: this.#report("idle") };
      return { reconciled, check, outcome: this.#report(await this.#cycle(check, work)) };
    } catch (err) {
      if (!(err instanceof LeadershipLost) && !(this.#lease?.signal.aborted && !signal.aborted)) throw err;
      this.#started = false;
      this.#pending = undefined;
      return { reconciled: [], check: null, outcome: "standby", standby: describeError(err) };
    } finally {
      await this.#setAsideFeedback().catch((err: unknown) => this.#log.warn({ err: describeError(err) }, "cannot quarantine unusable feedback lines; they are skipped again next pass"));
    }
  }

  /**
   * Takes or keeps the model's lease. Undefined when this controller leads (a fresh leader
   * reconciles and cleans up before acting); otherwise why it stands by.
   */
  async #lead(): Promise<string | undefined> {
    const lease = this.#lease;
    if (lease === undefined) return undefined;
    if (lease.held) return undefined;
    let result: AcquireResult;
    try {
      result = await lease.tryAcquire();
    } catch (err) {
      return `cannot read the lease: ${describeError(err)}`;
    }
    if (!result.acquired) {
      if (this.#standbyReason !== result.reason.replace(/; unchanged for .*$/, "")) this.#log.info({ holder: result.holder?.holder }, `standing by: ${result.reason}`);
      this.#standbyReason = result.reason.replace(/; unchanged for .*$/, "");
      return result.reason;
    }
    this.#standbyReason = undefined;
    // Taken again after an idle lapse with nobody else in between: nothing to redo.
    if (result.how === "already-held") return undefined;
    this.#started = false;
    this.#pending = undefined;
    const previous = result.previous;
    this.#log.info({ holder: lease.holder, term: lease.record?.term, how: result.how, previous: previous?.holder }, "took the leadership lease");
    if (previous && previous.holder !== lease.holder && result.how !== "replaced") {
      const why = { expired: "its lease expired", released: "it stepped down", "owner-dead": "its process is gone", replaced: "it was replaced in the same process", unreadable: "the lease was unreadable", created: "" }[result.how];
      await this.#event("leader-elected", undefined, undefined, `controller ${lease.holder} took over from ${previous.holder}: ${why}`, { holder: lease.holder, previous: previous.holder, term: lease.record?.term ?? null, how: result.how });
    }
    try {
      const gc = await collectGarbage(this.#registry, { model: this.#model });
      if (gc.orphanVersions.length || gc.internalFiles.length) {
        this.#log.info({ orphanVersions: gc.orphanVersions.map((o) => o.version), internalFiles: gc.internalFiles.length }, "removed what crashed writers left");
      }
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, "registry cleanup failed; retried at the next takeover");
    }
    return undefined;
  }

  /** Throws {@link LeadershipLost} unless this controller still holds the lease (checked before every write). */
  #guard(): void {
    if (this.#lease !== undefined && !this.#lease.held) throw new LeadershipLost(this.#lease.signal.aborted ? describeError(this.#lease.signal.reason) : "the lease ran out");
  }

  /**
   * Checks the policy against the champion (the gate and quality metrics must suit its task, the
   * trigger's features must be its features; MLOPS_ERR_CONFIG_INVALID otherwise) and reconciles.
   */
  start(): Promise<string[]> {
    return this.#leased(() => this.#start());
  }

  async #start(): Promise<string[]> {
    const standby = await this.#lead();
    if (standby !== undefined) throw new LeadershipLost(`another controller leads: ${standby}`);
    const champion = await this.#registry.resolve(this.#model, "champion");
    const config = champion.config as { task?: Task; features?: { name: string }[] } | null;
    const issues: string[] = [];
    if (config?.task !== undefined) {
      gateMetric(this.#policy.gate, config.task);
      const q = this.#policy.trigger.qualityDrop;
      if (q && !metricFitsTask(q.metric, config.task)) issues.push(`trigger.qualityDrop.metric: ${q.metric} cannot score a ${config.task} model`);
    }
    const known = config?.features?.map((f) => f.name);
    if (known) {
      this.#policy.trigger.features.forEach((f, i) => {
        if (!known.includes(f)) issues.push(`trigger.features[${i}]: ${JSON.stringify(f)} is not a feature of ${this.#model} version ${champion.version} (${known.join(", ")})`);
      });
    }
    if (issues.length > 0) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "controller policy", issues });
    const actions = await this.reconcile();
    this.#started = true;
    for (const a of actions) this.#log.info({ action: a }, "reconciled registry state at start");
    return actions;
  }

  /** Finishes or schedules what a previous controller left part-way; see the class comment. Returns what it did. */
  async reconcile(): Promise<string[]> {
    const model = this.#model;
    const aliases = await this.#registry.getAliases(model);
    const champion = aliases.champion;
    if (champion === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model, alias: "champion" });
    const challenger = aliases.challenger;
    const actions: string[] = [];
    const rollout = await this.#readOrRepairRollout(champion, actions);
    const events = await this.#history(champion, actions);
    // Leadership changes and quarantines are bookkeeping: they say nothing about where the pipeline stands.
    const decisive = (e: ModelEvent) => e.actor === CONTROLLER_ACTOR && !BOOKKEEPING.has(e.type);
    const lastAbout = (v: number) => events.findLast((e) => decisive(e) && e.version === v);
    await this.#recordAbandoned(events, aliases, actions);

    if ((rollout.mode !== "none" && rollout.challenger === champion) || challenger === champion) {
      const last = lastAbout(champion);
      if (rollout.mode !== "none") {
        await this.#writeRollout("none", null, 0, `version ${champion} is champion; rollout finished`);
        actions.push(`cleared the ${rollout.mode} rollout of version ${champion}, which is already champion`);
      }
      if (challenger === champion) {
        await this.#deleteChallenger(champion);
        actions.push(`removed the challenger alias from version ${champion}, which is already champion`);
      }
      const recorded = events.some((e) => e.version === champion && (e.type === "promoted" || (e.type === "alias-moved" && e.details?.alias === "champion")));
      if (last !== undefined && !recorded) {
        const from = last.champion;
        await this.#event("promoted", champion, champion, `version ${champion} is champion${from !== undefined ? ` in place of version ${from}` : ""}; its promotion was finished on start (rollout cleared, challenger alias removed)`, {
          from: from ?? null,
          to: champion,
          finishedOnStart: true,
        });
        actions.push(`recorded the promotion of version ${champion}`);
      }
      return actions;
    }
    if (rollout.mode !== "none") {
      const held = rollout.challenger !== null && challenger === rollout.challenger ? lastAbout(challenger) : undefined;
      if (held?.type === "awaiting-approval" && rollout.mode === "canary") {
        const nextStep = typeof held.details?.nextStep === "number" ? held.details.nextStep : this.#approvalStep();
        this.#pending = { kind: "approval", version: challenger!, champion, nextStep };
        actions.push(`waiting for approval of version ${challenger} (asked at seq ${held.seq}); the canary stays at ${pct(rollout.weight)}`);
      } else if (rollout.challenger !== null && challenger === rollout.challenger) {
        const steps = this.#policy.rollout.steps;
        const found = steps.findIndex((w) => w >= rollout.weight - 1e-9);
        const step = rollout.mode === "shadow" ? 0 : found < 0 ? steps.length - 1 : found;
        this.#pending = { kind: "rollout", version: challenger, champion, phase: rollout.mode, step };
        actions.push(`resuming the ${rollout.mode} rollout of version ${challenger}${rollout.mode === "canary" ? ` at step ${step + 1}/${steps.length} (${pct(steps[step]!)})` : ""}`);
      } else {
        const reason = `rollout.json sent traffic to version ${rollout.challenger}, which is not the challenger (${challenger ?? "none"}); cleared it`;
        await this.#writeRollout("none", null, 0, reason);
        await this.#event("rolled-back", rollout.challenger ?? undefined, champion, reason, { phase: "restart", rollout });
        actions.push(reason);
      }
      return actions;
    }
    if (challenger !== undefined) {
      const last = lastAbout(challenger);
      if (last?.type === "gate-passed") {
        this.#pending = { kind: "rollout", version: challenger, champion, ...this.#firstPhase() };
        actions.push(`starting the rollout of version ${challenger}, which passed the gate before a restart`);
      } else if (last !== undefined && ROLLOUT_EVENTS.has(last.type)) {
        await this.#deleteChallenger(challenger);
        await this.#event("rolled-back", challenger, champion, `version ${challenger} rolled back, version ${champion} stays champion; the rollback was finished on start (challenger alias removed)`, { phase: "restart", finishedOnStart: true });
        actions.push(`finished rolling back version ${challenger}`);
      }
      return actions;
    }
    const last = events.findLast(decisive);
    if (last?.type === "retrain-started") {
      await this.#event("retrain-failed", last.version, champion, "the controller stopped during this training attempt; it was abandoned", {
        attempt: last.details?.attempt ?? null,
        willRetry: false,
        error: "controller restarted",
      });
      actions.push("recorded the unfinished training attempt as failed");
    } else if (last?.type === "retrain-finished" && last.version !== undefined) {
      this.#pending = { kind: "gate", version: last.version, champion };
      actions.push(`gating version ${last.version}, trained before a restart`);
    } else if (last?.type === "gate-passed" && last.version !== undefined) {
      await this.#registry.setAlias(this.#model, "challenger", last.version);
      this.#pending = { kind: "rollout", version: last.version, champion, ...this.#firstPhase() };
      actions.push(`starting the rollout of version ${last.version}, which passed the gate before a restart`);
    }
    return actions;
  }

  /**
   * The rollout; an unreadable rollout.json is quarantined and replaced by "none" (traffic to the
   * champion alone), the only split that needs no trust in what the file said.
   */
  async #readOrRepairRollout(champion: number, actions: string[]): Promise<Rollout> {
    try {
      return (await readRollout(this.#registry, this.#model)).rollout;
    } catch (err) {
      if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
      const key = registryLayout.rollout(this.#model);
      const object = await this.#registry.storage.get(key);
      const copy = object ? await quarantine(this.#registry, this.#model, key, object.data, describeError(err), CONTROLLER_ACTOR, this.#clock.now()) : null;
      const reason = `rollout.json was unreadable (${String((err as MlopsError).params.reason)}); set aside${copy ? ` as ${copy}` : ""} and reset to all traffic on the champion, version ${champion}`;
      await this.#writeRollout("none", null, 0, reason);
      await this.#event("quarantined", undefined, champion, reason, { objects: [key], copies: copy ? [copy] : [], lines: 0 });
      actions.push(reason);
      return (await readRollout(this.#registry, this.#model)).rollout;
    }
  }

  /** The history; event objects that cannot be read are set aside (quarantined and removed) and counted in a quarantined event. */
  async #history(champion: number, actions: string[]): Promise<ModelEvent[]> {
    const skipped: UnreadableEvent[] = [];
    const events = await listEvents(this.#registry, this.#model, { onSkip: (p) => skipped.push(p) });
    if (skipped.length === 0) return events;
    const copies: string[] = [];
    for (const p of skipped) {
      const object = await this.#registry.storage.get(p.key);
      if (!object) continue;
      this.#guard();
      copies.push(await quarantine(this.#registry, this.#model, p.key, object.data, p.reason, CONTROLLER_ACTOR, this.#clock.now()));
      await this.#registry.storage.delete(p.key);
    }
    const reason = `${skipped.length} unreadable history event${skipped.length === 1 ? "" : "s"} set aside: ${skipped.map((p) => `${p.key} (${p.reason})`).join("; ")}`;
    await this.#event("quarantined", undefined, champion, reason, { objects: skipped.map((p) => p.key), copies, reasons: skipped.map((p) => p.reason), lines: 0 });
    actions.push(reason);
    return events;
  }

  /**
   * Records every version a training attempt registered that the controller never took up (it
   * stopped, crashed or lost the lease while the run finished): a retrained version (it has a
   * parent) created after a retrain-started event for that parent, that no controller event
   * mentions and no alias points at. It is never gated or served; the event says so.
   */
  async #recordAbandoned(events: readonly ModelEvent[], aliases: Record<string, number>, actions: string[]): Promise<void> {
    const starts = events.filter((e) => e.actor === CONTROLLER_ACTOR && e.type === "retrain-started");
    if (starts.length === 0) return;
    const TAKEN_UP: ReadonlySet<ModelEventType> = new Set(["retrain-finished", "gate-passed", "gate-failed", "shadow-started", "shadow-finished", "canary-step", "canary-failed", "promoted", "rolled-back", "retrain-abandoned"]);
    const mentioned = new Set(events.filter((e) => TAKEN_UP.has(e.type) && e.version !== undefined).map((e) => e.version!));
    const aliased = new Set(Object.values(aliases));
    for (const v of await this.#registry.listVersions(this.#model)) {
      if (v.parent === null || mentioned.has(v.version) || aliased.has(v.version)) continue;
      // Ordered by the history when the version's registered event exists (train writes it right after the version), else by time.
      const registered = events.find((e) => e.type === "registered" && e.version === v.version);
      const start = starts.findLast((e) => e.version === v.parent && (registered ? e.seq < registered.seq : Date.parse(e.time) <= Date.parse(v.createdAt) + 1000));
      if (!start) continue;
      const reason = `version ${v.version} was registered by a training attempt the controller abandoned (started ${start.time}); it was never gated and is ignored`;
      await this.#event("retrain-abandoned", v.version, aliases.champion, reason, { parent: v.parent, createdAt: v.createdAt, attempt: start.details?.attempt ?? null, startedSeq: start.seq });
      actions.push(`recorded version ${v.version}, registered by an abandoned training attempt, as ignored`);
    }
  }

  /** The checks a stored feedback row must pass to be trained or gated on, from the champion's training profile. */
  async #feedbackSchema(champion: VersionMetadata): Promise<FeedbackSchema> {
    try {
      const pre = JSON.parse((await this.#registry.readFile(this.#model, champion.version, "preprocessor.json")).toString("utf8")) as PreprocessorState;
      if (pre.formatVersion === 1 && Array.isArray(pre.features) && pre.targetTransform) return feedbackSchemaOf(pre);
    } catch {
      // fall back to the config's kinds below
    }
    const config = champion.config as { task?: Task; features?: { name: string; kind?: "numerical" | "categorical" }[] } | null;
    return {
      features: (config?.features ?? []).map((f) => ({ name: f.name, kind: f.kind ?? "numerical" })),
      target: { task: config?.task ?? "regression" },
      maxAbsZ: Number.POSITIVE_INFINITY,
    };
  }

  /** Reads feedback for `champion` leaving out (and noting, to quarantine at the end of the pass) every unusable line. */
  async #feedbackReader(champion: VersionMetadata): Promise<(limit: number) => Promise<FeedbackRow[]>> {
    const schema = await this.#feedbackSchema(champion);
    return async (limit) => {
      const { rows, problems } = await readCheckedFeedback(this.#registry, this.#model, limit, (row) => checkFeedback(schema, row.label, row.features));
      this.#feedbackProblems.push(...problems);
      return rows;
    };
  }

  /** Moves the unusable feedback lines found this pass to the quarantine and records how many and why. */
  async #setAsideFeedback(): Promise<void> {
    const problems = this.#feedbackProblems;
    this.#feedbackProblems = [];
    if (problems.length === 0 || (this.#lease !== undefined && !this.#lease.held)) return;
    const unique = [...new Map(problems.map((p) => [`${p.key}#${p.line}`, p])).values()];
    const { lines, objects } = await quarantineFeedback(this.#registry, this.#model, unique, CONTROLLER_ACTOR, this.#clock.now());
    if (lines === 0) return;
    const champion = (await this.#registry.getAliases(this.#model)).champion;
    const reasons = unique.slice(0, 20).map((p) => `${p.key.slice(p.key.lastIndexOf("/") + 1)} line ${p.line}: ${p.reason}`);
    await this.#event("quarantined", undefined, champion, `${lines} unusable feedback line${lines === 1 ? "" : "s"} set aside, not trained on: ${reasons.slice(0, 3).join("; ")}${unique.length > 3 ? "; ..." : ""}`, {
      lines,
      objects,
      reasons,
    });
  }

  /**
   * Reads the champion's snapshots and counts the check: up when the signal holds, back to 0 when
   * it does not. A check without new snapshots (or without usable ones) does not count either way.
   * The count is stored, so a restart or a `--once` run keeps it.
   */
  async check(): Promise<TriggerCheck> {
    const champion = (await this.#registry.getAliases(this.#model)).champion;
    if (champion === undefined) throw mlopsError("MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND", { model: this.#model, alias: "champion" });
    const now = this.#clock.now();
    const signal = evaluateTrigger(await readMonitorSnapshots(this.#registry, this.#model, champion), this.#policy.trigger, now);
    const state = await readTriggerState(this.#registry, this.#model, champion);
    const counted = signal.evidence && signal.observed !== state.observed;
    const consecutive = counted ? (signal.holds ? state.consecutive + 1 : 0) : state.consecutive;
    if (counted) await writeTriggerState(this.#registry, this.#model, { champion, consecutive, observed: signal.observed, updatedAt: now.toISOString() });
    const persistChecks = this.#policy.trigger.persistChecks;
    this.#log.debug({ champion, holds: signal.holds, counted, consecutive, persistChecks, reasons: signal.reasons }, "trigger check");
    return { champion, signal, counted, consecutive, persistChecks, triggered: consecutive >= persistChecks };
  }

  async #cycle(check: TriggerCheck, signal: AbortSignal): Promise<CycleOutcome> {
    const champion = await this.#registry.getVersion(this.#model, check.champion);
    const now = this.#clock.now();
    const lastCycle = (await listEvents(this.#registry, this.#model)).findLast((e) => e.type === "drift-detected" && e.actor === CONTROLLER_ACTOR);
    const since = lastCycle ? (now.getTime() - Date.parse(lastCycle.time)) / 1000 : Number.POSITIVE_INFINITY;
    if (since < this.#policy.cooldownSeconds) {
      this.#logOnce("cooldown", { secondsLeft: Math.ceil(this.#policy.cooldownSeconds - since) }, "retrain signal holds, but the cooldown since the last retraining cycle has not passed");
      return "cooldown";
    }
    const split = await splitFeedback(this.#registry, this.#model, this.#policy.training, await this.#feedbackReader(champion));
    if (split.holdout.length < this.#policy.gate.minHoldoutRows) {
      this.#logOnce("waiting-for-labels", { labelled: split.labelled, holdout: split.holdout.length, needed: this.#policy.gate.minHoldoutRows }, "retrain signal holds, but too few labelled feedback rows for the gate's holdout");
      return "waiting-for-labels";
    }
    await this.#event("drift-detected", champion.version, champion.version, `retraining: ${check.signal.reasons.join("; ")} — held for ${check.consecutive} consecutive checks`, {
      ...check.signal.details,
      consecutive: check.consecutive,
      persistChecks: check.persistChecks,
      labelled: split.labelled,
    });
    await writeTriggerState(this.#registry, this.#model, { champion: champion.version, consecutive: 0, observed: check.signal.observed, updatedAt: now.toISOString() });
    const version = await this.#retrain(champion, split.train, split.holdout.length, signal);
    if (version === undefined) return "retrain-failed";
    return this.#gateAndRollOut({ version, champion: champion.version }, split.holdout, signal);
  }

  /** Writes the training data and runs the executor, retrying with doubling backoff; the new version, or undefined. */
  async #retrain(champion: VersionMetadata, feedback: FeedbackRow[], holdoutRows: number, signal: AbortSignal): Promise<number | undefined> {
    const { executor: ex, training } = this.#policy;
    const stamp = this.#clock.now().toISOString().replace(/[:.]/g, "-");
    const dir = path.join(this.#workDir, this.#model, `${stamp}-${randomBytes(3).toString("hex")}`);
    let data: Awaited<ReturnType<typeof prepareTrainingData>>;
    try {
      data = await prepareTrainingData({ champion, feedback, training, registry: this.#registry, dir });
    } catch (err) {
      await this.#event("retrain-failed", champion.version, champion.version, `could not assemble the training data: ${describeError(err)}`, {
        stage: "data",
        attempt: 0,
        willRetry: false,
        error: describeError(err),
      });
      return undefined;
    }
    const attempts = ex.retries + 1;
    const job = { model: this.#model, dataPath: data.dataPath, configPath: data.configPath, registry: this.#registry.storage.url, parent: champion.version, workDir: dir, timeoutSeconds: ex.timeoutSeconds };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const r = data.rows;
      await this.#event(
        "retrain-started",
        champion.version,
        champion.version,
        `training attempt ${attempt}/${attempts} on ${r.total} rows (${r.reference} reference${data.reference.source ? ` from ${data.reference.source}` : ""}, ${r.feedback} feedback; ${holdoutRows} held out for the gate)${data.reference.note ? `; ${data.reference.note}` : ""}`,
        { attempt, attempts, executor: this.#executor.kind, dataPath: data.dataPath, configPath: data.configPath, workDir: dir, reference: data.reference, rows: { ...r, holdout: holdoutRows }, timeoutSeconds: ex.timeoutSeconds },
      );
      const started = performance.now();
      try {
        const result = await this.#executor.run(job, signal);
        const meta = await this.#registry.getVersion(this.#model, result.version);
        const seconds = round((performance.now() - started) / 1000);
        await this.#event("retrain-finished", result.version, champion.version, `trained version ${result.version} from version ${champion.version} in ${seconds} s (attempt ${attempt}/${attempts})`, {
          attempt,
          seconds,
          parent: champion.version,
          metrics: meta.metrics,
          dataset: meta.dataset,
        });
        return result.version;
      } catch (err) {
        const error = err instanceof MlopsError && err.code === "MLOPS_ERR_CONTROLLER_TRAINING_FAILED" ? String(err.params.reason) : describeError(err);
        const logTail = err instanceof MlopsError ? String(err.params.logTail ?? "") : "";
        if (signal.aborted) {
          // Lost the lease: the new leader records what this attempt left; writing here would race it.
          if (this.#lease !== undefined && !this.#lease.held) throw new LeadershipLost("taken over during training");
          await this.#event("retrain-failed", champion.version, champion.version, `training attempt ${attempt}/${attempts} stopped: the controller is shutting down`, { attempt, attempts, willRetry: false, error: "controller stopped", logTail });
          throw err;
        }
        const willRetry = attempt < attempts;
        const backoffSeconds = ex.backoffSeconds * 2 ** (attempt - 1);
        await this.#event(
          "retrain-failed",
          champion.version,
          champion.version,
          `training attempt ${attempt}/${attempts} failed: ${error}${willRetry ? `; retrying in ${backoffSeconds} s` : "; giving up until the next trigger"}`,
          { attempt, attempts, willRetry, backoffSeconds: willRetry ? backoffSeconds : null, error, logTail: logTail.split("\n").slice(-20).join("\n") },
        );
        if (willRetry) await this.#clock.sleep(backoffSeconds * 1000, signal);
      }
    }
    return undefined;
  }

  /** Gates `p.version` on `holdout` (re-read from feedback when resuming), then rolls it out when it passes. */
  async #gateAndRollOut(p: InFlight, holdout: FeedbackRow[] | undefined, signal: AbortSignal): Promise<CycleOutcome> {
    const reader = holdout ? undefined : await this.#feedbackReader(await this.#registry.getVersion(this.#model, p.champion));
    const rows = holdout ?? (await splitFeedback(this.#registry, this.#model, this.#policy.training, reader)).holdout;
    // Loaded on use: TensorFlow.js takes most of a second to import, and most passes never gate.
    const { evaluateGate } = await import("./quality-gate.ts");
    const { reason, passed, ...numbers } = await evaluateGate(this.#registry, this.#model, { champion: p.champion, challenger: p.version }, rows, this.#policy.gate);
    await this.#event(passed ? "gate-passed" : "gate-failed", p.version, p.champion, reason, numbers);
    if (!passed) return "gate-failed";
    this.#guard();
    await this.#registry.setAlias(this.#model, "challenger", p.version);
    return this.#rollOut({ ...p, ...this.#firstPhase() }, signal);
  }

  #firstPhase(): { phase: "shadow" | "canary"; step: number } {
    return { phase: this.#policy.rollout.shadowSeconds > 0 ? "shadow" : "canary", step: 0 };
  }

  /**
   * Rolls out `version` against the current champion now, without the gate: sets the challenger
   * alias, runs the shadow phase and canary steps, and promotes it or rolls it back. For a version
   * gated elsewhere, or an operator who wants to push one through the same health checks.
   */
  rollOut(version: number, signal: AbortSignal = NEVER): Promise<CycleOutcome> {
    return this.#leased(() => this.#rollOutNow(version, signal));
  }

  async #rollOutNow(version: number, signal: AbortSignal): Promise<CycleOutcome> {
    const standby = await this.#lead();
    if (standby !== undefined) throw new Error(`cannot roll out version ${version}: standing by (${standby})`);
    const champion = (await this.#registry.resolve(this.#model, "champion")).version;
    await this.#registry.getVersion(this.#model, version);
    if (version === champion) throw new Error(`version ${version} of ${this.#model} is already its champion`);
    await this.#registry.setAlias(this.#model, "challenger", version);
    return this.#report(await this.#rollOut({ version, champion, ...this.#firstPhase() }, signal));
  }

  /**
   * Takes a registered version (a CI pipeline's candidate) through the gate and the rollout now:
   * when the latest labelled feedback gives the gate its `minHoldoutRows`, the version is gated
   * against the champion on that holdout first (and stops there when it fails); with fewer labels
   * there is nothing to gate on here and it goes straight to {@link rollOut} (the pipeline's
   * `mlops models compare` was its gate). With `promotion.requireApproval` it stops at
   * `awaiting-approval`. Returns the outcome and whether the gate ran.
   */
  gateAndRollOut(version: number, signal: AbortSignal = NEVER): Promise<{ outcome: CycleOutcome; gated: boolean; holdout: number }> {
    return this.#leased(() => this.#gateAndRollOutNow(version, signal));
  }

  async #gateAndRollOutNow(version: number, signal: AbortSignal): Promise<{ outcome: CycleOutcome; gated: boolean; holdout: number }> {
    const standby = await this.#lead();
    if (standby !== undefined) throw new Error(`cannot roll out version ${version}: standing by (${standby})`);
    const champion = await this.#registry.resolve(this.#model, "champion");
    await this.#registry.getVersion(this.#model, version);
    if (version === champion.version) throw new Error(`version ${version} of ${this.#model} is already its champion`);
    const { holdout } = await splitFeedback(this.#registry, this.#model, this.#policy.training, await this.#feedbackReader(champion));
    if (holdout.length < this.#policy.gate.minHoldoutRows) return { outcome: await this.#rollOutNow(version, signal), gated: false, holdout: holdout.length };
    return { outcome: this.#report(await this.#gateAndRollOut({ version, champion: champion.version }, holdout, signal)), gated: true, holdout: holdout.length };
  }

  async #rollOut(p: InFlight & { phase: "shadow" | "canary"; step: number }, signal: AbortSignal, approval?: ModelEvent): Promise<CycleOutcome> {
    if (p.phase === "shadow") {
      const failed = await this.#shadow(p, signal);
      if (failed) return failed;
    }
    const steps = this.#policy.rollout.steps;
    const holdAt = this.#policy.promotion.requireApproval && approval === undefined ? this.#approvalStep() : -1;
    let last: RolloutHealth | undefined;
    for (let i = p.phase === "shadow" ? 0 : p.step; i <= steps.length; i++) {
      if (i === holdAt) return this.#awaitApproval(p, i, last);
      if (i === steps.length) break;
      const result = await this.#canaryStep(p, i, signal);
      if (typeof result === "string") return result;
      last = result;
    }
    await this.#promote(p, last, approval);
    return "promoted";
  }

  /** The canary step a version waits for approval before: the first at 100% of traffic, else promotion itself. */
  #approvalStep(): number {
    const steps = this.#policy.rollout.steps;
    const full = steps.findIndex((w) => w >= 1);
    return full < 0 ? steps.length : full;
  }

  /** Records `awaiting-approval` and holds the canary where it is (weight 0 when no step ran). */
  async #awaitApproval(p: InFlight, nextStep: number, last: RolloutHealth | undefined): Promise<CycleOutcome> {
    const steps = this.#policy.rollout.steps;
    const weight = nextStep > 0 ? steps[nextStep - 1]! : 0;
    if (nextStep === 0) await this.#writeRollout("canary", p.version, 0, `version ${p.version} awaits approval before its canary`);
    await this.#event(
      "awaiting-approval",
      p.version,
      p.champion,
      `version ${p.version} passed the gate and ${nextStep} canary step${nextStep === 1 ? "" : "s"}; promotion needs a person's approval: mlops models approve ${this.#model} ${p.version} --by <name> --reason <why> (or reject); ${pct(weight)} of traffic stays on it meanwhile`,
      { nextStep, steps: steps.length, weight, lastStep: last ?? null },
    );
    this.#pending = { kind: "approval", version: p.version, champion: p.champion, nextStep };
    return "awaiting-approval";
  }

  /** A pass while a version waits for approval: carries on once approved, stops once rejected, waits otherwise. */
  async #afterApproval(p: InFlight & { nextStep: number }, signal: AbortSignal): Promise<CycleOutcome> {
    const { awaiting, decision } = approvalState(await listEvents(this.#registry, this.#model), p.version);
    const aliases = await this.#registry.getAliases(this.#model);
    if (decision?.type === "rejected" || decision?.type === "rolled-back") {
      // `mlops models reject` rolled it back already; finish what a crash between its writes left.
      if (aliases.challenger === p.version) await this.#rollBack(p, decision.reason, { phase: "approval", rejectedSeq: decision.seq });
      return "rolled-back";
    }
    if (awaiting === undefined || aliases.champion !== p.champion || aliases.challenger !== p.version) return "interrupted";
    if (decision?.type === "approved") {
      this.#log.info({ version: p.version, by: decision.details?.by }, "approved; finishing the rollout");
      return this.#rollOut({ version: p.version, champion: p.champion, phase: "canary", step: p.nextStep }, signal, decision);
    }
    this.#pending = { kind: "approval", version: p.version, champion: p.champion, nextStep: p.nextStep };
    return "awaiting-approval";
  }

  async #shadow(p: InFlight, signal: AbortSignal): Promise<CycleOutcome | undefined> {
    const seconds = this.#policy.rollout.shadowSeconds;
    await this.#writeRollout("shadow", p.version, 0, `shadow: version ${p.version} scores a copy of the champion's traffic for ${seconds} s`);
    await this.#event("shadow-started", p.version, p.champion, `version ${p.version} scores a copy of version ${p.champion}'s traffic for ${seconds} s; its answers are discarded`, { seconds });
    const watch = await this.#watch(p, "shadow", 0, seconds, 0, signal);
    if (watch.kind === "interrupted") return "interrupted";
    const stats = shadowSummary(await this.#snapshots(p.version));
    const details = { passed: watch.kind === "done", seconds: watch.seconds, ...stats, health: watch.health };
    if (watch.kind === "done") {
      await this.#event("shadow-finished", p.version, p.champion, `shadow phase healthy after ${watch.seconds} s: ${stats.rows} rows compared${stats.agreement !== null ? `, ${pct(stats.agreement)} agreement` : ""}${stats.meanAbsDiff !== null ? `, mean absolute difference ${stats.meanAbsDiff.toFixed(4)}` : ""}`, details);
      return undefined;
    }
    const reason = `shadow phase failed: ${watch.health.violations.join("; ")}`;
    await this.#event("shadow-finished", p.version, p.champion, reason, details);
    await this.#rollBack(p, reason, { phase: "shadow", ...details });
    return "rolled-back";
  }

  async #canaryStep(p: InFlight, i: number, signal: AbortSignal): Promise<RolloutHealth | CycleOutcome> {
    const { steps, dwellSeconds, minRequestsPerStep } = this.#policy.rollout;
    const weight = steps[i]!;
    const label = `canary step ${i + 1}/${steps.length} (${pct(weight)} of traffic to version ${p.version})`;
    await this.#writeRollout("canary", p.version, weight, label);
    const watch = await this.#watch(p, "canary", weight, dwellSeconds, minRequestsPerStep, signal);
    if (watch.kind === "interrupted") return "interrupted";
    const h = watch.health;
    const details = {
      step: i + 1,
      steps: steps.length,
      weight,
      seconds: watch.seconds,
      requests: h.requests,
      errors: h.errors,
      errorRate: h.errorRate,
      p99LatencyMs: h.p99LatencyMs,
      quality: h.quality,
      healthy: watch.kind === "done",
      violations: h.violations,
    };
    const numbers = `${h.requests} requests, error rate ${h.errorRate === null ? "-" : pct(h.errorRate)}, p99 ${h.p99LatencyMs === null ? "-" : `${h.p99LatencyMs.toFixed(1)} ms`}${h.quality ? `, live ${h.quality.metric} ${h.quality.challenger.toFixed(4)} vs champion ${h.quality.champion.toFixed(4)}` : ""}`;
    if (watch.kind === "done") {
      await this.#event("canary-step", p.version, p.champion, `${label} healthy after ${watch.seconds} s: ${numbers}`, details);
      return h;
    }
    const why =
      watch.kind === "unhealthy"
        ? h.violations.join("; ")
        : `only ${h.requests} of the ${minRequestsPerStep} requests a step needs after ${watch.seconds} s, not enough evidence to go on`;
    await this.#event("canary-failed", p.version, p.champion, `${label} failed: ${why}`, details);
    await this.#rollBack(p, `${label} failed: ${why}`, { phase: "canary", ...details });
    return "rolled-back";
  }

  /**
   * Polls every `intervalSeconds` until the phase has lasted `seconds` and seen `minRequests`
   * challenger requests (done), a health bound breaks (unhealthy), a canary step waits past
   * maxStepSeconds (starved), or the rollout was changed by someone else (interrupted).
   */
  async #watch(p: InFlight, mode: "shadow" | "canary", weight: number, seconds: number, minRequests: number, signal: AbortSignal): Promise<Watch> {
    const interval = this.#policy.intervalSeconds;
    const limit = mode === "canary" ? maxStepSeconds(this.#policy) : seconds;
    const started = this.#clock.now().getTime();
    const elapsed = () => round((this.#clock.now().getTime() - started) / 1000);
    const baseline = trafficBaseline(await this.#snapshots(p.version));
    for (;;) {
      const e = elapsed();
      await this.#clock.sleep(Math.max(0, e < seconds ? Math.min(interval, seconds - e) : interval) * 1000, signal);
      const changed = await this.#changedOutside(p, mode, weight);
      if (changed) {
        this.#log.warn({ version: p.version, change: changed }, "rollout changed outside the controller; stepping aside");
        return { kind: "interrupted" };
      }
      const health = assessHealth({
        challenger: await this.#snapshots(p.version),
        champion: await this.#snapshots(p.champion),
        baseline,
        health: this.#policy.rollout.health,
        minRequests,
      });
      const now = elapsed();
      if (health.violations.length > 0) return { kind: "unhealthy", health, seconds: now };
      if (now >= seconds && health.enoughTraffic) return { kind: "done", health, seconds: now };
      if (now >= limit) return { kind: "starved", health, seconds: now };
    }
  }

  /** What someone else changed (aliases or rollout) since the controller last wrote them; undefined when nothing. */
  async #changedOutside(p: InFlight, mode: "shadow" | "canary", weight: number): Promise<string | undefined> {
    const aliases = await this.#registry.getAliases(this.#model);
    const { rollout } = await readRollout(this.#registry, this.#model);
    if (aliases.champion !== p.champion) return `champion is now version ${aliases.champion ?? "none"}`;
    if (aliases.challenger !== p.version) return `challenger is now ${aliases.challenger ?? "unset"}`;
    if (rollout.mode !== mode || rollout.challenger !== p.version || Math.abs(rollout.weight - weight) > 1e-9) return `rollout is now ${rollout.mode} of version ${rollout.challenger} at ${rollout.weight}`;
    return undefined;
  }

  /** Promotion: the champion alias moves in one compare-and-swap (the commit point), then the rollout and challenger alias are cleared. */
  async #promote(p: InFlight, last: RolloutHealth | undefined, approval?: ModelEvent): Promise<void> {
    this.#guard();
    await this.#registry.setAlias(this.#model, "champion", p.version);
    await this.#writeRollout("none", null, 0, `version ${p.version} promoted to champion`);
    await this.#deleteChallenger(p.version);
    const steps = this.#policy.rollout.steps.length;
    const approvedBy = approval ? `, approved by ${String(approval.details?.by)}` : "";
    await this.#event("promoted", p.version, p.version, `version ${p.version} replaced version ${p.champion} as champion after ${steps} healthy canary step${steps === 1 ? "" : "s"}${approvedBy}`, {
      from: p.champion,
      to: p.version,
      steps,
      lastStep: last ?? null,
      ...(approval ? { approval: { by: approval.details?.by ?? null, reason: approval.details?.reason ?? null, seq: approval.seq } } : {}),
    });
  }

  /** Rollback of a challenger: traffic back to the champion first, then the challenger alias removed. */
  async #rollBack(p: InFlight, reason: string, details: Record<string, unknown>): Promise<void> {
    await this.#writeRollout("none", null, 0, `rolled back version ${p.version}: ${reason}`);
    await this.#deleteChallenger(p.version);
    await this.#event("rolled-back", p.version, p.champion, `version ${p.version} rolled back, version ${p.champion} stays champion: ${reason}`, details);
  }

  async #deleteChallenger(version: number): Promise<void> {
    if ((await this.#registry.getAliases(this.#model)).challenger !== version) return;
    this.#guard();
    try {
      await this.#registry.deleteAlias(this.#model, "challenger");
    } catch (err) {
      if ((err as MlopsError).code !== "MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND") throw err;
    }
  }

  async #writeRollout(mode: "none" | "shadow" | "canary", challenger: number | null, weight: number, reason: string): Promise<void> {
    this.#guard();
    await writeRollout(this.#registry, this.#model, { mode, challenger, weight, reason }, this.#clock.now());
  }

  /** A version's snapshots, without those not updated within maxSnapshotAgeSeconds. */
  async #snapshots(version: number): Promise<MonitorSnapshot[]> {
    const now = this.#clock.now().getTime();
    const maxAge = this.#policy.trigger.maxSnapshotAgeSeconds * 1000;
    return (await readMonitorSnapshots(this.#registry, this.#model, version)).filter((s) => now - Date.parse(s.updatedAt) <= maxAge);
  }

  async #event(type: ModelEventType, version: number | undefined, champion: number | undefined, reason: string, details: Record<string, unknown>): Promise<ModelEvent> {
    this.#guard();
    const event = await appendEvent(
      this.#registry,
      this.#model,
      { type, ...(version === undefined ? {} : { version }), ...(champion === undefined ? {} : { champion }), actor: CONTROLLER_ACTOR, reason, details },
      this.#clock.now(),
    );
    this.#log.info({ event: type, seq: event.seq, version, champion }, reason);
    return event;
  }

  #report(outcome: CycleOutcome): CycleOutcome {
    // Someone else changed the aliases or rollout: look at the registry afresh on the next pass.
    if (outcome === "interrupted") this.#started = false;
    if (outcome !== "cooldown" && outcome !== "waiting-for-labels") this.#lastOutcome = outcome;
    return outcome;
  }

  /** Logs a waiting state once, not on every pass it persists. */
  #logOnce(outcome: CycleOutcome, fields: Record<string, unknown>, message: string): void {
    if (this.#lastOutcome !== outcome) this.#log.info(fields, message);
    this.#lastOutcome = outcome;
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
