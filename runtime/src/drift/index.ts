export { BINNING_MIN_DISTINCT, fillZeroes, histogramCounts, sturgesBinEdges } from "./binning.ts";
export { type CdfSketch, sketchCdf } from "./cdf-sketch.ts";
export { chiSquareSf, gammaQ, logGamma } from "./chi-square-distribution.ts";
export { type ChiSquareResult, chiSquareDrift, chiSquareTest } from "./chi-square-test.ts";
export { OTHER_CATEGORIES, columnDrift } from "./column-drift.ts";
export {
  type CategoricalReference,
  type ColumnReference,
  type NumericalReference,
  categoricalReference,
  numericalReference,
  readCategoricalValues,
  readNumericalValues,
} from "./column-reference.ts";
export { compareTables } from "./compare-tables.ts";
export { summarizeDrift } from "./dataset-drift.ts";
export { type CurrentColumn, driftAgainstProfile } from "./drift-against-profile.ts";
export { type DriftOptions, type ProfileOptions, type ResolvedDriftOptions, driftOptions, profileOptions, resolveDriftOptions } from "./drift-options.ts";
export type { ColumnDrift, DriftDistribution, DriftResult } from "./drift-result.ts";
export { type ColumnKind, DEFAULT_THRESHOLDS, DRIFT_TESTS, type DriftTest, NUMERICAL_ONLY_TESTS, P_VALUE_TESTS, defaultTest, isDrifted } from "./drift-tests.ts";
export { type EmpiricalCdf, cdfFromPoints, cdfFromSorted, countAtOrBelow, countBelow, sortedValues } from "./empirical-cdf.ts";
export { type DriftReportMeta, renderDriftReport } from "./html-report.ts";
export { jensenShannonDistance } from "./jensen-shannon-distance.ts";
export { KS_EXACT_MAX_N, type KsResult, ksPValue, ksStatistic, ksTest, ksTwoSample } from "./ks-test.ts";
export { kolmogorovSf, smirnovSf } from "./kolmogorov-distribution.ts";
export { erfc, normalCdf } from "./normal-distribution.ts";
export { type PValueCorrection, benjaminiHochberg, bonferroni, correctPValues } from "./p-value-correction.ts";
export { populationStabilityIndex } from "./population-stability-index.ts";
export {
  type CategoricalProfileColumn,
  type NumericalProfileColumn,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type ProfileColumn,
  type ReferenceProfile,
  buildReferenceProfile,
  parseReferenceProfile,
  referenceProfileSchema,
} from "./reference-profile.ts";
export { sortFloat64 } from "./sort-float64.ts";
export { WASSERSTEIN_NORM_FLOOR, normedWasserstein, wassersteinDistance, wassersteinDistanceCdf } from "./wasserstein-distance.ts";
export { type ZTestResult, proportionsZTest, zTestDrift } from "./z-test.ts";
