import type { TargetTransform } from "../data/preprocessor.ts";

/** Class labels and their scores for row `i` of a classifier's outputs (binary models output P(classes[1])). */
export function classScores(t: TargetTransform, y: ArrayLike<number>, i: number): [string, number][] {
  if (t.task === "regression") throw new Error("classScores on a regression model");
  if (t.classes.length === 2 && t.task === "binary") {
    const p = y[i]!;
    return [
      [t.classes[0]!, 1 - p],
      [t.classes[1]!, p],
    ];
  }
  const k = t.classes.length;
  return t.classes.map((c, j) => [c, y[i * k + j]!]);
}

/**
 * The predicted class of row `i`: for binary models P(classes[1]) >= the version's decision
 * threshold (0.5 for versions without one), else the most probable class (ties go to the first).
 */
export function predictedLabel(t: TargetTransform, y: ArrayLike<number>, i: number): string {
  if (t.task === "binary" && t.classes.length === 2) return y[i]! >= (t.threshold ?? 0.5) ? t.classes[1]! : t.classes[0]!;
  const scores = classScores(t, y, i);
  let best = scores[0]!;
  for (const s of scores) if (s[1] > best[1]) best = s;
  return best[0];
}
