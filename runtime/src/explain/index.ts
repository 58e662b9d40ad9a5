export { type Explainable, pickOutputs } from "./explainable.ts";
export { EXPLAIN_DEFAULTS, EXPLAIN_METHODS, type ExplainMethod, type ExplainOptions, type ExplainReference, explainedOutputs, explainRows, outputName, referenceFromRows, type RowExplanation } from "./explain-rows.ts";
export { type FeatureGroup, featureGroups, sumByGroup } from "./feature-groups.ts";
export { attachImportance, computeImportance, IMPORTANCE_JSON, IMPORTANCE_LIMITS, type Importance, importanceSchema, parseImportance, referenceOf } from "./importance.ts";
export { type ColumnAttributions, DEFAULT_IG_STEPS, integratedGradients, type IntegratedGradientsOptions } from "./integrated-gradients.ts";
export { allCoalitions, DEFAULT_SHAP_SAMPLES, EXACT_MAX_FEATURES, kernelShap, type KernelShapOptions, type ShapValues, solveLinear } from "./kernel-shap.ts";
export { trainingSplit } from "./training-split.ts";
