import path from "node:path";
import { readTable } from "../data/read-table.ts";
import { readNumber } from "../data/values.ts";
import { writeTable } from "../data/write-table.ts";
import type { TrainingExecutor, TrainingJob, TrainingResult } from "../controller/index.ts";

/**
 * The demo's broken upstream step: the first training job it runs gets its target column
 * converted from miles per gallon to litres per 100 km (235.2 / mpg), a unit bug that produces
 * a confidently wrong model. Later jobs run untouched. The controller's quality gate, which
 * scores candidates on the most recent correctly labelled traffic, is what has to catch it.
 */
export class UnitBugExecutor implements TrainingExecutor {
  readonly kind = "local";
  private readonly inner: TrainingExecutor;
  private readonly target: string;
  private broken = 1;
  /** Jobs that ran on corrupted data. */
  corrupted = 0;

  constructor(inner: TrainingExecutor, target: string) {
    this.inner = inner;
    this.target = target;
  }

  async run(job: TrainingJob, signal: AbortSignal): Promise<TrainingResult> {
    if (this.broken > 0) {
      this.broken--;
      this.corrupted++;
      const table = await readTable(job.dataPath);
      const j = table.columns.indexOf(this.target);
      const rows = table.rows.map((r) => {
        const v = readNumber(r[j], true);
        return r.map((c, k) => (k === j && v.kind === "number" && v.value > 0 ? Math.round((235.2 / v.value) * 100) / 100 : c));
      });
      // The staged table is content-addressed: the corrupted copy goes beside the run's log instead.
      const corrupted = path.join(job.workDir, "train-corrupted.csv");
      await writeTable(corrupted, table.columns, rows);
      return this.inner.run({ ...job, dataPath: corrupted }, signal);
    }
    return this.inner.run(job, signal);
  }
}
