import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type ControllerPolicyInput, controllerPolicy, modelName, RUNTIME_ENV, RUNTIME_PORTS } from "@pulumi-mlops/contract";
import { retrainTriggerAlerts } from "./alert-rules.ts";
import type { ClusterHandle } from "./cluster-handle.ts";
import { runtimeLabels, selectorLabels } from "./labels.ts";
import { ALWAYS_REFINE, clusterHandle, containerResources, type ContainerResourcesInput, inputString, parseArgs } from "./runtime-workload-args.ts";
import { createRuntimeServiceAccount, runtimePodLabels, runtimePodSpec } from "./runtime-workload.ts";

/** Port of the controller's Alertmanager webhook. */
export const ALERT_WEBHOOK_PORT = RUNTIME_PORTS.alertWebhook;
/** Path of the controller's Alertmanager webhook. */
export const ALERT_WEBHOOK_PATH = "/alerts";
/** Alerts (from the Monitoring component's rules) that wake the controller: every rule labelled `mlops_trigger: retrain`. */
export const RETRAIN_ALERTS_REGEX = retrainTriggerAlerts().join("|");

const CONFIG_DIR = "/etc/mlops";
const WORK_MOUNT = "/var/lib/mlops/work";

/** Arguments for {@link Retraining}. */
export interface RetrainingArgs {
  /** The cluster to deploy onto. */
  cluster: ClusterHandle;
  /** Kubernetes namespace of the controller and its training Jobs. */
  namespace: pulumi.Input<string>;
  /** Runtime image reference (controller and training Jobs). */
  image: pulumi.Input<string>;
  /**
   * The controller policy (`mlops controller --policy`; only `model` is required), written to a ConfigMap
   * as /etc/mlops/policy.json. Its `executor.kind` decides where training runs: "kubernetes" (a
   * Job per run from the training Job template, on GPU nodes when `training.trainOnGpu`) or "local"
   * (in the controller's own pod).
   * @default - `executor.kind: "kubernetes"` when the policy does not say
   */
  policy: ControllerPolicyInput;
  /** CPU and memory of the controller pod; each field defaults on its own. @default { cpuRequest: "250m", memoryRequest: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" } */
  resources?: ContainerResourcesInput;
  /** The training Job template the Kubernetes Job executor uses. */
  training?: {
    /** Train on a GPU: requests the GPU resource and tolerates the GPU nodes' taints. @default false */
    trainOnGpu?: boolean;
    /** GPUs per training Job when `trainOnGpu`. @default 1 */
    gpus?: number;
    /** CPU and memory of a training pod. @default { cpuRequest: "1", memoryRequest: "2Gi", cpuLimit: "2", memoryLimit: "4Gi" } */
    resources?: ContainerResourcesInput;
    /** A Job running longer than this is killed. @default 3600 */
    activeDeadlineSeconds?: number;
    /** Pod retries before a Job fails. @default 1 */
    backoffLimit?: number;
    /** Finished Jobs are garbage-collected after this long. @default 86400 */
    ttlSecondsAfterFinished?: number;
  };
  /** Cron schedule (5 fields, e.g. "0 3 * * 0") of a CronJob running `mlops controller --once`. @default - no scheduled retraining */
  schedule?: string;
  /**
   * A claim mounted in the controller and its training Jobs at /var/lib/mlops/work, for the
   * controller's run logs. Not needed for training: each run's data and config are staged in the
   * model store, which Jobs read with the runtime's workload identity.
   * @default - a `controller-work` directory on the model store's claim (PVC stores); bucket stores: the pod's /tmp
   */
  workVolume?: { claimName: pulumi.Input<string> };
  /** Monitoring stack: its namespace alone may reach the alert webhook; the AlertmanagerConfig routing drift alerts is created. @default - no webhook route */
  monitoring?: { namespace: pulumi.Input<string>; serviceMonitorLabels?: Record<string, string> };
}

const cron = z.string().regex(/^\s*(\S+\s+){4}\S+\s*$|^@(yearly|annually|monthly|weekly|daily|hourly)$/, 'must be a 5-field cron expression like "0 3 * * 0"');

/** Schema of the plain-data part of {@link RetrainingArgs} (what a stack config can carry), with the defaults. */
export const retrainingOptions = z
  .object({
    // Checked against the runtime's own policy schema now, not when the controller pod starts.
    // Typed as the policy as written (so editors show its fields and docs); passed on as given.
    policy: z
      .looseObject({ model: modelName })
      .superRefine((p, ctx) => {
        const r = controllerPolicy.safeParse(p);
        for (const i of r.error?.issues ?? []) if (i.path[0] !== "model") ctx.addIssue({ code: "custom", path: i.path, message: i.message });
      }) as unknown as z.ZodType<ControllerPolicyInput, ControllerPolicyInput>,
    resources: containerResources.prefault({}),
    training: z
      .object({
        trainOnGpu: z.boolean().default(false),
        gpus: z.number().int().min(1).default(1),
        resources: containerResources.prefault({ cpuRequest: "1", memoryRequest: "2Gi", cpuLimit: "2", memoryLimit: "4Gi" }),
        activeDeadlineSeconds: z.number().int().min(1).default(3600),
        backoffLimit: z.number().int().min(0).max(10).default(1),
        ttlSecondsAfterFinished: z.number().int().min(0).default(86_400),
      })
      .strict()
      .prefault({}),
    schedule: cron.optional(),
    // A stack's YAML names an existing claim; programs may pass an Output too (see retrainingArgs).
    workVolume: z.object({ claimName: z.string().min(1) }).strict().optional(),
  })
  .strict();

/** Schema of {@link RetrainingArgs}, with the defaults. */
export const retrainingArgs = retrainingOptions
  .extend({
    cluster: clusterHandle,
    namespace: inputString,
    image: inputString,
    monitoring: z.object({ namespace: inputString, serviceMonitorLabels: z.record(z.string(), z.string()).default({}) }).strict().optional(),
    workVolume: z.object({ claimName: inputString }).strict().optional(),
  })
  .superRefine((a, ctx) => {
    if (a.training?.trainOnGpu === true && a.cluster?.gpu === undefined) ctx.addIssue({ code: "custom", path: ["training", "trainOnGpu"], message: "the cluster has no GPU nodes (ClusterHandle.gpu is undefined)" });
    if (a.training?.trainOnGpu === true && (a.policy?.executor as { kind?: unknown } | undefined)?.kind === "local") {
      ctx.addIssue({ code: "custom", path: ["policy", "executor", "kind"], message: 'trainOnGpu needs executor.kind "kubernetes": "local" trains in the controller\'s own CPU pod' });
    }
  }, ALWAYS_REFINE);

type Config = z.output<typeof retrainingArgs>;

/**
 * The runtime in controller mode: a single-replica Deployment with its policy, namespaced RBAC
 * limited to Jobs and pod logs, the training Job template, an optional CronJob and the
 * Alertmanager webhook route that lets drift alerts wake it.
 */
export class Retraining extends pulumi.ComponentResource {
  /** Namespace of the controller and its Jobs. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the ServiceAccount the controller (and the CronJob) runs as. */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** Name of the ConfigMap holding the training Job template (`job-template.json`). */
  public readonly jobTemplateConfigMap: pulumi.Output<string>;
  /** Cluster-internal URL of the controller's Alertmanager webhook. */
  public readonly webhookUrl: pulumi.Output<string>;
  /** Where training runs, as the policy's `executor.kind` says: "kubernetes" (Jobs from the template) or "local" (a child process in the controller's pod). */
  public readonly trainingExecutor: "kubernetes" | "local";

  constructor(name: string, args: RetrainingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:Retraining", name, {}, opts);
    const cfg = parseArgs("Retraining", retrainingArgs, args);
    const r = createRetraining(name, this, cfg);
    this.namespace = r.namespace;
    this.serviceAccountName = r.serviceAccountName;
    this.jobTemplateConfigMap = r.jobTemplateConfigMap;
    this.webhookUrl = r.webhookUrl;
    this.trainingExecutor = r.trainingExecutor;
    this.registerOutputs({ namespace: this.namespace, serviceAccountName: this.serviceAccountName, jobTemplateConfigMap: this.jobTemplateConfigMap, webhookUrl: this.webhookUrl, trainingExecutor: this.trainingExecutor });
  }
}

/** The controller's work directory and the volume that carries it (none for the PVC model store, which both mount already). */
function sharedWork(cfg: Config): { dir: string; volumes: NonNullable<Parameters<typeof runtimePodSpec>[0]["volumes"]> } | undefined {
  if (cfg.workVolume) {
    return { dir: WORK_MOUNT, volumes: [{ volume: { name: "work", persistentVolumeClaim: { claimName: cfg.workVolume.claimName } }, mount: { name: "work", mountPath: WORK_MOUNT } }] };
  }
  const store = cfg.cluster.modelStore;
  if (store.kind === "pvc") return { dir: `${store.mountPath}/controller-work`, volumes: [] };
  return undefined;
}

/** The batch/v1 Job the Kubernetes Job executor submits for one training run (its `mlops train` args are added per run). */
export function trainingJobTemplate(name: string, cfg: Config, serviceAccountName: pulumi.Input<string>): pulumi.Output<Record<string, unknown>> {
  const labels = runtimeLabels(name, "training");
  const t = cfg.training;
  const podSpec = runtimePodSpec({
    cluster: cfg.cluster,
    image: cfg.image,
    args: ["train"],
    resources: t.resources,
    gpus: t.trainOnGpu ? t.gpus : 0,
    serviceAccountName,
    volumes: sharedWork(cfg)?.volumes,
  });
  return pulumi.output({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { generateName: `${name}-train-`, namespace: cfg.namespace, labels },
    spec: {
      activeDeadlineSeconds: t.activeDeadlineSeconds,
      backoffLimit: t.backoffLimit,
      ttlSecondsAfterFinished: t.ttlSecondsAfterFinished,
      template: { metadata: { labels: runtimePodLabels(cfg.cluster, labels) }, spec: { ...podSpec, restartPolicy: "Never" } },
    },
  }) as unknown as pulumi.Output<Record<string, unknown>>;
}

function createRetraining(name: string, parent: pulumi.Resource, cfg: Config) {
  const opts: pulumi.CustomResourceOptions = { parent, provider: cfg.cluster.provider };
  const labels = runtimeLabels(name, "retraining-controller");
  const selector = selectorLabels(name, "retraining-controller");
  const ns = cfg.namespace;

  const sa = createRuntimeServiceAccount(`${name}-sa`, { cluster: cfg.cluster, role: "retraining", namespace: ns, labels }, opts);
  // Least privilege: the executor runs and watches training Jobs and reads their pods' logs. No
  // Secrets, no wildcards, nothing cluster-wide.
  const role = new k8s.rbac.v1.Role(
    `${name}-role`,
    {
      metadata: { namespace: ns, labels },
      rules: [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] },
      ],
    },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    `${name}-rolebinding`,
    {
      metadata: { namespace: ns, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
    },
    opts,
  );

  const executor = effectiveExecutorKind(cfg.policy);
  const policyJson = { ...cfg.policy, executor: { ...(cfg.policy.executor as Record<string, unknown> | undefined), kind: executor } };
  const policy = new k8s.core.v1.ConfigMap(`${name}-policy`, { metadata: { namespace: ns, labels }, data: { "policy.json": JSON.stringify(policyJson, null, 2) } }, opts);
  const jobTemplate = new k8s.core.v1.ConfigMap(
    `${name}-job-template`,
    { metadata: { namespace: ns, labels }, data: { "job-template.json": trainingJobTemplate(name, cfg, sa.metadata.name).apply((j) => JSON.stringify(j, null, 2)) } },
    opts,
  );

  const configVolumes = [
    { volume: { name: "policy", configMap: { name: policy.metadata.name } }, mount: { name: "policy", mountPath: `${CONFIG_DIR}/policy.json`, subPath: "policy.json", readOnly: true } },
    {
      volume: { name: "job-template", configMap: { name: jobTemplate.metadata.name } },
      mount: { name: "job-template", mountPath: `${CONFIG_DIR}/job-template.json`, subPath: "job-template.json", readOnly: true },
    },
  ];
  const work = sharedWork(cfg);
  const env = [
    { name: RUNTIME_ENV.jobTemplate, value: `${CONFIG_DIR}/job-template.json` },
    { name: RUNTIME_ENV.namespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: RUNTIME_ENV.alertWebhookPort, value: String(ALERT_WEBHOOK_PORT) },
  ];
  const controllerPod = (once: boolean) =>
    runtimePodSpec({
      cluster: cfg.cluster,
      image: cfg.image,
      args: ["controller", "--policy", `${CONFIG_DIR}/policy.json`, ...(work ? ["--work-dir", work.dir] : []), ...(once ? ["--once"] : [])],
      resources: cfg.resources,
      gpus: 0,
      serviceAccountName: sa.metadata.name,
      // The Job executor talks to the Kubernetes API.
      automountServiceAccountToken: true,
      env,
      volumes: [...configVolumes, ...(work?.volumes ?? [])],
      ports: once ? undefined : [{ name: "webhook", containerPort: ALERT_WEBHOOK_PORT, protocol: "TCP" }],
    });

  new k8s.apps.v1.Deployment(
    `${name}-controller`,
    {
      metadata: { namespace: ns, labels },
      spec: {
        // Two replicas: only the holder of the model's lease in the registry acts, the other stands
        // by and takes over within leadership.leaseSeconds when its pod is lost or drained; the two
        // may overlap during a rollout.
        replicas: 2,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        selector: { matchLabels: selector },
        template: { metadata: { labels: runtimePodLabels(cfg.cluster, labels) }, spec: controllerPod(false) },
      },
    },
    { ...opts, dependsOn: [sa] },
  );

  if (cfg.schedule !== undefined) {
    const cronLabels = { ...labels, "app.kubernetes.io/component": "retraining-schedule" };
    new k8s.batch.v1.CronJob(
      `${name}-schedule`,
      {
        metadata: { namespace: ns, labels: cronLabels },
        spec: {
          schedule: cfg.schedule,
          concurrencyPolicy: "Forbid",
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: cfg.training.backoffLimit,
              activeDeadlineSeconds: cfg.training.activeDeadlineSeconds,
              ttlSecondsAfterFinished: cfg.training.ttlSecondsAfterFinished,
              template: { metadata: { labels: runtimePodLabels(cfg.cluster, cronLabels) }, spec: { ...controllerPod(true), restartPolicy: "Never" } },
            },
          },
        },
      },
      opts,
    );
  }

  const webhookService = new k8s.core.v1.Service(
    `${name}-webhook`,
    {
      // A fixed name: the AlertmanagerConfig points at it.
      metadata: { name: `${name}-webhook`, namespace: ns, labels },
      spec: { type: "ClusterIP", selector, ports: [{ name: "webhook", port: ALERT_WEBHOOK_PORT, targetPort: "webhook", protocol: "TCP" }] },
    },
    opts,
  );
  const webhookUrl = pulumi.interpolate`http://${webhookService.metadata.name}.${ns}.svc.cluster.local:${ALERT_WEBHOOK_PORT}${ALERT_WEBHOOK_PATH}`;

  // Only Alertmanager (the monitoring namespace) may reach the webhook; without monitoring, nobody.
  new k8s.networking.v1.NetworkPolicy(
    `${name}-netpol`,
    {
      metadata: { namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: cfg.monitoring
          ? [
              {
                from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [cfg.monitoring.namespace] }] } }],
                ports: [{ protocol: "TCP", port: ALERT_WEBHOOK_PORT }],
              },
            ]
          : [],
      },
    },
    opts,
  );

  if (cfg.monitoring) {
    new k8s.apiextensions.CustomResource(
      `${name}-alert-route`,
      {
        apiVersion: "monitoring.coreos.com/v1alpha1",
        kind: "AlertmanagerConfig",
        metadata: { namespace: ns, labels: { ...labels, ...cfg.monitoring.serviceMonitorLabels } },
        spec: {
          route: {
            receiver: "mlops-controller",
            matchers: [{ name: "alertname", matchType: "=~", value: RETRAIN_ALERTS_REGEX }],
            groupBy: ["alertname", "model"],
            groupWait: "30s",
            groupInterval: "5m",
            repeatInterval: "1h",
          },
          receivers: [{ name: "mlops-controller", webhookConfigs: [{ url: webhookUrl, sendResolved: true }] }],
        },
      },
      opts,
    );
  }

  return {
    namespace: pulumi.output(ns),
    serviceAccountName: sa.metadata.name,
    jobTemplateConfigMap: jobTemplate.metadata.name,
    webhookUrl,
    trainingExecutor: executor,
  };
}

/** The policy's `executor.kind`, "kubernetes" when it does not say (the controller runs in a cluster, so Jobs are the default). */
function effectiveExecutorKind(policy: Record<string, unknown>): "kubernetes" | "local" {
  const kind = (policy.executor as { kind?: unknown } | undefined)?.kind;
  return kind === "local" ? "local" : "kubernetes";
}
