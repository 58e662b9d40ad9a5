// What the components configure and the runtime reads: its ports and the environment variables
// the Retraining component sets on the controller.

/** Ports the runtime listens on unless told otherwise. */
export const RUNTIME_PORTS = {
  /** REST: TF Serving and Open Inference Protocol v2 routes, health, metrics. */
  rest: 8501,
  /** gRPC, TF Serving's PredictionService. */
  tfServingGrpc: 8500,
  /** gRPC, the Open Inference Protocol's GRPCInferenceService. */
  inferenceGrpc: 8001,
  /** The controller's Alertmanager webhook receiver. */
  alertWebhook: 8080,
} as const;

/** Environment variables the runtime reads, by what they mean. */
export const RUNTIME_ENV = {
  /** The Kubernetes Job template the controller's kubernetes executor fills in (a JSON file path). */
  jobTemplate: "MLOPS_JOB_TEMPLATE",
  /** The namespace the controller creates training Jobs in. */
  namespace: "MLOPS_NAMESPACE",
  /** The port of the controller's Alertmanager webhook receiver. */
  alertWebhookPort: "MLOPS_ALERT_WEBHOOK_PORT",
  /** Where the server's feedback log lives (the image points it at the writable /tmp). */
  feedbackLogDir: "MLOPS_FEEDBACK_LOG_DIR",
  /** Forces one TensorFlow.js backend (tfjs-node-gpu, tfjs-node, wasm, cpu). */
  backend: "MLOPS_BACKEND",
} as const;
