import { z } from "zod";
import { metricNamesIn, type PromqlReference } from "./dashboards/promql.ts";

/** Thresholds of the platform's alert rules. */
export interface AlertThresholds {
  /** How long the dataset must stay drifted before alerting. @default "15m" */
  driftFor?: string;
  /** Absolute drop of a higher-is-better live metric (accuracy, rocAuc, r2) below its 6 h max. @default 0.05 */
  qualityDrop?: number;
  /** Relative rise of a lower-is-better live metric (rmse, mae, logLoss) above its 6 h min. @default 0.2 */
  errorMetricRise?: number;
  /** p99 request latency in seconds. @default 0.5 */
  latencyP99Seconds?: number;
  /** Share of requests answered with 5xx. @default 0.05 */
  errorRatio?: number;
  /** Framebuffer used / total of one GPU. @default 0.95 */
  gpuMemoryRatio?: number;
  /** Regex of the training Job names whose failures alert (kube-state-metrics `job_name`). @default ".*train.*" */
  trainingJobNamePattern?: string;
}

const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "must be a Prometheus duration like 15m");
const ratio = z.number().gt(0).lt(1);

/** zod schema of {@link AlertThresholds} with the documented defaults. */
export const alertThresholdsSchema = z
  .object({
    driftFor: duration.default("15m"),
    qualityDrop: ratio.default(0.05),
    errorMetricRise: z.number().gt(0).default(0.2),
    latencyP99Seconds: z.number().gt(0).default(0.5),
    errorRatio: ratio.default(0.05),
    gpuMemoryRatio: ratio.default(0.95),
    trainingJobNamePattern: z.string().min(1).default(".*train.*"),
  })
  .strict();

/** A Prometheus alerting rule. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

const HIGHER_IS_BETTER = `metric=~"accuracy|rocAuc|r2"`;
const LOWER_IS_BETTER = `metric=~"rmse|mae|logLoss"`;
const BY = "namespace, model, version";

/** Rule groups for the thresholds (defaults applied to missing fields). */
export function alertRuleGroups(thresholds: AlertThresholds = {}): { name: string; rules: AlertRule[] }[] {
  const t = alertThresholdsSchema.parse(thresholds);
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string, description: string, extra: Record<string, string> = {}): AlertRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity, ...extra },
    annotations: { summary, description },
  });
  return [
    {
      name: "mlops.models",
      rules: [
        rule("MlopsDatasetDriftSustained", `max by (${BY}) (mlops_dataset_drift) == 1`, t.driftFor, "warning",
          "Model {{ $labels.model }} v{{ $labels.version }} sees drifted traffic",
          `The served window has drifted from the training reference for ${t.driftFor}; the retraining controller is notified.`,
          RETRAIN_TRIGGER_LABEL),
        rule("MlopsLiveQualityDrop", `max_over_time(mlops_live_quality{${HIGHER_IS_BETTER}}[6h]) - mlops_live_quality{${HIGHER_IS_BETTER}} > ${t.qualityDrop}`, "30m", "warning",
          "Live {{ $labels.metric }} of {{ $labels.model }} v{{ $labels.version }} dropped",
          `Live {{ $labels.metric }} is {{ $value | printf "%.3f" }} below its 6 h maximum (threshold ${t.qualityDrop}).`,
          RETRAIN_TRIGGER_LABEL),
        rule("MlopsLiveErrorRise", `mlops_live_quality{${LOWER_IS_BETTER}} > ${1 + t.errorMetricRise} * min_over_time(mlops_live_quality{${LOWER_IS_BETTER}}[6h])`, "30m", "warning",
          "Live {{ $labels.metric }} of {{ $labels.model }} v{{ $labels.version }} rose",
          `Live {{ $labels.metric }} is more than ${Math.round(t.errorMetricRise * 100)} % above its 6 h minimum.`,
          RETRAIN_TRIGGER_LABEL),
        rule("MlopsHighP99Latency", `histogram_quantile(0.99, sum by (${BY}, le) (rate(mlops_request_duration_seconds_bucket[5m]))) > ${t.latencyP99Seconds}`, "10m", "warning",
          "p99 latency of {{ $labels.model }} v{{ $labels.version }} is high",
          `p99 request latency is {{ $value | humanizeDuration }} (threshold ${t.latencyP99Seconds} s).`),
        rule("MlopsHighErrorRate", `sum by (${BY}) (rate(mlops_requests_total{status=~"5.."}[5m])) / sum by (${BY}) (rate(mlops_requests_total[5m])) > ${t.errorRatio}`, "10m", "critical",
          "{{ $labels.model }} v{{ $labels.version }} answers with server errors",
          `{{ $value | humanizePercentage }} of requests fail with 5xx (threshold ${t.errorRatio * 100} %).`),
        rule("MlopsModelLoadFailures", `sum by (${BY}) (increase(mlops_model_load_failures_total[15m])) > 0`, "0m", "warning",
          "A version of {{ $labels.model }} fails to load",
          "The server could not load {{ $labels.model }} v{{ $labels.version }} in the last 15 minutes."),
      ],
    },
    {
      name: "mlops.gpu",
      rules: [
        rule("GpuMemoryNearlyFull", `DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > ${t.gpuMemoryRatio}`, "15m", "warning",
          "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is almost out of memory",
          `Framebuffer use is {{ $value | humanizePercentage }} of the total (threshold ${t.gpuMemoryRatio * 100} %).`),
        rule("GpuXidErrors", "max_over_time(DCGM_FI_DEV_XID_ERRORS[10m]) > 0", "0m", "critical",
          "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported an XID error",
          "XID {{ $value }}: see NVIDIA's XID catalogue; the node may need draining."),
      ],
    },
    {
      name: "mlops.training",
      rules: [
        rule("MlopsTrainingJobFailed", `sum by (namespace, job_name) (kube_job_status_failed{job_name=~"${t.trainingJobNamePattern}"}) > 0`, "0m", "warning",
          "Training job {{ $labels.namespace }}/{{ $labels.job_name }} failed",
          "A retraining Job failed; `kubectl logs job/{{ $labels.job_name }}` shows why."),
      ],
    },
  ];
}

/** Label of the rules whose alerts wake the retraining controller. */
export const RETRAIN_TRIGGER_LABEL = { mlops_trigger: "retrain" } as const;

/** Names of the alerts that wake the retraining controller (drift and live quality). */
export function retrainTriggerAlerts(): string[] {
  return alertRuleGroups().flatMap((g) => g.rules).filter((r) => r.labels.mlops_trigger === RETRAIN_TRIGGER_LABEL.mlops_trigger).map((r) => r.alert);
}

/** Every rule expression, with its alert name. */
export function alertRulePromql(thresholds: AlertThresholds = {}): PromqlReference[] {
  return alertRuleGroups(thresholds).flatMap((g) => g.rules.map((r) => ({ source: `rule:${r.alert}`, expr: r.expr })));
}

/** Metric names each alert references, by alert name. */
export function alertRuleMetricNames(thresholds: AlertThresholds = {}): Record<string, string[]> {
  return Object.fromEntries(alertRulePromql(thresholds).map((r) => [r.source.slice("rule:".length), metricNamesIn(r.expr)]));
}
