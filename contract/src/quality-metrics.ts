/** Metrics the controller compares: the ones training reports, by their registry names. */
export const QUALITY_METRICS = ["rmse", "mae", "r2", "accuracy", "rocAuc", "logLoss"] as const;
/** A metric the gate, the quality trigger and the canary's live-quality check understand. */
export type QualityMetric = (typeof QUALITY_METRICS)[number];
