import { mlopsError, showValue } from "../errors.ts";
import type { Explainable } from "./explainable.ts";
import { featureGroups, sumByGroup } from "./feature-groups.ts";
import { DEFAULT_IG_STEPS, integratedGradients } from "./integrated-gradients.ts";
import { DEFAULT_SHAP_SAMPLES, kernelShap } from "./kernel-shap.ts";

/** Attribution methods: Integrated Gradients over the network's gradients, or model-agnostic KernelSHAP. */
export const EXPLAIN_METHODS = ["ig", "kernelshap"] as const;
/** An attribution method. */
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

/** What attributions are measured against: a baseline row (IG) and background rows (KernelSHAP), encoded. */
export interface ExplainReference {
  /** One encoded row: the mean of the encoded training rows (numerical features at their training mean, categories at their frequencies). */
  baseline: Float32Array;
  /** Encoded background rows, rows × width. */
  background: Float32Array;
  rows: number;
  /** Where it came from, for the response: "training" (the version's importance.json) or "request". */
  source: string;
}

/** Options of {@link explainRows}. */
export interface ExplainOptions {
  method: ExplainMethod;
  /** IG path intervals. @default 64 */
  steps?: number;
  /** KernelSHAP coalitions per row when features are too many to enumerate. @default 2048 */
  samples?: number;
  /** Background rows KernelSHAP averages over (the first ones of the reference). @default 50 */
  backgroundRows?: number;
  /** Class whose probability a multiclass model's attributions explain. @default - each row's predicted class */
  class?: string;
}

/** One row's explanation. */
export interface RowExplanation {
  /** The output explained: `P(<class>)` for a classifier, the target's name for a regressor. */
  output: string;
  /** f(x) for that output. */
  prediction: number;
  /** f(baseline) (IG) or E[f(background)] (KernelSHAP). */
  baseline: number;
  /** Attribution per original feature (a categorical feature's one-hot columns summed). */
  attributions: Record<string, number>;
  /** |Σ attributions - (prediction - baseline)|: IG's quadrature error; ~0 for KernelSHAP, which is constrained to it. */
  completenessError: number;
}

/** Defaults of {@link ExplainOptions}. */
export const EXPLAIN_DEFAULTS = { steps: DEFAULT_IG_STEPS, samples: DEFAULT_SHAP_SAMPLES, backgroundRows: 50 } as const;

/**
 * The output column each row's attributions explain: the only one (binary: P(positive class);
 * regression), the named class, or the row's predicted class.
 */
export async function explainedOutputs(model: Explainable, x: Float32Array, n: number, className?: string): Promise<Int32Array> {
  const t = model.preprocessor.targetTransform;
  if (model.outputWidth === 1) {
    if (className !== undefined && (t.task === "regression" || className !== t.classes[1])) {
      throw mlopsError("MLOPS_ERR_EXPLAIN_OPTION", { option: "class", reason: t.task === "regression" ? "a regression model has no classes" : `a binary model explains P(${t.classes[1]}); got ${showValue(className)}` });
    }
    return new Int32Array(n);
  }
  if (t.task === "regression") return new Int32Array(n);
  if (className !== undefined) {
    const c = t.classes.indexOf(className);
    if (c < 0) throw mlopsError("MLOPS_ERR_EXPLAIN_OPTION", { option: "class", reason: `${showValue(className)} is not one of the model's classes (${t.classes.join(", ")})` });
    return new Int32Array(n).fill(c);
  }
  const y = await model.predict(x, n);
  const k = model.outputWidth;
  return Int32Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (y[r * k + c]! > y[r * k + best]!) best = c;
    return best;
  });
}

/** Label of an output column. */
export function outputName(model: Explainable, output: number): string {
  const t = model.preprocessor.targetTransform;
  if (t.task === "regression") return model.preprocessor.target;
  return `P(${model.outputWidth === 1 ? t.classes[1] : t.classes[output]})`;
}

/** Per-row attributions over the original features of n encoded rows. */
export async function explainRows(model: Explainable, x: Float32Array, n: number, reference: ExplainReference, options: ExplainOptions): Promise<RowExplanation[]> {
  const pre = model.preprocessor;
  const groups = featureGroups(pre);
  const outputs = await explainedOutputs(model, x, n, options.class);
  let perFeature: Float64Array;
  let prediction: Float64Array;
  let baseline: Float64Array;
  if (options.method === "ig") {
    const ig = await integratedGradients(model, x, n, reference.baseline, outputs, { steps: options.steps ?? EXPLAIN_DEFAULTS.steps });
    perFeature = sumByGroup(ig.columns, n, pre.width, groups);
    ({ prediction, baseline } = ig);
  } else {
    const nb = Math.min(reference.rows, options.backgroundRows ?? EXPLAIN_DEFAULTS.backgroundRows);
    const shap = await kernelShap(model, groups, x, n, reference.background.subarray(0, nb * pre.width), nb, outputs, { samples: options.samples ?? EXPLAIN_DEFAULTS.samples });
    perFeature = shap.values;
    ({ prediction, baseline } = shap);
  }
  const m = groups.length;
  return Array.from({ length: n }, (_, r) => {
    let sum = 0;
    const attributions: Record<string, number> = {};
    groups.forEach((g, i) => {
      const a = perFeature[r * m + i]!;
      attributions[g.name] = a;
      sum += a;
    });
    return { output: outputName(model, outputs[r]!), prediction: prediction[r]!, baseline: baseline[r]!, attributions, completenessError: Math.abs(sum - (prediction[r]! - baseline[r]!)) };
  });
}

/** A reference made of encoded rows: their column mean is the baseline, the rows the background. */
export function referenceFromRows(encoded: Float32Array, rows: number, width: number, source: string): ExplainReference {
  const baseline = new Float32Array(width);
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) baseline[c]! += encoded[r * width + c]! / rows;
  return { baseline, background: encoded, rows, source };
}
