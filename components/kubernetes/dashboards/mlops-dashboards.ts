import { buildDashboard, dashboardExpressions, type DashboardJson, type DashboardSpec, type QueryVariable } from "./builder.ts";
import { metricNamesIn, type PromqlReference } from "./promql.ts";

const modelVar: QueryVariable = { name: "model", label: "Model", metric: "mlops_requests_total", labelName: "model" };
const M = `model=~"$model"`;
const rate5m = (metric: string, extra = "") => `rate(${metric}{${M}${extra}}[5m])`;

/** Model traffic, errors and latency by version. */
export const trafficDashboard: DashboardSpec = {
  uid: "mlops-traffic",
  title: "MLOps / Model traffic and latency",
  tags: ["mlops"],
  variables: [modelVar],
  rows: [
    {
      title: "Traffic",
      panels: [
        { title: "Requests per second by version", unit: "reqps", stacked: true, targets: [{ expr: `sum by (version) (${rate5m("mlops_requests_total")})`, legend: "v{{version}}" }] },
        { title: "Error ratio (5xx) by version", unit: "percentunit", targets: [{ expr: `sum by (version) (${rate5m("mlops_requests_total", `,status=~"5.."`)}) / sum by (version) (${rate5m("mlops_requests_total")})`, legend: "v{{version}}" }] },
        { title: "Requests by endpoint and status", kind: "table", width: 24, targets: [{ expr: `sum by (version, endpoint, status) (increase(mlops_requests_total{${M}}[1h]))` }] },
      ],
    },
    {
      title: "Latency",
      panels: [
        { title: "Request latency p50 / p99 by version", unit: "s", targets: [
          { expr: `histogram_quantile(0.5, sum by (version, le) (${rate5m("mlops_request_duration_seconds_bucket")}))`, legend: "p50 v{{version}}" },
          { expr: `histogram_quantile(0.99, sum by (version, le) (${rate5m("mlops_request_duration_seconds_bucket")}))`, legend: "p99 v{{version}}" },
        ] },
        { title: "Model call latency p99 by version", unit: "s", targets: [{ expr: `histogram_quantile(0.99, sum by (version, le) (${rate5m("mlops_inference_duration_seconds_bucket")}))`, legend: "v{{version}}" }] },
        { title: "Mean rows per model call (dynamic batching)", targets: [{ expr: `sum by (version) (${rate5m("mlops_batch_size_rows_sum")}) / sum by (version) (${rate5m("mlops_batch_size_rows_count")})`, legend: "v{{version}}" }] },
        { title: "Mean requests merged per model call", targets: [{ expr: `sum by (version) (${rate5m("mlops_batch_size_requests_sum")}) / sum by (version) (${rate5m("mlops_batch_size_requests_count")})`, legend: "v{{version}}" }] },
      ],
    },
    {
      title: "Versions",
      panels: [
        { title: "Loaded versions and aliases", kind: "table", targets: [{ expr: `max by (version, alias) (mlops_loaded_versions{${M}})` }] },
        { title: "Version load failures (1h)", kind: "stat", thresholds: [{ value: null, color: "green" }, { value: 1, color: "red" }], targets: [{ expr: `sum(increase(mlops_model_load_failures_total{${M}}[1h]))` }] },
        { title: "Node.js heap used by pod", unit: "bytes", width: 24, targets: [{ expr: `sum by (namespace, pod) (nodejs_heap_size_used_bytes)`, legend: "{{namespace}}/{{pod}}" }] },
      ],
    },
  ],
};

/** Drift per feature, dataset drift and live quality. */
export const driftDashboard: DashboardSpec = {
  uid: "mlops-drift",
  title: "MLOps / Drift and live quality",
  tags: ["mlops"],
  variables: [modelVar],
  rows: [
    {
      title: "Drift",
      panels: [
        { title: "Dataset drift", kind: "stat", width: 6, thresholds: [{ value: null, color: "green" }, { value: 1, color: "red" }], targets: [{ expr: `max by (version) (mlops_dataset_drift{${M}})`, legend: "v{{version}}" }] },
        { title: "Drifted features now", kind: "bargauge", width: 18, targets: [{ expr: `max by (feature, test) (mlops_feature_drift{${M}})`, legend: "{{feature}} ({{test}})" }] },
        { title: "Drift statistic per feature", width: 24, targets: [{ expr: `max by (feature, test) (mlops_feature_drift{${M}})`, legend: "{{feature}} ({{test}})" }] },
        { title: "Imputed values per second by feature", targets: [{ expr: `sum by (feature) (${rate5m("mlops_imputed_values_total")})`, legend: "{{feature}}" }] },
      ],
    },
    {
      title: "Quality",
      panels: [
        { title: "Live quality by version", targets: [{ expr: `max by (version, metric) (mlops_live_quality{${M}})`, legend: "v{{version}} {{metric}}" }] },
        { title: "Labelled feedback rows per second", unit: "short", targets: [{ expr: `sum by (version) (${rate5m("mlops_feedback_total")})`, legend: "v{{version}}" }] },
      ],
    },
  ],
};

/** Canary rollout progress: traffic weights and the health of each side. */
export const canaryDashboard: DashboardSpec = {
  uid: "mlops-canary",
  title: "MLOps / Canary progress",
  tags: ["mlops"],
  variables: [modelVar],
  rows: [
    {
      panels: [
        { title: "Traffic weight by version", unit: "percentunit", min: 0, max: 1, stacked: true, width: 24, targets: [{ expr: `max by (version, mode) (mlops_traffic_weight{${M}})`, legend: "v{{version}} {{mode}}" }] },
        { title: "Requests per second by version", unit: "reqps", width: 8, targets: [{ expr: `sum by (version) (${rate5m("mlops_requests_total")})`, legend: "v{{version}}" }] },
        { title: "Error ratio by version", unit: "percentunit", width: 8, targets: [{ expr: `sum by (version) (${rate5m("mlops_requests_total", `,status=~"5.."`)}) / sum by (version) (${rate5m("mlops_requests_total")})`, legend: "v{{version}}" }] },
        { title: "p99 latency by version", unit: "s", width: 8, targets: [{ expr: `histogram_quantile(0.99, sum by (version, le) (${rate5m("mlops_request_duration_seconds_bucket")}))`, legend: "v{{version}}" }] },
        { title: "Live quality: champion vs challenger", width: 24, targets: [{ expr: `max by (version, metric) (mlops_live_quality{${M}}) * on (version) group_left (alias) max by (version, alias) (mlops_loaded_versions{${M},alias!=""})`, legend: "{{alias}} v{{version}} {{metric}}" }] },
      ],
    },
  ],
};

/** GPU utilisation, memory, power and errors from the DCGM exporter. */
export const gpuDashboard: DashboardSpec = {
  uid: "mlops-gpu",
  title: "MLOps / GPUs (DCGM)",
  tags: ["mlops", "gpu"],
  variables: [{ name: "node", label: "Node", metric: "DCGM_FI_DEV_GPU_UTIL", labelName: "Hostname" }],
  rows: [
    {
      panels: [
        { title: "GPU utilisation", unit: "percent", min: 0, max: 100, targets: [{ expr: `avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL{Hostname=~"$node"})`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "Graphics engine active", unit: "percentunit", min: 0, max: 1, targets: [{ expr: `avg by (Hostname, gpu) (DCGM_FI_PROF_GR_ENGINE_ACTIVE{Hostname=~"$node"})`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "Framebuffer memory used", unit: "decmbytes", targets: [{ expr: `max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{Hostname=~"$node"})`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "Framebuffer memory used ratio", unit: "percentunit", min: 0, max: 1, targets: [{ expr: `max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{Hostname=~"$node"} / (DCGM_FI_DEV_FB_USED{Hostname=~"$node"} + DCGM_FI_DEV_FB_FREE{Hostname=~"$node"}))`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "Power draw", unit: "watt", targets: [{ expr: `sum by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE{Hostname=~"$node"})`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "Last XID error", kind: "stat", thresholds: [{ value: null, color: "green" }, { value: 1, color: "red" }], targets: [{ expr: `max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS{Hostname=~"$node"})`, legend: "{{Hostname}} gpu{{gpu}}" }] },
        { title: "GPU utilisation by pod", width: 24, targets: [{ expr: `avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL{pod!=""})`, legend: "{{namespace}}/{{pod}}" }] },
      ],
    },
  ],
};

/** Every dashboard the Monitoring component ships. */
export const DASHBOARD_SPECS: readonly DashboardSpec[] = [trafficDashboard, driftDashboard, canaryDashboard, gpuDashboard];

/** The rendered JSON models, keyed by uid. */
export function renderDashboards(): Record<string, DashboardJson> {
  return Object.fromEntries(DASHBOARD_SPECS.map((d) => [d.uid, buildDashboard(d)]));
}

/** Every PromQL expression the dashboards query (panel targets and variable sources). */
export function dashboardPromql(): PromqlReference[] {
  return DASHBOARD_SPECS.flatMap((d) => [
    ...dashboardExpressions(d).map((e) => ({ source: `dashboard:${d.uid}/${e.panel}`, expr: e.expr })),
    ...(d.variables ?? []).map((v) => ({ source: `dashboard:${d.uid}/$${v.name}`, expr: v.metric })),
  ]);
}

/** Metric names each dashboard references, by uid. */
export function dashboardMetricNames(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of DASHBOARD_SPECS) {
    const refs = dashboardPromql().filter((r) => r.source.startsWith(`dashboard:${d.uid}/`));
    out[d.uid] = [...new Set(refs.flatMap((r) => metricNamesIn(r.expr)))].sort();
  }
  return out;
}
