import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parser } from "@prometheus-io/lezer-promql";
import { alertRuleGroups, alertRuleMetricNames, alertRulePromql } from "../../../components/kubernetes/alert-rules.ts";
import { metricNamesIn, unknownMetricNames } from "../../../components/kubernetes/dashboards/promql.ts";
import { SERVER_METRIC_NAMES, createServerMetrics } from "../../../runtime/src/serve/server-metrics.ts";

/** Parse errors (as `offset: text`) and the selected metric names, by the official Prometheus parser. */
function parsePromql(expr: string): { errors: string[]; metrics: string[] } {
  const errors: string[] = [];
  const metrics = new Set<string>();
  parser.parse(expr).iterate({
    enter(n) {
      if (n.type.isError) errors.push(`${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
      if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") metrics.add(expr.slice(n.from, n.to));
    },
  });
  return { errors, metrics: [...metrics].sort() };
}

async function runtimeMetrics() {
  return (await createServerMetrics().registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
}

const rules = () => alertRuleGroups().flatMap((g) => g.rules);

describe("alert rules", () => {
  it("parses every rule expression with the Prometheus PromQL parser without error nodes", () => {
    const refs = alertRulePromql();
    assert.ok(refs.length >= 9);
    for (const r of refs) assert.deepEqual(parsePromql(r.expr).errors, [], `${r.source}: ${r.expr}`);
  });

  it("parses with non-default thresholds too", () => {
    for (const r of alertRulePromql({ latencyP99Seconds: 1.5, errorRatio: 0.01, qualityDrop: 0.1, trainingJobNamePattern: "churn-.*" })) {
      assert.deepEqual(parsePromql(r.expr).errors, [], r.expr);
    }
  });

  it("extracts the same metric names as the parser for every rule", () => {
    for (const r of alertRulePromql()) assert.deepEqual(metricNamesIn(r.expr), parsePromql(r.expr).metrics, r.expr);
  });

  it("references only metrics the runtime, DCGM or kube-state-metrics export", async () => {
    const exported = await runtimeMetrics();
    for (const name of SERVER_METRIC_NAMES) assert.ok(exported.some((m) => m.name === name), `runtime registry lacks ${name}`);
    const all = Object.values(alertRuleMetricNames()).flat();
    assert.deepEqual(unknownMetricNames(all, exported), []);
    assert.deepEqual(unknownMetricNames(["mlops_requests", "mlops_request_duration_seconds_bucket", "DCGM_FI_DEV_FB_USED"], exported), ["mlops_requests"]);
  });

  it("covers drift, quality, latency, errors, GPU memory, XID and training job failures", () => {
    const byName = new Map(rules().map((r) => [r.alert, r]));
    const drift = byName.get("MlopsDatasetDriftSustained");
    assert.ok(drift);
    assert.match(drift.expr, /mlops_dataset_drift\) == 1$/);
    assert.equal(drift.for, "15m");
    assert.equal(drift.labels.mlops_trigger, "retrain");
    assert.match(byName.get("MlopsLiveQualityDrop")?.expr ?? "", /mlops_live_quality/);
    assert.match(byName.get("MlopsHighP99Latency")?.expr ?? "", /histogram_quantile\(0\.99, .*mlops_request_duration_seconds_bucket.*> 0\.5$/);
    assert.match(byName.get("MlopsHighErrorRate")?.expr ?? "", /mlops_requests_total\{status=~"5\.\."\}/);
    assert.match(byName.get("GpuMemoryNearlyFull")?.expr ?? "", /DCGM_FI_DEV_FB_USED \/ \(DCGM_FI_DEV_FB_USED \+ DCGM_FI_DEV_FB_FREE\) > 0\.95/);
    assert.match(byName.get("GpuXidErrors")?.expr ?? "", /DCGM_FI_DEV_XID_ERRORS/);
    assert.match(byName.get("MlopsTrainingJobFailed")?.expr ?? "", /kube_job_status_failed/);
    for (const r of rules()) {
      assert.ok(["warning", "critical"].includes(r.labels.severity ?? ""), r.alert);
      assert.ok(r.annotations.summary && r.annotations.description, r.alert);
    }
  });

  it("applies thresholds given field by field, keeping the other defaults", () => {
    const byName = new Map(alertRuleGroups({ latencyP99Seconds: 2, driftFor: "1h" }).flatMap((g) => g.rules).map((r) => [r.alert, r]));
    assert.match(byName.get("MlopsHighP99Latency")?.expr ?? "", /> 2$/);
    assert.equal(byName.get("MlopsDatasetDriftSustained")?.for, "1h");
    assert.match(byName.get("MlopsHighErrorRate")?.expr ?? "", /> 0\.05$/);
  });

  it("reports every bad threshold with its path", () => {
    assert.throws(
      () => alertRuleGroups({ driftFor: "soon", errorRatio: 3 }),
      (err: Error) => /driftFor/.test(err.message) && /errorRatio/.test(err.message),
    );
  });
});
