import type { NetworkConfig, Task } from "../data/model-config.ts";
import type { PreprocessorState } from "../data/preprocessor.ts";
import { mlopsError } from "../errors.ts";
import type { TrainingSplit } from "./train-network.ts";

/** Binary: a class holding less than this share of the rows gets balanced weights by default. */
export const BINARY_IMBALANCE = 0.3;

/** Per-class loss weights for a setting and the class counts of the training rows. */
export function resolveClassWeights(setting: NetworkConfig["classWeights"], task: Task, classes: readonly string[], counts: readonly number[]): { weights: Float64Array; rule: string } | undefined {
  if (task === "regression") {
    if (setting !== undefined && setting !== "none") throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: ["network.classWeights: a regression task has no classes; remove it"] });
    return undefined;
  }
  const n = counts.reduce((a, b) => a + b, 0);
  const k = classes.length;
  const balanced = Float64Array.from(counts, (c) => (c > 0 ? n / (k * c) : 1));
  if (setting === "balanced") return { weights: balanced, rule: "balanced (set in config)" };
  if (setting === "none") return { weights: new Float64Array(k).fill(1), rule: "none (set in config)" };
  if (setting !== undefined) {
    const unknown = Object.keys(setting).filter((c) => !classes.includes(c));
    if (unknown.length) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "model config", issues: [`network.classWeights: ${unknown.map((c) => JSON.stringify(c)).join(", ")} ${unknown.length === 1 ? "is not a class" : "are not classes"} of the target (classes: ${classes.join(", ")})`] });
    return { weights: Float64Array.from(classes, (c) => setting[c] ?? 1), rule: "per class (set in config; unlisted classes weigh 1)" };
  }
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  if (task === "binary" && min / n < BINARY_IMBALANCE) return { weights: balanced, rule: `balanced: the rarer class has ${((100 * min) / n).toFixed(1)} % of the rows (< ${100 * BINARY_IMBALANCE} %)` };
  const none = new Float64Array(k).fill(1);
  // Multiclass has no threshold to move: balanced weights would trade accuracy for the rare
  // classes' recall (seattle-weather, bench/README.md: accuracy 0.61 balanced vs 0.80 unweighted).
  if (task === "multiclass") return { weights: none, rule: `none: the multiclass default${min / max < 0.5 ? ` (the rarest class has ${((100 * min) / max).toFixed(1)} % of the commonest's rows: set classWeights "balanced" to favour its recall over accuracy)` : ""}` };
  return { weights: none, rule: "none: the classes are roughly balanced" };
}

/**
 * Resolves `network.classWeights` for the classes of `train` and sets the per-row loss weights of
 * `train` and `validation` (early stopping then judges the weighted loss the network minimises).
 * trainModel and tune's cross-validation both train through it, so a tuned config trains as it was scored.
 */
export function weighSamples(setting: NetworkConfig["classWeights"], t: PreprocessorState["targetTransform"], train: TrainingSplit, validation?: TrainingSplit): { weights: Float64Array; rule: string } | undefined {
  if (t.task === "regression") return undefined;
  const counts = new Array<number>(t.classes.length).fill(0);
  for (const y of train.y) counts[y]!++;
  const classWeights = resolveClassWeights(setting, t.task, t.classes, counts)!;
  const w = classWeights.weights;
  if (w.some((v) => v !== 1)) {
    train.w = Float32Array.from(train.y, (y) => w[y]!);
    if (validation) validation.w = Float32Array.from(validation.y, (y) => w[y]!);
  }
  return classWeights;
}
