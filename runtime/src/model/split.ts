import { seededRandom, shuffleInPlace } from "./random.ts";

/** Fewest rows a class needs to appear in the training, validation and test splits. */
export const MIN_CLASS_ROWS = 3;

/** Row indices of the three internal splits, and what the split had to work around. */
export interface RowSplit {
  train: number[];
  validation: number[];
  test: number[];
  /** Classes too rare for every split, put in training only (with their row counts). */
  rareClasses: { label: string; rows: number }[];
}

/** Groups `rows` by `labelOf(row)` in first-seen order, each group shuffled with `random`. */
function strata(rows: readonly number[], labelOf: ((row: number) => string) | undefined, random: () => number): { label: string; rows: number[] }[] {
  if (!labelOf) return [{ label: "", rows: shuffleInPlace([...rows], random) }];
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const l = labelOf(r);
    let g = groups.get(l);
    if (!g) groups.set(l, (g = []));
    g.push(r);
  }
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([label, g]) => ({ label, rows: shuffleInPlace(g, random) }));
}

/**
 * Splits rows into train / validation / test, seeded. With `labelOf` (classification) the split
 * is stratified: each class contributes round(share × its rows) to the test and validation splits
 * (at least one each, at least one left for training), so a rare class is never missing from
 * training by chance; a class with fewer than {@link MIN_CLASS_ROWS} rows goes to training only
 * and is reported. Without it, rows are shuffled and cut. `testShare` 0 gives an empty test split.
 */
export function splitRows(rows: readonly number[], testShare: number, validationShare: number, seed: number, labelOf?: (row: number) => string): RowSplit {
  const random = seededRandom(seed ^ 0x5f3759df);
  const out: RowSplit = { train: [], validation: [], test: [], rareClasses: [] };
  for (const g of strata(rows, labelOf, random)) {
    const n = g.rows.length;
    if (labelOf && n < MIN_CLASS_ROWS) {
      out.train.push(...g.rows);
      out.rareClasses.push({ label: g.label, rows: n });
      continue;
    }
    let nTest = testShare > 0 ? Math.max(1, Math.round(n * testShare)) : 0;
    let nVal = Math.max(1, Math.round((n - nTest) * validationShare));
    while (n - nTest - nVal < 1 && nTest + nVal > 0) {
      if (nTest > 1 || (nTest > 0 && nVal <= 1)) nTest--;
      else nVal--;
    }
    out.test.push(...g.rows.slice(0, nTest));
    out.validation.push(...g.rows.slice(nTest, nTest + nVal));
    out.train.push(...g.rows.slice(nTest + nVal));
  }
  // Mix the classes again so mini-batches and row order carry no class runs.
  shuffleInPlace(out.test, random);
  shuffleInPlace(out.validation, random);
  shuffleInPlace(out.train, random);
  return out;
}

/**
 * Assigns rows to `k` cross-validation folds, seeded; stratified with `labelOf` (each class dealt
 * round-robin across the folds, continuing where the previous class stopped, so fold sizes differ
 * by at most one). A class with a single row is in no test fold (-1): it can only be learnt.
 */
export function assignFolds(rows: readonly number[], k: number, seed: number, labelOf?: (row: number) => string): Map<number, number> {
  const random = seededRandom(seed ^ 0x2545f491);
  const folds = new Map<number, number>();
  let next = 0;
  for (const g of strata(rows, labelOf, random)) {
    if (labelOf && g.rows.length === 1) {
      folds.set(g.rows[0]!, -1);
      continue;
    }
    for (const r of g.rows) {
      folds.set(r, next);
      next = (next + 1) % k;
    }
  }
  return folds;
}
