import type { EpochProgress } from "../model/train-network.ts";
import type { Io } from "./args.ts";

const seconds = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`);

/** One line describing an epoch. */
export function describeEpoch(p: EpochProgress): string {
  const metric = `val_${p.valMetric.name} ${p.valMetric.value.toFixed(4)}`;
  return `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} val_loss ${p.valLoss.toFixed(4)} ${metric}${p.improved ? " *" : ""}`;
}

/**
 * Training progress: a bar redrawn in place on a terminal (epoch, loss, validation metric, ETA),
 * one plain line per epoch otherwise (logs, CI).
 */
export function progressReporter(io: Io): { onEpoch: (p: EpochProgress) => void; done: () => void } {
  if (!io.isTTY) return { onEpoch: (p) => io.err(`${describeEpoch(p)} (${seconds(p.elapsedMs)})\n`), done: () => {} };
  const width = 24;
  let drawn = false;
  return {
    onEpoch: (p) => {
      const filled = Math.round((p.epoch / p.epochs) * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      io.err(`\r\x1b[2K${bar} ${describeEpoch(p)} ETA ≤${seconds(p.etaMs)}`);
      drawn = true;
    },
    done: () => {
      if (drawn) io.err("\n");
    },
  };
}
