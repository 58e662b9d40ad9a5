import { showValue } from "../errors.ts";
import type { FeatureKind, Task } from "./model-config.ts";
import type { PreprocessorState } from "./preprocessor.ts";
import { readCategory, readNumber } from "./values.ts";

/**
 * Default bound of {@link FeedbackSchema.maxAbsZ}: a label or numerical feature further than this
 * many training standard deviations from the training mean is taken for a unit or entry error
 * (1e308 for a car's mpg) and refused, because one such row is enough to wreck a retrain.
 */
export const DEFAULT_FEEDBACK_MAX_ABS_Z = 100;

/** What a labelled row must look like for one model: its features' kinds (and training scale), its target. */
export interface FeedbackSchema {
  features: { name: string; kind: FeatureKind; mean?: number; std?: number }[];
  target: { task: Task; classes?: readonly string[]; mean?: number; std?: number };
  /** Largest |value − training mean| / training std accepted for a label or numerical feature. */
  maxAbsZ: number;
}

/** The schema of a trained version, with its training means, standard deviations and classes. */
export function feedbackSchemaOf(pre: PreprocessorState, maxAbsZ: number = DEFAULT_FEEDBACK_MAX_ABS_Z): FeedbackSchema {
  const t = pre.targetTransform;
  return {
    features: pre.features.map((f) => (f.kind === "numerical" ? { name: f.name, kind: f.kind, mean: f.mean, std: f.std } : { name: f.name, kind: f.kind })),
    target: t.task === "regression" ? { task: t.task, mean: t.mean, std: t.std } : { task: t.task, classes: t.classes },
    maxAbsZ,
  };
}

const isScalar = (v: unknown): boolean => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/** Why `value` is too far from the training distribution, or undefined. */
function outOfRange(value: number, mean: number | undefined, std: number | undefined, maxAbsZ: number): string | undefined {
  if (mean === undefined || std === undefined || !Number.isFinite(mean) || !(std > 0)) return undefined;
  const z = Math.abs(value - mean) / std;
  if (z <= maxAbsZ) return undefined;
  return `${value} is ${z >= 1e6 ? z.toExponential(1) : Math.round(z)} training standard deviations from the training mean ${Number(mean.toPrecision(6))} (at most ${maxAbsZ} accepted)`;
}

/**
 * Checks one labelled row the way a prediction request is checked (every feature present, a
 * scalar of the right kind, numbers finite), plus what a training row needs: a label of the
 * model's kind (finite number, or one of its classes) and values within `maxAbsZ` training
 * standard deviations. Returns the first problem as `<field>: <what is wrong>`, or undefined.
 * `features` may be omitted (a label for a logged prediction).
 */
export function checkFeedback(schema: FeedbackSchema, label: unknown, features?: Record<string, unknown>): string | undefined {
  const t = schema.target;
  if (!isScalar(label) || label === null) return `label must be the true value (a string, number or boolean), got ${showValue(label)}`;
  if (t.task === "regression") {
    const r = typeof label === "number" ? readNumber(label, false) : { kind: "junk" as const };
    if (r.kind !== "number") return `label must be a finite number for a regression model, got ${showValue(label)}`;
    const far = outOfRange(r.value, t.mean, t.std, schema.maxAbsZ);
    if (far) return `label ${far}`;
  } else if (t.classes !== undefined) {
    const c = readCategory(label as string | number | boolean);
    if (c === null || !t.classes.includes(c)) return `label ${showValue(label)} is not one of the model's classes (${t.classes.join(", ")})`;
  }
  if (features === undefined) return undefined;
  if (features === null || typeof features !== "object" || Array.isArray(features)) return `features must be an object keyed by feature name, got ${showValue(features)}`;
  const names = new Set(schema.features.map((f) => f.name));
  for (const key of Object.keys(features)) if (!names.has(key)) return `features has unknown feature ${showValue(key)}; the model takes ${[...names].join(", ")}`;
  for (const f of schema.features) {
    if (!Object.hasOwn(features, f.name)) return `features is missing ${showValue(f.name)}; send null if the value is unknown`;
    const v = features[f.name];
    if (!isScalar(v)) return `features.${f.name} must be a string, number, boolean or null, got ${showValue(v)}`;
    if (f.kind !== "numerical" || v === null) continue;
    const r = readNumber(v as string | number | boolean, false);
    if (r.kind === "junk") return `features.${f.name} must be a finite JSON number (or null when unknown), got ${showValue(v)}`;
    if (r.kind === "number") {
      const far = outOfRange(r.value, f.mean, f.std, schema.maxAbsZ);
      if (far) return `features.${f.name} ${far}`;
    }
  }
  return undefined;
}
