import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, type RecordedResource } from "../../helpers/pulumi-mocks.ts";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { alertRuleGroups } from "../../../components/kubernetes/alert-rules.ts";
import type { ClusterHandle } from "../../../components/kubernetes/cluster-handle.ts";
import { MONITORING_CHART, Monitoring, monitoringArgsSchema } from "../../../components/kubernetes/monitoring.ts";

type Recorded = RecordedResource;
const mocks = setupPulumiMocks();
const recorded = mocks.resources;

let seq = 0;
function cluster(gpu = true): ClusterHandle {
  return {
    provider: new k8s.Provider(`k8s-${++seq}`, {}),
    name: "test",
    ...(gpu ? { gpu: { nodeSelector: { "mlops.dev/gpu": "true" }, taints: [], resourceName: "nvidia.com/gpu", driverInstalled: true, devicePluginInstalled: false } } : {}),
    modelStore: { kind: "pvc", claimName: "models", mountPath: "/models" },
    workloadIdentity: { annotations: {}, labels: {} },
  };
}
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

async function synth(name: string, build: () => Monitoring): Promise<{ m: Monitoring; rs: Recorded[] }> {
  const m = build();
  await value(m.grafanaUrl);
  await mocks.settle();
  return { m, rs: recorded.filter((r) => r.name === name || r.name.startsWith(`${name}-`)) };
}

describe("Monitoring", () => {
  it("installs the pinned kube-prometheus-stack selecting every ServiceMonitor, PodMonitor and rule", async () => {
    const { rs } = await synth("mon1", () => new Monitoring("mon1", { cluster: cluster(), namespace: "monitoring" }));
    const chart = rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart");
    assert.ok(chart);
    assert.equal(chart.inputs.chart, "kube-prometheus-stack");
    assert.equal(chart.inputs.version, MONITORING_CHART.version);
    assert.match(chart.inputs.version, /^\d+\.\d+\.\d+$/);
    assert.equal(chart.inputs.repositoryOpts.repo, "https://prometheus-community.github.io/helm-charts");
    assert.equal(chart.inputs.name, "monitoring");
    assert.equal(chart.inputs.namespace, "monitoring");
    const spec = chart.inputs.values.prometheus.prometheusSpec;
    assert.equal(spec.serviceMonitorSelectorNilUsesHelmValues, false);
    assert.equal(spec.podMonitorSelectorNilUsesHelmValues, false);
    assert.equal(spec.ruleSelectorNilUsesHelmValues, false);
    assert.equal(spec.retention, "15d");
    assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, "50Gi");
  });

  it("runs Grafana with the dashboard sidecar watching ConfigMaps labelled grafana_dashboard=1 and no default password", async () => {
    const { rs } = await synth("mon2", () => new Monitoring("mon2", { cluster: cluster(), namespace: "obs" }));
    const grafana = rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values.grafana;
    assert.deepEqual(grafana.sidecar.dashboards, { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
    const secret = rs.find((r) => r.type === "kubernetes:core/v1:Secret");
    assert.ok(secret);
    assert.equal(grafana.admin.existingSecret, secret.inputs.metadata.name);
    // Secret inputs reach the mocks wrapped as { <secret signature>: ..., value }.
    const unwrap = (v: any) => (typeof v === "object" && v !== null && "value" in v ? v.value : v);
    const raw = unwrap(unwrap(secret.inputs.stringData)["admin-password"]);
    const password = String(raw);
    assert.notEqual(password, "prom-operator");
    assert.ok(password.length >= 24, JSON.stringify(raw));
  });

  it("ships the alert rules as a PrometheusRule and each dashboard as a labelled ConfigMap", async () => {
    const { rs } = await synth("mon3", () => new Monitoring("mon3", { cluster: cluster(), namespace: "obs", releaseName: "kps" }));
    const rule = rs.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    assert.ok(rule);
    assert.equal(rule.inputs.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(rule.inputs.kind, "PrometheusRule");
    assert.equal(rule.inputs.metadata.labels.release, "kps");
    const alerts = rule.inputs.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    assert.deepEqual(alerts, alertRuleGroups().flatMap((g) => g.rules.map((r) => r.alert)));
    const dashboards = rs.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    assert.deepEqual(dashboards.map((d) => d.name).sort(), ["mon3-dashboard-mlops-canary", "mon3-dashboard-mlops-drift", "mon3-dashboard-mlops-gpu", "mon3-dashboard-mlops-traffic"]);
    for (const d of dashboards) {
      assert.equal(d.inputs.metadata.labels.grafana_dashboard, "1");
      const [file, json] = Object.entries(d.inputs.data as Record<string, string>)[0] ?? [];
      assert.match(String(file), /\.json$/);
      assert.equal(JSON.parse(String(json)).uid, String(file).replace(/\.json$/, ""));
    }
  });

  it("creates Kubernetes objects that validate against their OpenAPI schemas", async () => {
    const { rs } = await synth("mon7", () => new Monitoring("mon7", { cluster: cluster(), namespace: "obs" }));
    const unwrap = (v: any): any => (typeof v === "object" && v !== null && "value" in v && Object.keys(v).length === 2 ? v.value : v);
    const models: Record<string, (o: any) => { validate(): void }> = {
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule": (o) => new PrometheusRule(o),
      "kubernetes:core/v1:ConfigMap": (o) => new ConfigMap(o),
      "kubernetes:core/v1:Namespace": (o) => new Namespace(o),
      "kubernetes:core/v1:Secret": (o) => new Secret({ ...o, stringData: unwrap(o.stringData) }),
    };
    const objects = rs.filter((r) => models[r.type]);
    assert.equal(objects.length, 1 + 4 + 1 + 1);
    for (const r of objects) assert.doesNotThrow(() => models[r.type]?.({ apiVersion: r.inputs.apiVersion, kind: r.inputs.kind, ...r.inputs }).validate(), r.name);
  });

  it("leaves out the GPU dashboard and GPU rules on clusters without GPUs", async () => {
    const { rs } = await synth("mon4", () => new Monitoring("mon4", { cluster: cluster(false), namespace: "obs" }));
    assert.ok(!rs.some((r) => r.name === "mon4-dashboard-mlops-gpu"));
    const groups = rs.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")?.inputs.spec.groups;
    assert.ok(!groups.some((g: any) => g.name === "mlops.gpu"));
  });

  it("exposes the URLs, release name and the release label for ServiceMonitors", async () => {
    const { m } = await synth("mon5", () => new Monitoring("mon5", { cluster: cluster(), namespace: "obs", releaseName: "kps" }));
    assert.deepEqual(m.serviceMonitorLabels, { release: "kps" });
    assert.equal(await value(m.releaseName), "kps");
    assert.equal(await value(m.namespace), "obs");
    assert.equal(await value(m.prometheusUrl), "http://kps-prometheus.obs.svc:9090");
    assert.equal(await value(m.grafanaUrl), "http://kps-grafana.obs.svc:80");
  });

  it("uses an existing namespace and Grafana secret when told to", async () => {
    const { rs } = await synth("mon6", () => new Monitoring("mon6", { cluster: cluster(), namespace: "obs", createNamespace: false, grafanaAdminSecretName: "grafana-admin" }));
    assert.ok(!rs.some((r) => r.type === "kubernetes:core/v1:Namespace" || r.type === "kubernetes:core/v1:Secret"));
    assert.equal(rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values.grafana.admin.existingSecret, "grafana-admin");
  });

  it("reports every invalid argument at once with its path", () => {
    assert.throws(
      () => new Monitoring("bad", { cluster: cluster(), namespace: "", releaseName: "a-release-name-longer-than-26", retention: "two weeks", alerts: { errorRatio: 2 } }),
      (err: Error) => {
        assert.ok(pulumi.InputPropertiesError.isInstance(err));
        const paths = (err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
        assert.deepEqual(paths, ["alerts.errorRatio", "namespace", "releaseName", "retention"]);
        return true;
      },
    );
  });

  it("applies exactly the defaults its Args documentation states", () => {
    const source = readFileSync(new URL("../../../components/kubernetes/monitoring.ts", import.meta.url), "utf8");
    const iface = source.slice(source.indexOf("export interface MonitoringArgs"), source.indexOf("export const monitoringArgsSchema"));
    const documented = [...iface.matchAll(/@default ([^*]+?) \*\/\s+(\w+)\?:/g)].filter((m) => !m[1]?.startsWith("-"));
    assert.ok(documented.length >= 4);
    const parsed = monitoringArgsSchema.parse({ cluster: cluster(), namespace: "obs" }) as Record<string, unknown>;
    for (const [, doc, field] of documented) assert.deepEqual(parsed[field as string], JSON.parse(doc as string), String(field));
    for (const m of iface.matchAll(/\n  (\w+)\??:/g)) assert.match(iface, new RegExp(`/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\s+${m[1]}\\??:`), `${m[1]} is documented`);
  });
});
