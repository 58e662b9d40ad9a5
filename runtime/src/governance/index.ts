export { type CandidateRef, type CompareOptions, type Comparison, compareVersions } from "./compare-versions.ts";
export { buildModelCard, CARD_ARTIFACTS, cardHtml, cardMarkdown, MODEL_CARD_FORMATS, type ModelCard, type ModelCardFormat, renderModelCard } from "./model-card.ts";
