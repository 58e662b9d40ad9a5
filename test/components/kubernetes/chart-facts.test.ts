// Facts about the four Helm charts the Kubernetes layer installs, read from the charts' own sources
// (templates and values.yaml) through the search tool, encoded here instead of copied:
//   kube-prometheus-stack 79.12.0 — prometheus-community/helm-charts, charts/kube-prometheus-stack/
//   nvidia-device-plugin 0.17.1  — NVIDIA/k8s-device-plugin, deployments/helm/nvidia-device-plugin/
//   gpu-operator v25.10.0        — NVIDIA/gpu-operator, deployments/gpu-operator/
//   dcgm-exporter 4.1.1          — NVIDIA/dcgm-exporter, deployment/
// helm.v4.Chart renders like `helm template` and drops every resource annotated `helm.sh/hook`, so each
// chart's hooks must be off, or be ones whose work Pulumi does itself. And every values key the code sets
// must exist in the chart's values.yaml: Helm ignores unknown keys silently.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type RecordedResource, setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";
import type { ClusterHandle } from "../../../components/kubernetes/cluster-handle.ts";
import { GPU_CHARTS, GpuEnablement } from "../../../components/kubernetes/gpu-enablement.ts";
import { MONITORING_CHART, Monitoring } from "../../../components/kubernetes/monitoring.ts";

const mocks = setupPulumiMocks();

/**
 * Values keys that exist in each chart's values.yaml at the pinned version. A key ending in `/*` is a
 * Kubernetes object or free-form map the chart passes through (`toYaml`), so anything below it is allowed.
 */
const VALUES_KEYS: Record<string, string[]> = {
  // charts/kube-prometheus-stack/values.yaml, and for grafana.* the grafana subchart's values.yaml it forwards to.
  "kube-prometheus-stack": [
    "fullnameOverride",
    "prometheusOperator.admissionWebhooks.enabled",
    "prometheusOperator.tls.enabled",
    "kubeControllerManager.enabled",
    "kubeScheduler.enabled",
    "kubeEtcd.enabled",
    "kubeProxy.enabled",
    "alertmanager.alertmanagerSpec.alertmanagerConfiguration/*",
    "alertmanager.alertmanagerSpec.alertmanagerConfigSelector/*",
    "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues",
    "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues",
    "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues",
    "prometheus.prometheusSpec.probeSelectorNilUsesHelmValues",
    "prometheus.prometheusSpec.retention",
    "prometheus.prometheusSpec.resources/*",
    "prometheus.prometheusSpec.storageSpec/*",
    "grafana.fullnameOverride",
    "grafana.admin.existingSecret",
    "grafana.admin.userKey",
    "grafana.admin.passwordKey",
    "grafana.sidecar.dashboards.enabled",
    "grafana.sidecar.dashboards.label",
    "grafana.sidecar.dashboards.labelValue",
    "grafana.sidecar.dashboards.searchNamespace",
  ],
  // deployments/helm/nvidia-device-plugin/values.yaml: config.{name,map,default}, affinity, nodeSelector, tolerations, priorityClassName, resources.
  "nvidia-device-plugin": ["affinity/*", "nodeSelector/*", "tolerations/*", "priorityClassName", "resources/*", "config.name", "config.default"],
  // deployments/gpu-operator/values.yaml: per-operand `enabled`, devicePlugin.config, daemonsets.tolerations, the NFD subchart's worker.tolerations.
  "gpu-operator": [
    "driver.enabled",
    "toolkit.enabled",
    "devicePlugin.enabled",
    "devicePlugin.config.name",
    "devicePlugin.config.default",
    "dcgmExporter.enabled",
    "daemonsets.tolerations/*",
    "node-feature-discovery.worker.tolerations/*",
  ],
  // deployment/values.yaml: nodeSelector, affinity, tolerations, resources, serviceMonitor.{enabled,interval,additionalLabels};
  // for nodes without the NVIDIA runtime (GKE COS, dcgmExporterHostValues): arguments, securityContext (toYaml'd into the
  // container), extraHostVolumes, extraVolumeMounts, extraEnv (read at chart 4.1.3 on main, two patches after the pinned
  // 4.1.1; the same keys are already in 2.4.1's values.yaml).
  "dcgm-exporter": [
    "nodeSelector/*",
    "affinity/*",
    "tolerations/*",
    "resources/*",
    "serviceMonitor.enabled",
    "serviceMonitor.interval",
    "serviceMonitor.additionalLabels/*",
    "arguments/*",
    "securityContext.privileged",
    "extraHostVolumes/*",
    "extraVolumeMounts/*",
    "extraEnv/*",
  ],
};

type Values = Record<string, any>;
const on = (v: unknown, dflt: boolean) => (v === undefined ? dflt : v === true);

/**
 * Every hook template of each chart at the pinned version: its file, its `helm.sh/hook` phases, the
 * values gate it renders under (with the chart's defaults), and why skipping it is safe when it renders.
 */
const HOOKS: Record<string, { template: string; hook: string; renders: (v: Values) => boolean; skippedBecause?: string }[]> = {
  "kube-prometheus-stack": [
    // Gate of every job-patch template: prometheusOperator.enabled (default true) and admissionWebhooks.enabled
    // (default true) and admissionWebhooks.patch.enabled (default true) and not admissionWebhooks.certManager.enabled.
    ...["job-createSecret.yaml", "job-patchWebhook.yaml", "serviceaccount.yaml", "clusterrole.yaml", "clusterrolebinding.yaml", "role.yaml", "rolebinding.yaml", "networkpolicy-createSecret.yaml", "networkpolicy-patchWebhook.yaml"].map((f) => ({
      template: `templates/prometheus-operator/admission-webhooks/job-patch/${f}`,
      hook: f === "job-patchWebhook.yaml" ? "post-install,post-upgrade" : "pre-install,pre-upgrade",
      renders: (v: Values) => on(v.prometheusOperator?.admissionWebhooks?.enabled, true) && on(v.prometheusOperator?.admissionWebhooks?.patch?.enabled, true),
    })),
    // charts/crds/templates/upgrade/job.yaml: gated by crds.upgradeJob.enabled (default false). Pulumi applies the
    // chart's crds/ itself, server-side, on install and on every version bump.
    { template: "charts/crds/templates/upgrade/job.yaml", hook: "pre-install,pre-upgrade,pre-rollback", renders: (v) => on(v.crds?.upgradeJob?.enabled, false) },
  ],
  // templates/: configmap.yml, daemonset-device-plugin.yml, daemonset-gfd.yml, daemonset-mps-control-daemon.yml, role*.yml, service-account.yml, validation.yml — no hook.
  "nvidia-device-plugin": [],
  "gpu-operator": [
    { template: "templates/upgrade_crd.yaml", hook: "pre-upgrade", renders: (v) => on(v.operator?.upgradeCRD, true), skippedBecause: "it kubectl-applies crds/ before an upgrade; Pulumi applies the chart's crds/ on every update itself" },
    { template: "templates/cleanup_crd.yaml", hook: "pre-delete", renders: (v) => on(v.operator?.cleanupCRD, false), skippedBecause: "it deletes the CRDs on uninstall; Pulumi deletes the CRDs it created on destroy" },
    { template: "charts/node-feature-discovery/templates/post-delete-job.yaml", hook: "post-delete", renders: () => true, skippedBecause: "it prunes NFD's node labels on uninstall; stale labels select nothing once the GPU stack is gone" },
    { template: "templates/tests/test-connection.yaml", hook: "test", renders: () => true, skippedBecause: "a `helm test` hook; helm.v4.Chart never renders test hooks" },
  ],
  // deployment/templates/: clusterrole, clusterrolebinding, config-configmap, daemonset, metrics-configmap, networkpolicy, role*, runtime-class, service*, serviceaccount, tls-secret, web-config-configmap — no hook.
  "dcgm-exporter": [],
};

/** Leaf paths of a values object (arrays are leaves). */
function leafPaths(v: unknown, prefix = ""): string[] {
  if (v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v).length === 0) return [prefix];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
}

/** Paths of `values` that no key of `known` covers. */
function unknownKeys(values: Values, known: string[]): string[] {
  return leafPaths(values).filter((p) => !known.some((k) => (k.endsWith("/*") ? p === k.slice(0, -2) || p.startsWith(`${k.slice(0, -2)}.`) : p === k)));
}

let seq = 0;
function cluster(gpu: boolean, managedControlPlane = false, host: { driverHostPath?: string; deviceIdType?: "uid" | "device-name" } = {}): ClusterHandle {
  return {
    provider: new k8s.Provider(`facts-k8s-${++seq}`, {}),
    name: "facts",
    managedControlPlane,
    ...(gpu ? { gpu: { nodeSelector: { "mlops.dev/gpu": "true" }, taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" as const }], resourceName: "nvidia.com/gpu", driverInstalled: true, devicePluginInstalled: false, ...host } } : {}),
    modelStore: { kind: "pvc", claimName: "models", mountPath: "/models" },
    workloadIdentity: { annotations: {}, labels: {} },
  };
}

let rendered: Promise<RecordedResource[]> | undefined;
/** Every chart the Kubernetes layer can install, with the values the code passes, over the variants that change them. */
function renderedCharts(): Promise<RecordedResource[]> {
  rendered ??= render();
  return rendered;
}
async function render(): Promise<RecordedResource[]> {
  const ready: pulumi.Output<unknown>[] = [
    new Monitoring("facts-mon", { cluster: cluster(true, true), namespace: "monitoring" }).grafanaUrl,
    new Monitoring("facts-mon-alerting", { cluster: cluster(false), namespace: "monitoring", alerting: { receivers: [{ name: "hook", webhook: { url: "https://example.com/a" } }], defaultReceiver: "hook" } }).grafanaUrl,
    new GpuEnablement("facts-dp", { cluster: cluster(true), timeSlicing: { replicas: 4 } }).namespace,
    new GpuEnablement("facts-op", { cluster: cluster(true), mode: "gpu-operator", timeSlicing: { replicas: 2 } }).namespace,
    new GpuEnablement("facts-cos", { cluster: cluster(true, true, { driverHostPath: "/home/kubernetes/bin/nvidia", deviceIdType: "device-name" }) }).namespace,
  ];
  await Promise.all(ready.map((o) => new Promise((resolve) => o.apply(resolve))));
  await mocks.settle();
  return mocks.ofType("kubernetes:helm.sh/v4:Chart").filter((r) => r.name.startsWith("facts-"));
}

describe("charts the Kubernetes layer installs", () => {
  it("pins each chart from its own repository at a fixed version", () => {
    assert.deepEqual(
      [MONITORING_CHART, ...Object.values(GPU_CHARTS)].map((c) => `${c.chart}@${c.version} ${c.repo}`),
      [
        "kube-prometheus-stack@79.12.0 https://prometheus-community.github.io/helm-charts",
        "nvidia-device-plugin@0.17.1 https://nvidia.github.io/k8s-device-plugin",
        "gpu-operator@v25.10.0 https://helm.ngc.nvidia.com/nvidia",
        "dcgm-exporter@4.1.1 https://nvidia.github.io/dcgm-exporter/helm-charts",
      ],
      "a version bump must re-read values.yaml and the hook templates, then update VALUES_KEYS and HOOKS",
    );
  });

  it("sets only values keys that exist in the pinned chart's values.yaml", async () => {
    const charts = await renderedCharts();
    assert.deepEqual([...new Set(charts.map((c) => c.inputs.chart))].sort(), Object.keys(VALUES_KEYS).sort());
    for (const c of charts) assert.deepEqual(unknownKeys(c.inputs.values, VALUES_KEYS[c.inputs.chart]!), [], `${c.name} (${c.inputs.chart})`);
    // The check itself catches a misspelt key.
    assert.deepEqual(unknownKeys({ prometheusOperator: { admissionWebhook: { enabled: false } } }, VALUES_KEYS["kube-prometheus-stack"]!), ["prometheusOperator.admissionWebhook.enabled"]);
  });

  it("leaves no hook rendering that the install depends on: each one is off, or does work Pulumi does itself", async () => {
    for (const c of await renderedCharts()) {
      const rendering = (HOOKS[c.inputs.chart] ?? []).filter((h) => h.renders(c.inputs.values));
      const unsafe = rendering.filter((h) => h.skippedBecause === undefined).map((h) => `${h.template} (${h.hook})`);
      assert.deepEqual(unsafe, [], `${c.name}: hooks helm.v4.Chart would drop although the install needs them`);
    }
    // With the chart's defaults (what the code passed before issue 10), the admission hooks render and nothing makes <release>-admission.
    const defaults = HOOKS["kube-prometheus-stack"]!.filter((h) => h.renders({}) && h.skippedBecause === undefined);
    assert.ok(defaults.some((h) => h.template.endsWith("job-createSecret.yaml")));
  });

  it("gives the DCGM exporter host volumes in the shape its daemonset template reads, each one mounted", async () => {
    // dcgm-exporter deployment/templates/daemonset.yaml (chart 4.1.3 on main): `range .Values.extraHostVolumes` renders
    // `- name: {{ .name }}` + `hostPath: { path: {{ .hostPath }} }` (only those two keys are read);
    // extraVolumeMounts and extraEnv are toYaml'd into the exporter container as given. The chart's own
    // pod-resources volume is always there; the exporter image ships /etc/dcgm-exporter/dcp-metrics-included.csv.
    const cos = (await renderedCharts()).find((c) => c.name === "facts-cos-dcgm-exporter");
    assert.ok(cos, "the COS variant renders the DCGM chart");
    const v = cos.inputs.values;
    const volumes: { name: string; hostPath: string }[] = v.extraHostVolumes;
    assert.ok(volumes.length > 0);
    for (const vol of volumes) assert.deepEqual(Object.keys(vol).sort(), ["hostPath", "name"]);
    for (const m of v.extraVolumeMounts as { name: string }[]) assert.ok(volumes.some((vol) => vol.name === m.name), `mount ${m.name} has a volume`);
    assert.deepEqual(v.arguments, ["-f", "/etc/dcgm-exporter/dcp-metrics-included.csv"]);
    // Nodes with the NVIDIA runtime keep the chart's own volumes, mounts and counters.
    const plain = (await renderedCharts()).find((c) => c.name === "facts-dp-dcgm-exporter");
    assert.ok(plain);
    for (const k of ["extraHostVolumes", "extraVolumeMounts", "extraEnv", "arguments", "securityContext"]) assert.equal(plain.inputs.values[k], undefined, k);
  });

  it("keeps CRDs installed by Pulumi (the chart's crds/), server-side applied, before the custom resources that need them", async () => {
    for (const c of await renderedCharts()) assert.notEqual(c.inputs.skipCrds, true, `${c.name} must install its chart's CRDs`);
    // The prometheuses/alertmanagers CRDs of kube-prometheus-stack are larger than the 262144-byte
    // last-applied-configuration annotation client-side apply writes; pulumi-kubernetes v4 applies server-side
    // unless a provider sets enableServerSideApply: false. No provider of the platform does.
    const root = fileURLToPath(new URL("../../../components/", import.meta.url));
    const sources = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const providers = sources.flatMap((f) => [...readFileSync(path.join(root, f), "utf8").matchAll(/new k8s\.Provider\([^;]*?\);/gs)].map((m) => ({ f, text: m[0] })));
    assert.ok(providers.length >= 4, `found the providers of aws, gcp, azure and existing: ${providers.map((p) => p.f).join(", ")}`);
    for (const p of providers) assert.doesNotMatch(p.text, /enableServerSideApply\s*:\s*false/, p.f);
    // The platform's own custom resources (a PrometheusRule and the root AlertmanagerConfig per Monitoring) are
    // created by Monitoring with dependsOn on the chart, i.e. after its CRDs.
    const crs = mocks.resources.filter((r) => r.name.startsWith("facts-mon") && /monitoring\.coreos\.com/.test(r.type));
    assert.deepEqual(crs.map((r) => r.type.split(":").at(-1)).sort(), ["AlertmanagerConfig", "AlertmanagerConfig", "PrometheusRule", "PrometheusRule"]);
  });
});
