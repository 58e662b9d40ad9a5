import { type EncodeReport, SERVE, encodeRows } from "../data/preprocessor.ts";
import type { RequestRows } from "./inference-input.ts";
import type { ModelPool, ServedVersion, VersionRef } from "./model-pool.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** Outputs of one request: the version that answered and its n × outputWidth values. */
export interface Scored {
  served: ServedVersion;
  y: Float32Array;
  n: number;
}

/** Which model and version a request is about, and the endpoint, for metrics and logs. */
export interface RequestLabels {
  model: string;
  version: string;
  endpoint: string;
}

/**
 * Resolves the version, encodes the request's rows with the version's own preprocessing and runs
 * them through its batcher. `extract` reads the rows once the version (and so its feature list)
 * is known. Imputed values are counted per feature.
 */
export async function score(
  pool: ModelPool,
  metrics: ServerMetrics,
  model: string,
  ref: VersionRef,
  labels: RequestLabels,
  extract: (served: ServedVersion) => RequestRows,
): Promise<Scored> {
  const served = await pool.acquire(model, ref);
  labels.version = String(served.model.version);
  try {
    const rows = extract(served);
    const report: EncodeReport = { rows: 0, features: {} };
    const x = encodeRows(served.model.preprocessor, rows.n, rows.get, SERVE, report);
    for (const [feature, issues] of Object.entries(report.features)) {
      if (issues.missing > 0) metrics.imputedValues.inc({ model, version: labels.version, feature }, issues.missing);
    }
    const y = await served.batcher.submit(x, rows.n, model);
    return { served, y, n: rows.n };
  } finally {
    pool.release(served);
  }
}

/** Splits a flat n × width array into n row arrays (plain numbers, so JSON can carry NaN). */
export function toRows(y: Float32Array, n: number, width: number): number[][] {
  const out: number[][] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Array.from(y.subarray(i * width, (i + 1) * width));
  return out;
}
