import { type AlertThresholds, alertRuleGroups, alertThresholdsSchema } from "./alert-rules.ts";

/**
 * `promtool test rules` cases for the platform's alert rules (Prometheus' unit-test file format,
 * https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/), kept beside the rules
 * and built from the same thresholds: each alert fires on the series it is for, and stays silent on a
 * healthy series and on a flapping one.
 */
export interface PromtoolTestGroup {
  /** What the group shows (`name` in the promtool file). */
  name: string;
  interval: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[] }[];
}

const model = { namespace: "mlops", model: "churn", version: "3" };
const sel = (metric: string, labels: Record<string, string>) => `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;

/** The promtool test groups, by alert name, for rules built with `thresholds`. */
export function alertRuleTests(thresholds: AlertThresholds = {}): Record<string, PromtoolTestGroup[]> {
  const t = alertThresholdsSchema.parse(thresholds);
  const rules = new Map(alertRuleGroups(t).flatMap((g) => g.rules).map((r) => [r.alert, r]));
  const labels = (alert: string, extra: Record<string, string>) => ({ ...rules.get(alert)!.labels, ...extra });
  // The annotations Prometheus renders for the firing case, written out (not derived from the rule's templates).
  const fired = (alert: string, extra: Record<string, string>, summary: string, description: string) => ({ exp_labels: labels(alert, extra), exp_annotations: { summary, description } });
  const g4 = (v: number) => String(Number(v.toPrecision(4)));
  const minutes = (d: string) => {
    const m = /^(\d+)(s|m|h)$/.exec(d);
    if (!m) throw new Error(`test cases need a driftFor of whole s/m/h, got ${d}`);
    return Number(m[1]) * { s: 1 / 60, m: 1, h: 60 }[m[2] as "s" | "m" | "h"];
  };
  // At least 4 minutes, so the flapping series (3 minutes on, 1 off) never holds drift for driftFor.
  const driftFor = Math.max(4, Math.ceil(minutes(t.driftFor)));
  const hi = 0.9;
  const lo = Number((hi - t.qualityDrop * 2).toFixed(4));
  const rmse = 1;
  const rmseHigh = Number((rmse * (1 + t.errorMetricRise * 2)).toFixed(4));
  const slow = t.latencyP99Seconds * 4;
  return {
    MlopsDatasetDriftSustained: [
      {
        name: `drift held for driftFor (${t.driftFor}) fires; drift for less does not`,
        interval: "1m",
        input_series: [{ series: sel("mlops_dataset_drift", model), values: `0x5 1x${driftFor + 10}` }],
        alert_rule_test: [
          { eval_time: `${5 + driftFor - 1}m`, alertname: "MlopsDatasetDriftSustained", exp_alerts: [] },
          { eval_time: `${5 + driftFor + 1}m`, alertname: "MlopsDatasetDriftSustained", exp_alerts: [fired("MlopsDatasetDriftSustained", model, "Model churn v3 sees drifted traffic", `The served window has drifted from the training reference for ${t.driftFor}; the retraining controller is notified.`)] },
        ],
      },
      {
        name: "healthy and flapping drift flags stay silent",
        interval: "1m",
        input_series: [
          { series: sel("mlops_dataset_drift", { ...model, model: "healthy" }), values: `0x${driftFor * 3}` },
          { series: sel("mlops_dataset_drift", { ...model, model: "flapping" }), values: Array.from({ length: driftFor * 3 }, (_, i) => (i % 4 === 3 ? 0 : 1)).join(" ") },
        ],
        alert_rule_test: [{ eval_time: `${driftFor * 3 - 1}m`, alertname: "MlopsDatasetDriftSustained", exp_alerts: [] }],
      },
    ],
    MlopsLiveQualityDrop: [
      {
        name: `accuracy ${hi} → ${lo} held 30m fires; a healthy metric and a flapping one do not`,
        interval: "5m",
        input_series: [
          { series: sel("mlops_live_quality", { ...model, metric: "accuracy" }), values: `${hi}x6 ${lo}x12` },
          { series: sel("mlops_live_quality", { ...model, model: "healthy", metric: "accuracy" }), values: `${hi}x18` },
          { series: sel("mlops_live_quality", { ...model, model: "flapping", metric: "accuracy" }), values: Array.from({ length: 18 }, (_, i) => (i % 2 ? lo : hi)).join(" ") },
        ],
        alert_rule_test: [
          { eval_time: "50m", alertname: "MlopsLiveQualityDrop", exp_alerts: [] },
          { eval_time: "75m", alertname: "MlopsLiveQualityDrop", exp_alerts: [fired("MlopsLiveQualityDrop", { ...model, metric: "accuracy" }, "Live accuracy of churn v3 dropped", `Live accuracy is ${(hi - lo).toFixed(3)} below its 6 h maximum (threshold ${t.qualityDrop}).`)] },
        ],
      },
    ],
    MlopsLiveErrorRise: [
      {
        name: `rmse ${rmse} → ${rmseHigh} held 30m fires; a steady rmse does not`,
        interval: "5m",
        input_series: [
          { series: sel("mlops_live_quality", { ...model, metric: "rmse" }), values: `${rmse}x6 ${rmseHigh}x12` },
          { series: sel("mlops_live_quality", { ...model, model: "healthy", metric: "rmse" }), values: `${rmse}x18` },
        ],
        alert_rule_test: [
          { eval_time: "50m", alertname: "MlopsLiveErrorRise", exp_alerts: [] },
          { eval_time: "75m", alertname: "MlopsLiveErrorRise", exp_alerts: [fired("MlopsLiveErrorRise", { ...model, metric: "rmse" }, "Live rmse of churn v3 rose", `Live rmse is more than ${Math.round(t.errorMetricRise * 100)} % above its 6 h minimum.`)] },
        ],
      },
    ],
    MlopsHighP99Latency: [
      {
        name: `p99 over ${t.latencyP99Seconds}s for 10m fires; fast traffic does not`,
        interval: "1m",
        input_series: [
          // 100 requests a minute: fast ones land in le=0.1, slow ones above the threshold.
          ...latencySeries({ ...model }, [[0.1, 0], [t.latencyP99Seconds, 0], [slow, 100], ["+Inf", 100]]),
          ...latencySeries({ ...model, model: "fast" }, [[0.1, 100], [t.latencyP99Seconds, 100], [slow, 100], ["+Inf", 100]]),
        ],
        alert_rule_test: [
          { eval_time: "8m", alertname: "MlopsHighP99Latency", exp_alerts: [] },
          { eval_time: "20m", alertname: "MlopsHighP99Latency", exp_alerts: [fired("MlopsHighP99Latency", model, "p99 latency of churn v3 is high", `p99 request latency is ${g4(t.latencyP99Seconds + (slow - t.latencyP99Seconds) * 0.99)}s (threshold ${t.latencyP99Seconds} s).`)] },
        ],
      },
    ],
    MlopsHighErrorRate: [
      {
        name: `5xx share over ${t.errorRatio} for 10m fires; a share under it does not`,
        interval: "1m",
        input_series: [
          { series: sel("mlops_requests_total", { ...model, endpoint: "predict", status: "200" }), values: "0+80x30" },
          { series: sel("mlops_requests_total", { ...model, endpoint: "predict", status: "500" }), values: "0+20x30" },
          { series: sel("mlops_requests_total", { ...model, model: "healthy", endpoint: "predict", status: "200" }), values: "0+99x30" },
          { series: sel("mlops_requests_total", { ...model, model: "healthy", endpoint: "predict", status: "503" }), values: `0+${Math.max(0, Math.floor(t.errorRatio * 100 / 2))}x30` },
        ],
        alert_rule_test: [
          { eval_time: "8m", alertname: "MlopsHighErrorRate", exp_alerts: [] },
          { eval_time: "20m", alertname: "MlopsHighErrorRate", exp_alerts: [fired("MlopsHighErrorRate", model, "churn v3 answers with server errors", `20% of requests fail with 5xx (threshold ${t.errorRatio * 100} %).`)] },
        ],
      },
    ],
    MlopsModelLoadFailures: [
      {
        name: "a load failure fires at once and clears 15m later",
        interval: "1m",
        input_series: [{ series: sel("mlops_model_load_failures_total", model), values: "0x10 1x30" }],
        alert_rule_test: [
          { eval_time: "9m", alertname: "MlopsModelLoadFailures", exp_alerts: [] },
          { eval_time: "12m", alertname: "MlopsModelLoadFailures", exp_alerts: [fired("MlopsModelLoadFailures", model, "A version of churn fails to load", "The server could not load churn v3 in the last 15 minutes.")] },
          { eval_time: "30m", alertname: "MlopsModelLoadFailures", exp_alerts: [] },
        ],
      },
    ],
    GpuMemoryNearlyFull: [
      {
        name: `framebuffer over ${t.gpuMemoryRatio} for 15m fires; a flapping one does not`,
        interval: "1m",
        input_series: [
          { series: sel("DCGM_FI_DEV_FB_USED", { gpu: "0", Hostname: "gpu-node-1" }), values: "15900x30" },
          { series: sel("DCGM_FI_DEV_FB_FREE", { gpu: "0", Hostname: "gpu-node-1" }), values: "100x30" },
          { series: sel("DCGM_FI_DEV_FB_USED", { gpu: "1", Hostname: "gpu-node-1" }), values: Array.from({ length: 30 }, (_, i) => (i % 5 === 4 ? 8000 : 15900)).join(" ") },
          { series: sel("DCGM_FI_DEV_FB_FREE", { gpu: "1", Hostname: "gpu-node-1" }), values: Array.from({ length: 30 }, (_, i) => (i % 5 === 4 ? 8000 : 100)).join(" ") },
        ],
        alert_rule_test: [
          { eval_time: "10m", alertname: "GpuMemoryNearlyFull", exp_alerts: [] },
          { eval_time: "20m", alertname: "GpuMemoryNearlyFull", exp_alerts: [fired("GpuMemoryNearlyFull", { gpu: "0", Hostname: "gpu-node-1" }, "GPU 0 on gpu-node-1 is almost out of memory", `Framebuffer use is ${g4((15900 / 16000) * 100)}% of the total (threshold ${t.gpuMemoryRatio * 100} %).`)] },
        ],
      },
    ],
    GpuXidErrors: [
      {
        name: "an XID error fires at once; a clean GPU does not",
        interval: "1m",
        input_series: [
          { series: sel("DCGM_FI_DEV_XID_ERRORS", { gpu: "0", Hostname: "gpu-node-1" }), values: "0x5 79 0x20" },
          { series: sel("DCGM_FI_DEV_XID_ERRORS", { gpu: "1", Hostname: "gpu-node-1" }), values: "0x26" },
        ],
        alert_rule_test: [
          { eval_time: "4m", alertname: "GpuXidErrors", exp_alerts: [] },
          { eval_time: "7m", alertname: "GpuXidErrors", exp_alerts: [fired("GpuXidErrors", { gpu: "0", Hostname: "gpu-node-1" }, "GPU 0 on gpu-node-1 reported an XID error", "XID 79: see NVIDIA's XID catalogue; the node may need draining.")] },
        ],
      },
    ],
    MlopsTrainingJobFailed: [
      {
        name: "a failed training Job fires; a failed Job of another name does not",
        interval: "1m",
        input_series: [
          { series: sel("kube_job_status_failed", { namespace: "mlops", job_name: "churn-train-7", job: "kube-state-metrics" }), values: "0x3 1x10" },
          { series: sel("kube_job_status_failed", { namespace: "mlops", job_name: "backup-nightly", job: "kube-state-metrics" }), values: "1x13" },
        ],
        alert_rule_test: [
          { eval_time: "2m", alertname: "MlopsTrainingJobFailed", exp_alerts: [] },
          { eval_time: "5m", alertname: "MlopsTrainingJobFailed", exp_alerts: [fired("MlopsTrainingJobFailed", { namespace: "mlops", job_name: "churn-train-7" }, "Training job mlops/churn-train-7 failed", "A retraining Job failed; `kubectl logs job/churn-train-7` shows why.")] },
        ],
      },
    ],
  };
}

/** Cumulative histogram buckets growing by `perMinute` a minute each, for `labels`. */
function latencySeries(labels: Record<string, string>, buckets: [number | "+Inf", number][]) {
  return buckets.map(([le, perMinute]) => ({ series: sel("mlops_request_duration_seconds_bucket", { ...labels, endpoint: "predict", status: "200", le: String(le) }), values: `0+${perMinute}x30` }));
}
