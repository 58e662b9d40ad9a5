/** Successive halving's reduction factor η: a third of the trials reaching a rung go on to the next. */
export const REDUCTION_FACTOR = 3;

/**
 * Epoch budgets of the rungs for a trial capped at `maxEpochs`: maxEpochs/η^k, ..., maxEpochs/η,
 * maxEpochs, starting at the first budget of at least `minEpochs`. With 100 epochs and η = 3:
 * 12, 34, 100 (rounded up).
 */
export function rungEpochs(maxEpochs: number, minEpochs = 5, eta = REDUCTION_FACTOR): number[] {
  const rungs: number[] = [maxEpochs];
  for (let b = maxEpochs / eta; Math.ceil(b) >= minEpochs && rungs.length < 6; b /= eta) rungs.unshift(Math.ceil(b));
  return [...new Set(rungs)];
}

/**
 * Asynchronous successive halving's promotion rule (ASHA, Li et al. 2020, in the form Optuna's
 * SuccessiveHalvingPruner uses, since trials here cannot be paused and resumed later): a trial
 * that finished a rung with `value` (lower is better) continues when it is within the best
 * ⌊n/η⌋ of the `n` values recorded at that rung so far, its own included; while fewer than η are
 * recorded, only a value no worse than every other continues.
 */
export function promotable(value: number, competing: readonly number[], eta = REDUCTION_FACTOR): boolean {
  if (!Number.isFinite(value)) return false;
  const sorted = [...competing].filter(Number.isFinite).sort((a, b) => a - b);
  const k = Math.max(1, Math.floor(sorted.length / eta));
  return sorted.length === 0 || value <= sorted[k - 1]!;
}
