import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The server's Prometheus metrics; one registry per server so several can run in one process. */
export interface ServerMetrics {
  registry: Registry;
  /** Requests by model, version, endpoint (predict, classify, regress, infer, ...), HTTP status (for gRPC: the status its outcome maps to) and protocol (http, grpc). */
  requests: Counter<"model" | "version" | "endpoint" | "status" | "protocol">;
  /** Request latency by the same labels. */
  requestDuration: Histogram<"model" | "version" | "endpoint" | "status" | "protocol">;
  /** Rows per model call after dynamic batching. */
  batchRows: Histogram<"model" | "version">;
  /** Requests merged per model call. */
  batchRequests: Histogram<"model" | "version">;
  /** Time per model call. */
  inferenceDuration: Histogram<"model" | "version">;
  /** 1 per loaded version, labelled with the alias that made it load ("" for on-demand versions). */
  loadedVersions: Gauge<"model" | "version" | "alias">;
  /** Failed attempts to load a version. */
  loadFailures: Counter<"model" | "version">;
  /** Missing or NaN feature values imputed at serving time. */
  imputedValues: Counter<"model" | "version" | "feature">;
  /** Drift statistic of each feature in the served window against the training reference. */
  featureDrift: Gauge<"model" | "version" | "feature" | "test">;
  /** 1 when the served window has drifted as a whole (share of drifted features ≥ the threshold). */
  datasetDrift: Gauge<"model" | "version">;
  /** Quality over recent labelled predictions (accuracy, rocAuc, logLoss or rmse, mae, r2). */
  liveQuality: Gauge<"model" | "version" | "metric">;
  /** Labelled rows received on the feedback endpoint. */
  feedback: Counter<"model" | "version">;
  /** Share of unlabelled traffic a version answers (canary weight; 1 for the champion alone). */
  trafficWeight: Gauge<"model" | "version" | "mode">;
  /** 1 while a model's unlabelled traffic goes to `version` because its champion `wanted` cannot be loaded. */
  fallback: Gauge<"model" | "wanted" | "version">;
  /** 1 while the registry cannot be listed (or lists no model while some are loaded); the server keeps what it has. */
  registryUnavailable: Gauge;
  /** Feedback rows durably logged (acknowledged), and requests whose rows could not be (503). */
  feedbackLogged: Counter<"model">;
  /** Stored feedback rows written to the registry from the durable feedback log. */
  feedbackStored: Counter<"model">;
}

/** Metric names the runtime exports (monitoring dashboards and alert rules may use only these). */
export const SERVER_METRIC_NAMES = [
  "mlops_requests_total",
  "mlops_request_duration_seconds",
  "mlops_batch_size_rows",
  "mlops_batch_size_requests",
  "mlops_inference_duration_seconds",
  "mlops_loaded_versions",
  "mlops_model_load_failures_total",
  "mlops_imputed_values_total",
  "mlops_feature_drift",
  "mlops_dataset_drift",
  "mlops_live_quality",
  "mlops_feedback_total",
  "mlops_traffic_weight",
  "mlops_serving_fallback",
  "mlops_registry_unavailable",
  "mlops_feedback_logged_total",
  "mlops_feedback_stored_total",
] as const;

/** Creates the metrics in a fresh registry, with Node process metrics alongside. */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  const rows = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
  const requestLabels = ["model", "version", "endpoint", "status", "protocol"] as const;
  const versionLabels = ["model", "version"] as const;
  return {
    registry,
    requests: new Counter({ name: "mlops_requests_total", help: "Inference and metadata requests.", labelNames: requestLabels, registers: [registry] }),
    requestDuration: new Histogram({ name: "mlops_request_duration_seconds", help: "Request latency, receipt to reply.", labelNames: requestLabels, buckets: latency, registers: [registry] }),
    batchRows: new Histogram({ name: "mlops_batch_size_rows", help: "Rows per model call after dynamic batching.", labelNames: versionLabels, buckets: rows, registers: [registry] }),
    batchRequests: new Histogram({ name: "mlops_batch_size_requests", help: "Requests merged into one model call.", labelNames: versionLabels, buckets: rows, registers: [registry] }),
    inferenceDuration: new Histogram({ name: "mlops_inference_duration_seconds", help: "Time per model call.", labelNames: versionLabels, buckets: latency, registers: [registry] }),
    loadedVersions: new Gauge({ name: "mlops_loaded_versions", help: "Model versions loaded and serving (1 each).", labelNames: ["model", "version", "alias"], registers: [registry] }),
    loadFailures: new Counter({ name: "mlops_model_load_failures_total", help: "Failed attempts to load a model version.", labelNames: versionLabels, registers: [registry] }),
    imputedValues: new Counter({ name: "mlops_imputed_values_total", help: "Missing or NaN feature values imputed with the training mean or the out-of-vocabulary bucket.", labelNames: ["model", "version", "feature"], registers: [registry] }),
    featureDrift: new Gauge({ name: "mlops_feature_drift", help: "Drift statistic per feature: KS D, chi-square, |z|, normalised Wasserstein, JS distance or PSI (see the test label).", labelNames: ["model", "version", "feature", "test"], registers: [registry] }),
    datasetDrift: new Gauge({ name: "mlops_dataset_drift", help: "1 when the served window drifted from the training reference, else 0.", labelNames: versionLabels, registers: [registry] }),
    liveQuality: new Gauge({ name: "mlops_live_quality", help: "Quality over recent labelled predictions.", labelNames: ["model", "version", "metric"], registers: [registry] }),
    feedback: new Counter({ name: "mlops_feedback_total", help: "Labelled rows received for earlier predictions.", labelNames: versionLabels, registers: [registry] }),
    trafficWeight: new Gauge({ name: "mlops_traffic_weight", help: "Share of unlabelled traffic each version answers.", labelNames: ["model", "version", "mode"], registers: [registry] }),
    fallback: new Gauge({ name: "mlops_serving_fallback", help: "1 while unlabelled traffic goes to version because the champion (wanted) cannot be loaded.", labelNames: ["model", "wanted", "version"], registers: [registry] }),
    registryUnavailable: new Gauge({ name: "mlops_registry_unavailable", help: "1 while the registry cannot be listed or lists no models; loaded models keep serving.", registers: [registry] }),
    feedbackLogged: new Counter({ name: "mlops_feedback_logged_total", help: "Feedback rows fsync'd to the local feedback log before they were acknowledged.", labelNames: ["model"], registers: [registry] }),
    feedbackStored: new Counter({ name: "mlops_feedback_stored_total", help: "Feedback rows moved from the local feedback log to the registry.", labelNames: ["model"], registers: [registry] }),
  };
}
