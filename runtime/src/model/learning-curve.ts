/** File name of the stored learning curve inside a registry version. */
export const LEARNING_CURVE_JSON = "learning-curve.json";

/** One epoch of the stored learning curve. */
export interface LearningCurveEpoch {
  epoch: number;
  loss: number;
  valLoss: number;
  valMetric: number;
}

/** The `learning-curve.json` artifact of a version. */
export interface LearningCurve {
  /** Name of `valMetric`: accuracy (classification) or rmse (regression, target units). */
  metric: "accuracy" | "rmse";
  epochs: LearningCurveEpoch[];
  bestEpoch: number;
  /** The epoch cap and patience training ran with. */
  epochCap: number;
  patience: number;
  stoppedEarly: boolean;
  /** The refit on train + validation, when there was one: epochs run and the training loss of each. */
  refit?: { epochs: number; rows: number; loss: number[] };
}

