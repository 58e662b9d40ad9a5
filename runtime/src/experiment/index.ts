export { DEFAULT_MIN_SAMPLES, experimentStatus, type StartExperiment, startExperiment, stopExperiment } from "./experiment-lifecycle.ts";
export { type Comparison, type ExperimentReport, experimentReport, formatP, type VariantReport } from "./experiment-report.ts";
export { incompleteBeta, meanInterval, normalQuantile, type SampleSummary, studentTQuantileTwoSided, studentTTwoSided, summarize, summaryFromSums, type TestResult, twoProportionZTest, welchTTest, wilsonInterval } from "./significance.ts";
