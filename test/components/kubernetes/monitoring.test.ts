import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, type RecordedResource } from "../../helpers/pulumi-mocks.ts";
import { AlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig";
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
function cluster(gpu = true, managedControlPlane?: boolean): ClusterHandle {
  return {
    provider: new k8s.Provider(`k8s-${++seq}`, {}),
    name: "test",
    ...(managedControlPlane === undefined ? {} : { managedControlPlane }),
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
      "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig": (o) => new AlertmanagerConfig(o),
      "kubernetes:core/v1:ConfigMap": (o) => new ConfigMap(o),
      "kubernetes:core/v1:Namespace": (o) => new Namespace(o),
      "kubernetes:core/v1:Secret": (o) => new Secret({ ...o, stringData: unwrap(o.stringData) }),
    };
    const objects = rs.filter((r) => models[r.type]);
    assert.equal(objects.length, 1 + 4 + 1 + 1 + 1);
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

  // Issue 10 item 1. helm.v4.Chart renders like `helm template` and drops every `helm.sh/hook` resource. In
  // kube-prometheus-stack 79.12.0 the `<release>-admission` Secret is created only by the pre-install hook Job
  // templates/prometheus-operator/admission-webhooks/job-patch/job-createSecret.yaml (condition:
  // prometheusOperator.enabled, admissionWebhooks.enabled, admissionWebhooks.patch.enabled, not certManager.enabled),
  // and templates/prometheus-operator/deployment.yaml mounts that Secret as volume `tls-secret` while
  // prometheusOperator.tls.enabled (default true): the operator pod would wait in ContainerCreating forever.
  it("installs kube-prometheus-stack with nothing that needs a Helm hook: admission webhooks and operator TLS off", async () => {
    const { rs } = await synth("mon8", () => new Monitoring("mon8", { cluster: cluster(), namespace: "obs" }));
    const values = rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values;
    assert.equal(values.prometheusOperator.admissionWebhooks.enabled, false, "no hook Job to create the webhook certificate");
    assert.equal(values.prometheusOperator.tls.enabled, false, "the operator must not mount <release>-admission");
  });

  // Issue 10 item 10: on EKS/GKE/AKS the chart's KubeSchedulerDown, KubeControllerManagerDown, etcd* and
  // KubeProxyDown fire forever. Chart 79.12.0: templates/prometheus/rules-1.14/kubernetes-system-scheduler.yaml
  // renders only with kubeScheduler.enabled, kubernetes-system-controller-manager.yaml with
  // kubeControllerManager.enabled, etcd.yaml with kubeEtcd.enabled, kubernetes-system-kube-proxy.yaml with
  // kubeProxy.enabled; the same keys gate the exporters' Service and ServiceMonitor.
  it("turns off the control-plane scrapes and rules on a managed control plane, and keeps them on a cluster you run", async () => {
    const { rs: managed } = await synth("mon9", () => new Monitoring("mon9", { cluster: cluster(false, true), namespace: "obs" }));
    const m = managed.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values;
    for (const key of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) assert.deepEqual(m[key], { enabled: false }, key);
    for (const [name, handle] of [["mon10", cluster(false)], ["mon11", cluster(false, false)]] as const) {
      const { rs } = await synth(name, () => new Monitoring(name, { cluster: handle, namespace: "obs" }));
      const v = rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values;
      for (const key of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) assert.equal(v[key], undefined, `${name}: ${key} keeps the chart default`);
    }
  });

  // Issue 10 item 10: the chart's default Alertmanager config routes everything to `null`.
  it("routes every alert to the receivers the stack names, with credentials only in Secrets", async () => {
    const { rs } = await synth("mon12", () =>
      new Monitoring("mon12", {
        cluster: cluster(),
        namespace: "obs",
        alerting: {
          receivers: [
            { name: "team", slack: { apiUrl: { value: pulumi.secret("https://hooks.slack.example/T0/B0/xyz") }, channel: "#mlops" }, email: { to: "ml@example.com", from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: { secretName: "smtp", key: "password" } } },
            { name: "oncall", pagerduty: { routingKey: { value: pulumi.secret("R0UT1NGK3Y") } } },
            { name: "hook", webhook: { url: "https://events.example.com/alerts" } },
          ],
          defaultReceiver: "team",
          severityReceivers: { critical: "oncall" },
        },
      }),
    );
    const values = rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")?.inputs.values;
    const amc = rs.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig");
    assert.ok(amc, "a root AlertmanagerConfig");
    assert.deepEqual(values.alertmanager.alertmanagerSpec.alertmanagerConfiguration, { name: amc.inputs.metadata.name });
    assert.equal(amc.inputs.metadata.namespace, "obs");
    const route = amc.inputs.spec.route;
    assert.equal(route.receiver, "team");
    assert.deepEqual(route.routes.map((r: any) => [r.receiver, (r.matchers ?? []).map((x: any) => `${x.name}${x.matchType}${x.value}`)]), [
      ["null", ["alertname=~Watchdog|InfoInhibitor"]],
      ["oncall", ["severity=critical"]],
      ["team", []],
    ]);
    // Credentials appear only as SecretKeySelectors; values go into a Secret, marked secret.
    const manifest = JSON.stringify(amc.inputs);
    for (const leaked of ["hooks.slack.example", "R0UT1NGK3Y"]) assert.ok(!manifest.includes(leaked), `${leaked} is not in the AlertmanagerConfig`);
    const receivers = Object.fromEntries(amc.inputs.spec.receivers.map((r: any) => [r.name, r]));
    assert.deepEqual(receivers.team.slackConfigs[0].apiURL, { name: "mon12-alerting", key: "team-slack-api-url" });
    assert.deepEqual(receivers.team.emailConfigs[0].authPassword, { name: "smtp", key: "password" });
    assert.deepEqual(receivers.oncall.pagerdutyConfigs[0].routingKey, { name: "mon12-alerting", key: "oncall-pagerduty-routing-key" });
    assert.equal(receivers.hook.webhookConfigs[0].url, "https://events.example.com/alerts");
    const secret = rs.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "mon12-alerting");
    assert.ok(secret);
    const unwrap = (v: any) => (typeof v === "object" && v !== null && "value" in v ? v.value : v);
    const data = unwrap(secret.inputs.stringData);
    assert.deepEqual(Object.keys(data).sort(), ["oncall-pagerduty-routing-key", "team-slack-api-url"]);
    assert.equal(unwrap(data["oncall-pagerduty-routing-key"]), "R0UT1NGK3Y");
  });

  it("rejects receivers and routes that cannot work, naming each path", () => {
    assert.throws(
      () =>
        new Monitoring("bad-alerting", {
          cluster: cluster(),
          namespace: "obs",
          alerting: {
            receivers: [{ name: "a", webhook: {} }, { name: "a", slack: { apiUrl: { secretName: "s", key: "k" }, channel: "#x" } }, { name: "b" } as never],
            defaultReceiver: "nobody",
            severityReceivers: { critical: "ghost" },
          },
        }),
      (err: Error) => {
        const paths = (err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
        assert.deepEqual(paths, ["alerting.defaultReceiver", "alerting.receivers[0].webhook", "alerting.receivers[1].name", "alerting.receivers[2]", "alerting.severityReceivers.critical"]);
        return true;
      },
    );
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
