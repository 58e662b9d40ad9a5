import { hostname } from "node:os";
import type { PreprocessorState } from "../data/preprocessor.ts";
import type { Cell } from "../data/table.ts";
import { readCategory, readDate, readNumber } from "../data/values.ts";
import { type ReferenceProfile, driftAgainstProfile } from "../drift/index.ts";
import { type FeedbackSchema, checkFeedback, DEFAULT_FEEDBACK_MAX_ABS_Z, feedbackSchemaOf } from "../data/feedback-check.ts";
import { describeError, mlopsError, showValue } from "../errors.ts";
import type { Log } from "../log.ts";
import { classificationMetrics, regressionMetrics } from "../model/metrics.ts";
import { type FeedbackRow, type ModelRegistry, type MonitorSnapshot, writeFeedback, writeMonitorSnapshot } from "../registry/index.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** Monitoring settings. */
export interface MonitorOptions {
  /** Served rows kept per version for drift (a sliding window). @default 5000 */
  windowRows: number;
  /** Fewest rows in the window before drift is computed. @default 100 */
  minWindowRows: number;
  /** Labelled predictions kept per version for live quality. @default 1000 */
  qualityRows: number;
  /** Predictions remembered for feedback (by id), in rows. @default 100000 */
  predictionLogRows: number;
  /** Largest distance, in training standard deviations, of a feedback label or feature from the training mean. @default 100 */
  feedbackMaxAbsZ?: number;
}

/** Request latencies kept per version for the snapshot's p50/p99. */
const LATENCY_WINDOW = 1000;

/** Defaults for {@link MonitorOptions}. */
export const DEFAULT_MONITOR: MonitorOptions = { windowRows: 5000, minWindowRows: 100, qualityRows: 1000, predictionLogRows: 100_000 };

/** A fixed-capacity ring of the most recent served rows, stored column by column. */
class RowWindow {
  readonly columns: Cell[][];
  private next = 0;
  size = 0;
  readonly capacity: number;
  constructor(features: number, capacity: number) {
    this.capacity = capacity;
    this.columns = Array.from({ length: features }, () => new Array<Cell>(capacity).fill(null));
  }
  /** Adds the row at `cells[offset...]`. */
  add(cells: readonly Cell[], offset: number): void {
    for (let k = 0; k < this.columns.length; k++) this.columns[k]![this.next] = cells[offset + k]!;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }
  values(k: number): Cell[] {
    const col = this.columns[k]!;
    return this.size < this.capacity ? col.slice(0, this.size) : col.slice(this.next).concat(col.slice(0, this.next));
  }
}

/** Recent labelled predictions of one version, for live quality. */
class QualityWindow {
  private readonly labels: number[] = [];
  private readonly outputs: number[][] = [];
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  add(label: number, output: ArrayLike<number>): void {
    this.labels.push(label);
    this.outputs.push(Array.from(output));
    if (this.labels.length > this.capacity) {
      this.labels.shift();
      this.outputs.shift();
    }
  }
  get size(): number {
    return this.labels.length;
  }
  /** accuracy (and rocAuc, logLoss) for classifiers, rmse/mae/r2 for regression. */
  metrics(task: PreprocessorState["targetTransform"]["task"]): Record<string, number> {
    if (this.size === 0) return {};
    if (task === "regression") return { ...regressionMetrics(this.labels, this.outputs.map((o) => o[0]!)) };
    const k = this.outputs[0]!.length;
    return { ...classificationMetrics(this.labels, this.outputs.flat(), k) };
  }
}

/** Everything the monitor tracks for one served version. */
interface VersionState {
  model: string;
  version: number;
  preprocessor: PreprocessorState;
  profile: ReferenceProfile | undefined;
  window: RowWindow;
  quality: QualityWindow;
  requests: number;
  errors: number;
  rows: number;
  /** The last {@link LATENCY_WINDOW} request latencies, a ring written at `requests % LATENCY_WINDOW`. */
  latenciesMs: Float64Array;
  /** `rows` when drift was last computed: an unchanged window is not tested again. */
  rowsAtLastDrift: number;
  shadow: { rows: number; agree: number; absDiff: number } | undefined;
  lastDrift: MonitorSnapshot["drift"];
}

interface LoggedPrediction {
  model: string;
  version: number;
  features: string[];
  /** Rows of the request. */
  n: number;
  /** Their raw cells, n × features row-major: one object per request, not per row (the log turns over fast under load and what it holds is promoted; bench/serving.ts). */
  cells: Cell[];
  outputs: Float32Array;
  width: number;
  shadow: { version: number; outputs: Float32Array } | undefined;
  /** The experiment that routed the request. */
  experiment: string | undefined;
}

/** One labelled prediction sent to the feedback endpoint. */
export interface FeedbackItem {
  id: string;
  index: number;
  label: Cell;
  features?: Record<string, Cell>;
}

/** Where acknowledged feedback rows go before the answer: durable when the promise resolves. */
export interface FeedbackSink {
  append(model: string, rows: readonly FeedbackRow[]): Promise<void>;
  flush(): Promise<void>;
}

/**
 * Watches what each served version sees: a sliding window of served rows (drift against the
 * version's reference profile), traffic and latency, live quality from labelled feedback, and
 * shadow agreement. Remembers recent predictions by id so feedback can be joined to them, and
 * persists labelled rows as training data: through `sink` (the server's fsync'd feedback log)
 * or, without one, written straight to the registry; either way before the request is answered.
 * `tick()` recomputes drift, exports the gauges, writes a snapshot per version for the controller
 * and flushes the sink.
 */
export class ModelMonitor {
  private readonly versions = new Map<string, VersionState>();
  private readonly predictions = new Map<string, LoggedPrediction>();
  /** What a valid label and features look like, per `model@version` ever tracked. */
  private readonly schemas = new Map<string, FeedbackSchema>();
  private loggedRows = 0;
  /**
   * Logged predictions oldest first, for eviction. A queue rather than iterating the Map from its
   * start: a Map whose oldest entries keep being deleted makes every new iterator walk the
   * deleted slots, which cost more than the rest of a request under load (bench/serving.ts).
   */
  private readonly logOrder: { id: string; entry: LoggedPrediction }[] = [];
  private logHead = 0;
  private readonly registry: ModelRegistry;
  private readonly options: MonitorOptions;
  private readonly metrics: ServerMetrics;
  private readonly log: Log;
  private readonly sink: FeedbackSink;
  /** Names this server's snapshots and feedback objects. */
  readonly instance = `${hostname()}-${process.pid}`;

  constructor(registry: ModelRegistry, options: MonitorOptions, metrics: ServerMetrics, log: Log, sink?: FeedbackSink) {
    this.registry = registry;
    this.options = options;
    this.metrics = metrics;
    this.log = log;
    this.sink = sink ?? {
      append: async (model, rows) => {
        await writeFeedback(registry, model, rows, this.instance);
      },
      flush: async () => {},
    };
  }

  /** Starts tracking a version that began serving. */
  track(model: string, version: number, preprocessor: PreprocessorState, profile: ReferenceProfile | undefined): void {
    const key = `${model}@${version}`;
    if (this.versions.has(key)) return;
    this.schemas.set(key, feedbackSchemaOf(preprocessor, this.options.feedbackMaxAbsZ ?? DEFAULT_FEEDBACK_MAX_ABS_Z));
    this.versions.set(key, {
      model,
      version,
      preprocessor,
      profile,
      window: new RowWindow(preprocessor.features.length, this.options.windowRows),
      quality: new QualityWindow(this.options.qualityRows),
      requests: 0,
      errors: 0,
      rows: 0,
      latenciesMs: new Float64Array(LATENCY_WINDOW),
      rowsAtLastDrift: -1,
      shadow: undefined,
      lastDrift: null,
    });
  }

  /** Stops tracking a version that was unloaded, and drops its gauges. */
  untrack(model: string, version: number): void {
    this.versions.delete(`${model}@${version}`);
    const v = String(version);
    this.metrics.datasetDrift.remove({ model, version: v });
    for (const m of ["accuracy", "rocAuc", "logLoss", "rmse", "mae", "r2"]) this.metrics.liveQuality.remove({ model, version: v, metric: m });
  }

  /** Records a scored request: its rows go into the drift window and the prediction log under `id` (with the experiment that routed it, for its feedback rows). */
  recordPrediction(id: string, model: string, version: number, n: number, get: (row: number, k: number) => Cell | undefined, outputs: Float32Array, width: number, experiment?: string): void {
    const state = this.versions.get(`${model}@${version}`);
    if (!state) return;
    const features = state.preprocessor.features.map((f) => f.name);
    const f = features.length;
    // Each cell is read once (reading may decode it) into the log, which the window copies.
    const cells: Cell[] = new Array(n * f);
    for (let r = 0, o = 0; r < n; r++) {
      for (let k = 0; k < f; k++) cells[o + k] = get(r, k) ?? null;
      state.window.add(cells, o);
      o += f;
    }
    state.rows += n;
    const entry: LoggedPrediction = { model, version, features, n, cells, outputs, width, shadow: undefined, experiment };
    const replaced = this.predictions.get(id);
    if (replaced) this.loggedRows -= replaced.n;
    this.predictions.set(id, entry);
    this.logOrder.push({ id, entry });
    this.loggedRows += n;
    while (this.loggedRows > this.options.predictionLogRows && this.logHead < this.logOrder.length) {
      const oldest = this.logOrder[this.logHead++]!;
      // An id reused by a later request was already uncounted when it was replaced.
      if (this.predictions.get(oldest.id) !== oldest.entry) continue;
      this.predictions.delete(oldest.id);
      this.loggedRows -= oldest.entry.n;
    }
    if (this.logHead > 1024 && this.logHead * 2 > this.logOrder.length) {
      this.logOrder.splice(0, this.logHead);
      this.logHead = 0;
    }
  }

  /** Records the shadow version's answer to the same rows, to compare offline. */
  recordShadow(id: string, model: string, version: number, outputs: Float32Array): void {
    const logged = this.predictions.get(id);
    const state = this.versions.get(`${model}@${version}`);
    if (!logged || !state) return;
    logged.shadow = { version, outputs };
    const s = (state.shadow ??= { rows: 0, agree: 0, absDiff: 0 });
    const task = state.preprocessor.targetTransform.task;
    for (let r = 0; r < logged.n; r++) {
      const a = logged.outputs.subarray(r * logged.width, (r + 1) * logged.width);
      const b = outputs.subarray(r * logged.width, (r + 1) * logged.width);
      s.rows++;
      s.absDiff += a.reduce((sum, v, j) => sum + Math.abs(v - b[j]!), 0) / logged.width;
      if (task !== "regression" && argmax(a) === argmax(b)) s.agree++;
    }
  }

  /** Counts a finished request against the version that answered it. */
  recordRequest(model: string, version: number, status: number, ms: number): void {
    const state = this.versions.get(`${model}@${version}`);
    if (!state) return;
    state.latenciesMs[state.requests % LATENCY_WINDOW] = ms;
    state.requests++;
    if (status >= 500) state.errors++;
  }

  /**
   * Joins labels to earlier predictions. Known ids update live quality and become training rows;
   * unknown ids with features become training rows only; the rest are returned as unknown. Every
   * item is checked as a prediction would be, plus what a training row needs (a finite label of
   * the model's kind, values within `feedbackMaxAbsZ` training standard deviations): one bad item
   * rejects the request whole (400 naming it). Resolves once the rows are durable; when they
   * cannot be made so it rejects (503) and nothing is counted, so a resend never counts twice.
   */
  async addFeedback(model: string, items: FeedbackItem[], fallbackVersion: number | undefined, now: Date = new Date()): Promise<{ accepted: number; unknown: { id: string; index: number }[] }> {
    // Validate every item before changing anything, so a bad item rejects the request whole.
    const plan = items.map((item, i) => {
      const logged = this.predictions.get(item.id);
      if (logged && logged.model !== model) throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `feedback[${i}]: prediction ${showValue(item.id)} was made by model ${showValue(logged.model)}, not ${showValue(model)}` });
      const row = logged && item.index < logged.n ? logged.cells.slice(item.index * logged.features.length, (item.index + 1) * logged.features.length) : undefined;
      const version = logged && row ? logged.version : item.features ? fallbackVersion : undefined;
      const schema = version === undefined ? undefined : this.schemas.get(`${model}@${version}`);
      if (schema) {
        const problem = checkFeedback(schema, item.label, row ? undefined : item.features);
        if (problem) throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `feedback[${i}].${problem}` });
      }
      const state = version === undefined ? undefined : this.versions.get(`${model}@${version}`);
      const y = state ? encodeLabel(state.preprocessor, item.label, i) : undefined;
      return { item, logged: row ? logged : undefined, row, version, state, y };
    });
    const unknown: { id: string; index: number }[] = [];
    const rows: FeedbackRow[] = [];
    const graded: (() => void)[] = [];
    const time = now.toISOString();
    for (const { item, logged, row, version, state, y } of plan) {
      if (logged && row) {
        const output = logged.outputs.subarray(item.index * logged.width, (item.index + 1) * logged.width);
        if (state && y !== undefined) {
          graded.push(() => {
            state.quality.add(y, output);
            if (logged.shadow) {
              const shadow = this.versions.get(`${model}@${logged.shadow.version}`);
              shadow?.quality.add(y, logged.shadow.outputs.subarray(item.index * logged.width, (item.index + 1) * logged.width));
            }
          });
        }
        const features = Object.fromEntries(logged.features.map((f, k) => [f, row[k] ?? null]));
        rows.push({ id: item.id, index: item.index, time, version: logged.version, features, prediction: Array.from(output), label: item.label, ...(logged.experiment === undefined ? {} : { experiment: logged.experiment }) });
      } else if (item.features && version !== undefined) {
        rows.push({ id: item.id, index: item.index, time, version, features: item.features, prediction: [], label: item.label });
      } else unknown.push({ id: item.id, index: item.index });
    }
    if (rows.length) {
      try {
        await this.sink.append(model, rows);
      } catch (err) {
        if (err instanceof Error && "code" in err && String((err as { code: unknown }).code).startsWith("MLOPS_ERR_")) throw err;
        throw mlopsError("MLOPS_ERR_SERVER_FEEDBACK_LOG", { path: this.registry.storage.url, reason: describeError(err) }, { cause: err });
      }
      for (const grade of graded) grade();
      const perVersion = new Map<number, number>();
      for (const r of rows) perVersion.set(r.version, (perVersion.get(r.version) ?? 0) + 1);
      for (const [v, n] of perVersion) this.metrics.feedback.inc({ model, version: String(v) }, n);
      this.metrics.feedbackLogged.inc({ model }, rows.length);
    }
    return { accepted: rows.length, unknown };
  }

  /** Recomputes drift and quality, exports gauges, writes snapshots and flushes feedback. */
  async tick(now: Date = new Date()): Promise<void> {
    for (const state of this.versions.values()) {
      const labels = { model: state.model, version: String(state.version) };
      if (state.profile && state.window.size >= this.options.minWindowRows && state.rows !== state.rowsAtLastDrift) {
        state.rowsAtLastDrift = state.rows;
        try {
          const current = state.preprocessor.features.map((f, k) => ({ name: f.name, values: cleanColumn(state.window.values(k), f.kind) }));
          const result = driftAgainstProfile(state.profile, current, {});
          state.lastDrift = {
            detected: result.drift.detected,
            share: result.drift.share,
            driftShare: result.drift.driftShare,
            columns: result.drift.columns,
            drifted: result.drift.drifted,
            features: result.columns.map((c) => ({ name: c.name, test: c.test, statistic: c.statistic, pValue: c.pValue, threshold: c.threshold, drifted: c.drifted })),
          };
          this.metrics.datasetDrift.set(labels, result.drift.detected ? 1 : 0);
          for (const c of result.columns) this.metrics.featureDrift.set({ ...labels, feature: c.name, test: c.test }, c.statistic);
        } catch (err) {
          this.log.error({ ...labels, err: describeError(err) }, "drift computation failed");
        }
      }
      const task = state.preprocessor.targetTransform.task;
      const quality = state.quality.metrics(task);
      for (const [metric, value] of Object.entries(quality)) if (Number.isFinite(value)) this.metrics.liveQuality.set({ ...labels, metric }, value);
      const primary = task === "regression" ? "rmse" : "accuracy";
      const sorted = state.latenciesMs.slice(0, Math.min(state.requests, LATENCY_WINDOW)).sort();
      const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null);
      const snapshot: MonitorSnapshot = {
        model: state.model,
        version: state.version,
        instance: this.instance,
        updatedAt: now.toISOString(),
        traffic: { requests: state.requests, errors: state.errors, rows: state.rows, latencyP50Ms: pct(0.5), latencyP99Ms: pct(0.99) },
        window: { rows: state.window.size, capacity: state.window.capacity },
        drift: state.lastDrift,
        quality: quality[primary] !== undefined && Number.isFinite(quality[primary]) ? { metric: primary, value: quality[primary]!, labelled: state.quality.size } : null,
        shadow: state.shadow ? { rows: state.shadow.rows, agreement: task === "regression" ? null : state.shadow.agree / state.shadow.rows, meanAbsDiff: state.shadow.absDiff / state.shadow.rows } : null,
      };
      try {
        await writeMonitorSnapshot(this.registry, snapshot);
      } catch (err) {
        this.log.error({ ...labels, err: describeError(err) }, "cannot write monitor snapshot");
      }
    }
    await this.flushFeedback();
  }

  /** Moves acknowledged feedback from the sink (the feedback log) to the registry; what fails stays logged for the next flush. */
  async flushFeedback(): Promise<void> {
    try {
      await this.sink.flush();
    } catch (err) {
      this.log.error({ err: describeError(err) }, "cannot flush the feedback log; will retry");
    }
  }
}

function argmax(a: ArrayLike<number>): number {
  if (a.length === 1) return a[0]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

/** Label as the quality window needs it: class index, or the value. Unknown classes are a 400 naming the item. */
function encodeLabel(pre: PreprocessorState, label: Cell, item: number): number {
  const t = pre.targetTransform;
  if (t.task === "regression") {
    const r = readNumber(label, false);
    if (r.kind !== "number") throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `feedback[${item}].label must be a finite number for a regression model, got ${showValue(label)}` });
    return r.value;
  }
  const c = readCategory(label);
  const idx = c === null ? -1 : t.classes.indexOf(c);
  if (idx < 0) throw mlopsError("MLOPS_ERR_INFER_BAD_REQUEST", { reason: `feedback[${item}].label ${showValue(label)} is not one of the model's classes (${t.classes.join(", ")})` });
  return idx;
}

/** A window column as the drift tests take it: numbers (or null) for numerical features, labels (or null) for categorical. */
function cleanColumn(values: Cell[], kind: "numerical" | "categorical" | "date"): (number | null)[] | (string | null)[] {
  // Dates drift as days since the epoch, as their reference profile was built (see train-model.ts).
  if (kind === "date") return values.map((v) => {
    const t = readDate(v);
    return t === null ? null : t / 86_400_000;
  });
  if (kind === "numerical") return values.map((v) => {
    const r = readNumber(v, false);
    return r.kind === "number" ? r.value : null;
  });
  return values.map((v) => readCategory(v));
}
