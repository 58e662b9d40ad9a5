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

/** The most probable class of row `i` (ties go to the first class). */
export function predictedLabel(t: TargetTransform, y: ArrayLike<number>, i: number): string {
  const scores = classScores(t, y, i);
  let best = scores[0]!;
  for (const s of scores) if (s[1] > best[1]) best = s;
  return best[0];
}
