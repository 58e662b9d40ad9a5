import { randomBytes } from "node:crypto";
import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { alertRuleGroups, alertThresholdsSchema, type AlertThresholds } from "./alert-rules.ts";
import { type AlertingArgs, ROOT_ALERTMANAGER_CONFIG_LABEL, alertingSchema, rootAlertmanagerConfigSpec } from "./alert-routing.ts";
import type { ClusterHandle } from "./cluster-handle.ts";
import { buildDashboard } from "./dashboards/builder.ts";
import { DASHBOARD_SPECS, gpuDashboard } from "./dashboards/mlops-dashboards.ts";
import { clusterHandle, inputString, parseArgs } from "./runtime-workload-args.ts";

/**
 * Pinned kube-prometheus-stack chart (prometheus-community/helm-charts, charts/kube-prometheus-stack).
 * Every values key the component sets is listed, with the template that reads it, in
 * test/components/kubernetes/monitoring-chart.test.ts.
 */
export const MONITORING_CHART = {
  chart: "kube-prometheus-stack",
  repo: "https://prometheus-community.github.io/helm-charts",
  version: "79.12.0",
} as const;

/**
 * Chart values for a control plane the cloud runs: no Service/ServiceMonitor for kube-scheduler,
 * kube-controller-manager, etcd or kube-proxy, and (the chart's rule templates check the same keys)
 * none of KubeSchedulerDown, KubeControllerManagerDown, etcd* or KubeProxyDown, which would fire forever.
 */
export const MANAGED_CONTROL_PLANE_VALUES = {
  kubeControllerManager: { enabled: false },
  kubeScheduler: { enabled: false },
  kubeEtcd: { enabled: false },
  kubeProxy: { enabled: false },
} as const;

const [ROOT_LABEL_KEY, ROOT_LABEL_VALUE] = Object.entries(ROOT_ALERTMANAGER_CONFIG_LABEL)[0] as [string, string];

/** Label (and value) the Grafana sidecar looks for on dashboard ConfigMaps. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Arguments for {@link Monitoring}. */
export interface MonitoringArgs {
  /** The cluster to monitor. */
  cluster: ClusterHandle;
  /** Namespace of the monitoring stack. */
  namespace: pulumi.Input<string>;
  /** Create the namespace (with the `privileged` Pod Security level node-exporter needs). @default true */
  createNamespace?: boolean;
  /** Helm release name; ServiceMonitors carry it as their `release` label. At most 26 characters (the chart truncates longer names). @default "monitoring" */
  releaseName?: string;
  /** How long Prometheus keeps samples. @default "15d" */
  retention?: string;
  /** Size of Prometheus's persistent volume. @default "50Gi" */
  storageSize?: string;
  /** Existing Secret with `admin-user` / `admin-password` for Grafana. @default - a Secret with a generated password is created */
  grafanaAdminSecretName?: string;
  /** Alert thresholds; each field defaults on its own. @default - every threshold at its documented default (see {@link AlertThresholds}) */
  alerts?: AlertThresholds;
  /** Ship the GPU dashboard and GPU alert rules. @default - true when the cluster has GPU nodes */
  gpu?: boolean;
  /** Where alerts are delivered (webhook, Slack, PagerDuty, email receivers and the routes to them). @default - nowhere: every alert reaches the `null` receiver, and preview warns */
  alerting?: AlertingArgs;
}

/** zod schema of {@link MonitoringArgs}: validation and the documented defaults. */
export const monitoringArgsSchema = z
  .object({
    cluster: clusterHandle,
    namespace: inputString,
    createNamespace: z.boolean().default(true),
    releaseName: z.string().max(26).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").default("monitoring"),
    retention: z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "must be a Prometheus duration like 15d").default("15d"),
    storageSize: z.string().regex(/^[0-9]+(Mi|Gi|Ti)$/, "must be a size like 50Gi").default("50Gi"),
    grafanaAdminSecretName: z.string().min(1).optional(),
    alerts: alertThresholdsSchema.prefault({}),
    gpu: z.boolean().optional(),
    alerting: alertingSchema.optional(),
  })
  .strict();

/**
 * The platform's monitoring: kube-prometheus-stack (Prometheus selecting every ServiceMonitor,
 * PodMonitor and PrometheusRule in the cluster, Grafana with the dashboard sidecar, Alertmanager,
 * kube-state-metrics, node-exporter), the MLOps alert rules as a PrometheusRule, the MLOps
 * dashboards as ConfigMaps, and the root AlertmanagerConfig routing every alert to the receivers
 * `alerting` names.
 *
 * The chart is rendered by `helm.v4.Chart`, which applies no Helm hooks: the operator's admission
 * webhooks (whose certificate only a pre-install hook Job creates) and the operator's TLS listener
 * (which mounts that certificate) are off, so nothing waits on a Secret that is never made. Rules are
 * checked by promtool in this project's tests instead of by the webhook at admission.
 */
export class Monitoring extends pulumi.ComponentResource {
  /** Namespace of the stack. */
  public readonly namespace: pulumi.Output<string>;
  /** Helm release name. */
  public readonly releaseName: pulumi.Output<string>;
  /** Cluster-internal Prometheus URL. */
  public readonly prometheusUrl: pulumi.Output<string>;
  /** Cluster-internal Grafana URL. */
  public readonly grafanaUrl: pulumi.Output<string>;
  /** Cluster-internal Alertmanager URL. */
  public readonly alertmanagerUrl: pulumi.Output<string>;
  /** Labels a ServiceMonitor/PrometheusRule should carry (`release`); not required for selection, since the selectors match everything. */
  public readonly serviceMonitorLabels: Record<string, string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:Monitoring", name, {}, opts);
    const cfg = parseArgs("Monitoring", monitoringArgsSchema, args);
    this.serviceMonitorLabels = { release: cfg.releaseName };
    const r = createMonitoring(name, this, cfg, this.serviceMonitorLabels);
    this.namespace = r.namespace;
    this.releaseName = pulumi.output(cfg.releaseName);
    this.prometheusUrl = pulumi.interpolate`http://${cfg.releaseName}-prometheus.${r.namespace}.svc:9090`;
    this.grafanaUrl = pulumi.interpolate`http://${cfg.releaseName}-grafana.${r.namespace}.svc:80`;
    this.alertmanagerUrl = pulumi.interpolate`http://${cfg.releaseName}-alertmanager.${r.namespace}.svc:9093`;
    this.registerOutputs({
      namespace: this.namespace,
      releaseName: this.releaseName,
      prometheusUrl: this.prometheusUrl,
      grafanaUrl: this.grafanaUrl,
      alertmanagerUrl: this.alertmanagerUrl,
      serviceMonitorLabels: this.serviceMonitorLabels,
    });
  }
}

function createMonitoring(name: string, parent: pulumi.Resource, cfg: z.output<typeof monitoringArgsSchema>, releaseLabels: Record<string, string>) {
  const child = { parent, provider: cfg.cluster.provider };
  const partOf = { "app.kubernetes.io/part-of": "pulumi-mlops", "app.kubernetes.io/managed-by": "pulumi" };
  let namespace: pulumi.Output<string> = pulumi.output(cfg.namespace);
  const deps: pulumi.Resource[] = [];
  if (cfg.createNamespace) {
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
      // node-exporter needs hostNetwork/hostPID/hostPath.
      metadata: { name: cfg.namespace, labels: { "pod-security.kubernetes.io/enforce": "privileged", ...partOf } },
    }, child);
    namespace = ns.metadata.name;
    deps.push(ns);
  }
  const inNs = { ...child, dependsOn: [...deps] };
  const managed = cfg.cluster.managedControlPlane === true;
  const rootConfigName = `${name}-routing`;

  let adminSecret: pulumi.Input<string> | undefined = cfg.grafanaAdminSecretName;
  if (adminSecret === undefined) {
    // Generated once; ignoreChanges keeps the first password instead of rotating it on every run.
    const secret = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
      metadata: { name: `${name}-grafana-admin`, namespace, labels: partOf },
      type: "Opaque",
      stringData: { "admin-user": "admin", "admin-password": pulumi.secret(randomBytes(24).toString("base64url")) },
    }, { ...inNs, ignoreChanges: ["stringData", "data"], additionalSecretOutputs: ["stringData", "data"] });
    adminSecret = secret.metadata.name;
    deps.push(secret);
  }

  const chart = new k8s.helm.v4.Chart(`${name}-kube-prometheus-stack`, {
    chart: MONITORING_CHART.chart,
    version: MONITORING_CHART.version,
    repositoryOpts: { repo: MONITORING_CHART.repo },
    name: cfg.releaseName,
    namespace,
    values: {
      fullnameOverride: cfg.releaseName,
      prometheusOperator: {
        // The `<release>-admission` Secret is made only by hook Jobs (job-patch/job-createSecret.yaml), which helm.v4.Chart skips.
        admissionWebhooks: { enabled: false },
        tls: { enabled: false },
      },
      ...(managed ? MANAGED_CONTROL_PLANE_VALUES : {}),
      alertmanager: {
        alertmanagerSpec: {
          // The root of Alertmanager's config is this component's AlertmanagerConfig (no namespace matcher is forced
          // on it); every other AlertmanagerConfig (e.g. Retraining's webhook route) is merged in as a namespaced route.
          alertmanagerConfiguration: { name: rootConfigName },
          alertmanagerConfigSelector: { matchExpressions: [{ key: ROOT_LABEL_KEY, operator: "NotIn", values: [ROOT_LABEL_VALUE] }] },
        },
      },
      prometheus: {
        prometheusSpec: {
          // Select every ServiceMonitor/PodMonitor/PrometheusRule, not only those labelled release=<name>.
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          ruleSelectorNilUsesHelmValues: false,
          probeSelectorNilUsesHelmValues: false,
          retention: cfg.retention,
          resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
          storageSpec: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: cfg.storageSize } } } } },
        },
      },
      grafana: {
        fullnameOverride: `${cfg.releaseName}-grafana`,
        admin: { existingSecret: adminSecret, userKey: "admin-user", passwordKey: "admin-password" },
        sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
      },
    },
  }, { ...child, dependsOn: deps });

  const routing = rootAlertmanagerConfigSpec(cfg.alerting as AlertingArgs | undefined, `${name}-alerting`);
  if (routing.values.length > 0) {
    new k8s.core.v1.Secret(`${name}-alerting`, {
      metadata: { name: `${name}-alerting`, namespace, labels: partOf },
      type: "Opaque",
      stringData: Object.fromEntries(routing.values.map((v) => [v.key, pulumi.secret(v.value)])),
    }, { ...inNs, additionalSecretOutputs: ["stringData", "data"] });
  }
  if (cfg.alerting === undefined) {
    pulumi.log.warn("monitoring: no alert receivers are configured (monitoring.alerting), so every alert, MlopsHighErrorRate included, reaches nobody; set monitoring.alerting.receivers and defaultReceiver", parent);
  }
  new k8s.apiextensions.CustomResource(`${name}-alert-routing`, {
    apiVersion: "monitoring.coreos.com/v1alpha1",
    kind: "AlertmanagerConfig",
    metadata: { name: rootConfigName, namespace, labels: { ...ROOT_ALERTMANAGER_CONFIG_LABEL, ...releaseLabels, ...partOf } },
    spec: routing.spec,
  }, { ...child, dependsOn: [chart] });

  const gpu = cfg.gpu ?? cfg.cluster.gpu !== undefined;
  const groups = alertRuleGroups(cfg.alerts).filter((g) => gpu || g.name !== "mlops.gpu");
  new k8s.apiextensions.CustomResource(`${name}-rules`, {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `${name}-mlops-rules`, namespace, labels: { ...releaseLabels, ...partOf } },
    spec: { groups },
  }, { ...child, dependsOn: [chart] });

  for (const spec of DASHBOARD_SPECS) {
    if (spec === gpuDashboard && !gpu) continue;
    new k8s.core.v1.ConfigMap(`${name}-dashboard-${spec.uid}`, {
      metadata: { name: `${name}-dashboard-${spec.uid}`, namespace, labels: { ...GRAFANA_DASHBOARD_LABEL, ...partOf } },
      data: { [`${spec.uid}.json`]: JSON.stringify(buildDashboard(spec)) },
    }, inNs);
  }

  return { namespace };
}
