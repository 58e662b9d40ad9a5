import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parser } from "@prometheus-io/lezer-promql";
import { buildDashboard, layout } from "../../../components/kubernetes/dashboards/builder.ts";
import { DASHBOARD_SPECS, dashboardMetricNames, dashboardPromql, renderDashboards } from "../../../components/kubernetes/dashboards/mlops-dashboards.ts";
import { metricNamesIn, unknownMetricNames } from "../../../components/kubernetes/dashboards/promql.ts";
import { createServerMetrics } from "../../../runtime/src/serve/server-metrics.ts";

function parsePromql(expr: string): { errors: number; metrics: string[] } {
  let errors = 0;
  const metrics = new Set<string>();
  parser.parse(expr).iterate({
    enter(n) {
      if (n.type.isError) errors++;
      if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") metrics.add(expr.slice(n.from, n.to));
    },
  });
  return { errors, metrics: [...metrics].sort() };
}

/** Grafana substitutes template variables before Prometheus sees the query; do the same for `$model`-style ones. */
const substitute = (expr: string) => expr.replace(/\$(\w+)/g, "x");

describe("dashboards", () => {
  it("ships traffic/latency by version, drift per feature, canary progress and GPU dashboards", () => {
    const names = dashboardMetricNames();
    assert.deepEqual(Object.keys(names).sort(), ["mlops-canary", "mlops-drift", "mlops-gpu", "mlops-traffic"]);
    assert.ok(names["mlops-traffic"]?.includes("mlops_request_duration_seconds_bucket"));
    assert.ok(names["mlops-traffic"]?.includes("mlops_requests_total"));
    assert.ok(names["mlops-drift"]?.includes("mlops_feature_drift"));
    assert.ok(names["mlops-canary"]?.includes("mlops_traffic_weight"));
    for (const m of ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_PROF_GR_ENGINE_ACTIVE"]) assert.ok(names["mlops-gpu"]?.includes(m), m);
    assert.ok(dashboardPromql().some((r) => r.source.startsWith("dashboard:mlops-traffic/") && /by \(version, le\)/.test(r.expr)), "latency is split by version");
    assert.ok(dashboardPromql().some((r) => r.source.startsWith("dashboard:mlops-drift/") && /by \(feature, test\)/.test(r.expr)), "drift is split by feature");
  });

  it("parses every panel query with the Prometheus PromQL parser without error nodes", () => {
    const refs = dashboardPromql();
    assert.ok(refs.length > 20);
    for (const r of refs) assert.equal(parsePromql(substitute(r.expr)).errors, 0, `${r.source}: ${r.expr}`);
  });

  it("extracts the same metric names as the parser for every query", () => {
    for (const r of dashboardPromql()) assert.deepEqual(metricNamesIn(r.expr), parsePromql(substitute(r.expr)).metrics, r.expr);
  });

  it("references only metrics the runtime, DCGM, kube-state-metrics or node-exporter export", async () => {
    const exported = (await createServerMetrics().registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
    for (const [uid, names] of Object.entries(dashboardMetricNames())) assert.deepEqual(unknownMetricNames(names, exported), [], uid);
  });

  it("renders the Grafana JSON model with a Prometheus datasource variable and unique panel ids", () => {
    for (const [uid, d] of Object.entries(renderDashboards())) {
      assert.equal(d.uid, uid);
      assert.equal(d.schemaVersion, 39);
      assert.equal(d.templating.list[0]?.type, "datasource");
      const ids = d.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const p of d.panels.filter((p) => p.type !== "row")) {
        const targets = p.targets as { refId: string; expr: string; datasource: { uid: string } }[];
        assert.ok(targets.length > 0, String(p.title));
        assert.deepEqual(targets.map((t) => t.refId), targets.map((_, i) => String.fromCharCode(65 + i)));
        assert.equal(targets[0]?.datasource.uid, "${datasource}");
      }
      assert.doesNotThrow(() => JSON.parse(JSON.stringify(d)));
    }
  });

  it("lays panels out on the 24-column grid without overlaps", () => {
    for (const spec of DASHBOARD_SPECS) {
      const boxes = buildDashboard(spec).panels.map((p) => p.gridPos as { x: number; y: number; w: number; h: number });
      for (const [i, a] of boxes.entries()) {
        assert.ok(a.x >= 0 && a.x + a.w <= 24, `${spec.uid} panel ${i} leaves the grid`);
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          assert.ok(!overlap, `${spec.uid}: ${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`);
        }
      }
    }
  });

  it("wraps to a new line when a row is full", () => {
    const [row] = layout([{ panels: [{ title: "a", targets: [] }, { title: "b", width: 12, height: 4, targets: [] }, { title: "c", width: 6, targets: [] }] }]);
    assert.deepEqual(row?.panels.map((p) => p.gridPos), [
      { x: 0, y: 0, w: 12, h: 8 },
      { x: 12, y: 0, w: 12, h: 4 },
      { x: 0, y: 8, w: 6, h: 8 },
    ]);
  });
});
