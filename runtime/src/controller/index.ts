export { type ApprovalDecision, type ApprovalState, approvalState, approve, reject } from "./approval.ts";
export { AlertWebhook, type AlertWebhookOptions, type AlertmanagerPayload, alertmanagerPayload } from "./alert-webhook.ts";
export { type Clock, systemClock } from "./clock.ts";
export {
  CONTROLLER_ACTOR,
  type CycleOutcome,
  DEFAULT_WORK_DIR,
  type PassResult,
  RetrainingController,
  type RetrainingControllerOptions,
  type TriggerCheck,
} from "./controller.ts";
export { KubernetesJobExecutor, type KubernetesJobExecutorOptions, MODEL_LABEL, loadJobTemplate } from "./kubernetes-job-executor.ts";
export { LocalProcessExecutor, type LocalProcessExecutorOptions } from "./local-process-executor.ts";
export {
  type ControllerPolicy,
  type ControllerPolicyInput,
  controllerPolicy,
  executorPolicy,
  gatePolicy,
  type GatePolicy,
  healthPolicy,
  type HealthPolicy,
  loadPolicy,
  maxStepSeconds,
  parsePolicy,
  promotionPolicy,
  qualityDropTrigger,
  rolloutPolicy,
  trainingPolicy,
  type TrainingPolicy,
  triggerPolicy,
  type TriggerPolicy,
} from "./policy.ts";
export { type GateResult, evaluateGate } from "./quality-gate.ts";
export { QUALITY_METRICS, type QualityMetric, defaultGateMetric, gateMetric, higherIsBetter, improvement, isQualityMetric, metricFitsTask } from "./quality-metric.ts";
export { type RollbackResult, championLineage, rollback } from "./rollback.ts";
export { type RolloutHealth, type TrafficBaseline, assessHealth, shadowSummary, trafficBaseline } from "./rollout-health.ts";
export { FEEDBACK_ID_COLUMN, type FeedbackSplit, type PreparedTrainingData, prepareTrainingData, splitFeedback } from "./training-data.ts";
export type { TrainingExecutor, TrainingJob, TrainingResult } from "./training-executor.ts";
export { type FeatureDriftEvidence, type TriggerSignal, evaluateTrigger } from "./trigger-signal.ts";
export { type TriggerState, readTriggerState, triggerStateKey, writeTriggerState } from "./trigger-state.ts";
