import { SCORE_FILE, encodeRows } from "../data/preprocessor.ts";
import { readCategory, readNumber } from "../data/values.ts";
import { initBackend } from "../model/backend.ts";
import { LoadedModel } from "../model/loaded-model.ts";
import { classificationMetrics, regressionMetrics } from "../model/metrics.ts";
import type { FeedbackRow, ModelRegistry } from "../registry/index.ts";
import type { GatePolicy } from "./policy.ts";
import { type QualityMetric, gateMetric, higherIsBetter, improvement } from "./quality-metric.ts";

/** The gate's verdict, with the numbers recorded in the gate-passed / gate-failed event. */
export interface GateResult {
  passed: boolean;
  /** A sentence a person can read. */
  reason: string;
  metric: QualityMetric;
  higherIsBetter: boolean;
  championVersion: number;
  challengerVersion: number;
  /** Metric of each version on the holdout (NaN when undefined, e.g. AUC with one class). */
  champion: number;
  challenger: number;
  /** How much better the challenger is (positive = better), and the margin it needed. */
  improvement: number;
  minImprovement: number;
  /** Holdout rows scored, and rows left out (a label or feature value one of the versions cannot read). */
  rows: number;
  skippedRows: number;
}

/**
 * Scores champion and challenger on the same holdout rows (raw features as served, encoded by
 * each version's own preprocessing) and passes the challenger when it beats the champion by at
 * least `minImprovement` on the gate metric, over at least `minHoldoutRows` rows.
 */
export async function evaluateGate(
  registry: ModelRegistry,
  model: string,
  versions: { champion: number; challenger: number },
  holdout: readonly FeedbackRow[],
  gate: GatePolicy,
): Promise<GateResult> {
  await initBackend();
  const champion = await LoadedModel.load(registry, model, versions.champion);
  const challenger = await LoadedModel.load(registry, model, versions.challenger);
  try {
    const task = challenger.preprocessor.targetTransform.task;
    const metric = gateMetric(gate, task);
    const usable = holdout.filter((row) => readable(champion, row) && readable(challenger, row));
    const score = async (m: LoadedModel): Promise<number> => {
      const state = m.preprocessor;
      const x = encodeRows(state, usable.length, (r, k) => usable[r]!.features[state.features[k]!.name] ?? null, SCORE_FILE);
      const y = await m.predict(x, usable.length);
      const t = state.targetTransform;
      if (t.task === "regression") {
        const actual = Float64Array.from(usable, (row) => (readNumber(row.label, true) as { value: number }).value);
        return regressionMetrics(actual, y)[metric as "rmse" | "mae" | "r2"];
      }
      const labels = Float64Array.from(usable, (row) => t.classes.indexOf(readCategory(row.label)!));
      return classificationMetrics(labels, y, m.outputWidth)[metric as "accuracy" | "rocAuc" | "logLoss"];
    };
    const a = usable.length > 0 ? await score(champion) : Number.NaN;
    const b = usable.length > 0 ? await score(challenger) : Number.NaN;
    const gain = improvement(metric, a, b);
    const base = {
      metric,
      higherIsBetter: higherIsBetter(metric),
      championVersion: versions.champion,
      challengerVersion: versions.challenger,
      champion: a,
      challenger: b,
      improvement: gain,
      minImprovement: gate.minImprovement,
      rows: usable.length,
      skippedRows: holdout.length - usable.length,
    };
    const vs = `${metric} ${fmt(b)} vs champion ${fmt(a)} on ${usable.length} holdout rows`;
    if (usable.length < gate.minHoldoutRows) return { ...base, passed: false, reason: `only ${usable.length} usable holdout rows, the gate needs ${gate.minHoldoutRows}` };
    if (!Number.isFinite(a) || !Number.isFinite(b)) return { ...base, passed: false, reason: `${metric} is undefined on the holdout (${vs})` };
    if (gain >= gate.minImprovement) return { ...base, passed: true, reason: `challenger ${vs}: better by ${fmt(gain)}, at least ${gate.minImprovement} needed` };
    return { ...base, passed: false, reason: `challenger ${vs}: ${gain >= 0 ? `better by only ${fmt(gain)}` : `worse by ${fmt(-gain)}`}, at least ${gate.minImprovement} needed` };
  } finally {
    champion.dispose();
    challenger.dispose();
  }
}

/** Whether a version can score a row: its label is a known class or a number, and its features encode. */
function readable(m: LoadedModel, row: FeedbackRow): boolean {
  const t = m.preprocessor.targetTransform;
  if (t.task === "regression" ? readNumber(row.label, true).kind !== "number" : !t.classes.includes(readCategory(row.label) ?? "\u0000")) return false;
  try {
    encodeRows(m.preprocessor, 1, (_, k) => row.features[m.preprocessor.features[k]!.name] ?? null, SCORE_FILE);
    return true;
  } catch {
    return false;
  }
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
