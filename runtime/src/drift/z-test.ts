/**
 * Two-proportion Z-test as Evidently's "z" stattest: the first category in sorted order is coded
 * 0 and every other category 1, and the shares of 1s in reference and current are compared with
 * a pooled standard error. Evidently reports only the two-sided p-value, 2·(1 - Φ(|z|)); the
 * statistic here is |z|.
 */

import { normalCdf } from "./normal-distribution.ts";

/** Result of {@link proportionsZTest}. */
export interface ZTestResult {
  /** |z|. */
  statistic: number;
  /** Two-sided p-value, computed as 2·(1 - Φ(|z|)) exactly as Evidently does. */
  pValue: number;
}

/** Z-test of `ones1` successes in `n1` trials against `ones2` in `n2`. */
export function proportionsZTest(ones1: number, n1: number, ones2: number, n2: number): ZTestResult {
  const p1 = ones1 / n1;
  const p2 = ones2 / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const statistic = Math.abs(z);
  return { statistic, pValue: 2 * (1 - normalCdf(statistic)) };
}

/**
 * Evidently's z drift test on category counts aligned by index, with the categories' sort order
 * given by `firstIndex` (the category coded 0). When both sides hold one and the same category
 * the p-value is 1 (Evidently's special case).
 */
export function zTestDrift(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>, firstIndex: number): ZTestResult {
  let nRef = 0;
  let nCur = 0;
  let refPresent = 0;
  let curPresent = 0;
  let sameSingle = true;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i]!;
    const c = currentCounts[i]!;
    nRef += r;
    nCur += c;
    if (r > 0) refPresent++;
    if (c > 0) curPresent++;
    if ((r > 0) !== (c > 0)) sameSingle = false;
  }
  if (refPresent === 1 && curPresent === 1 && sameSingle) return { statistic: 0, pValue: 1 };
  return proportionsZTest(nRef - referenceCounts[firstIndex]!, nRef, nCur - currentCounts[firstIndex]!, nCur);
}
