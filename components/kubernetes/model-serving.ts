import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ClusterHandle } from "./cluster-handle.ts";
import { runtimeLabels, selectorLabels } from "./labels.ts";
import { ALWAYS_REFINE, clusterHandle, containerResources, type ContainerResourcesInput, inputString, parseArgs } from "./runtime-workload-args.ts";
import { createRuntimeServiceAccount, runtimePodLabels, runtimePodSpec } from "./runtime-workload.ts";
import { RUNTIME_PORTS } from "@pulumi-mlops/contract";

/** Port the runtime's server listens on (TF Serving REST, Open Inference Protocol v2, /metrics). */
export const SERVING_PORT: number = RUNTIME_PORTS.rest;
/** gRPC port of TF Serving's PredictionService/ModelService (TF Serving's default). */
export const GRPC_PORT: number = RUNTIME_PORTS.tfServingGrpc;
/** gRPC port of the Open Inference Protocol's GRPCInferenceService (Triton's default). */
export const INFERENCE_GRPC_PORT: number = RUNTIME_PORTS.inferenceGrpc;

/** Arguments for {@link ModelServing}. */
export interface ModelServingArgs {
  /** The cluster to deploy onto. */
  cluster: ClusterHandle;
  /** Kubernetes namespace to deploy into. */
  namespace: pulumi.Input<string>;
  /** Runtime image reference. */
  image: pulumi.Input<string>;
  /** Replicas when idle (the autoscaler's floor; > 1 on a PVC model store needs ReadWriteMany across nodes). @default 2 */
  minReplicas?: number;
  /** Most replicas the autoscaler may run. @default 5 */
  maxReplicas?: number;
  /** Average CPU utilisation (% of requests) the autoscaler aims for; the cluster needs metrics-server. @default 70 */
  targetCpuUtilization?: number;
  /** CPU and memory per pod; each field defaults on its own. @default { cpuRequest: "250m", memoryRequest: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" } */
  resources?: ContainerResourcesInput;
  /** GPUs per pod (needs ClusterHandle.gpu). @default 0 */
  gpus?: number;
  /** Namespaces (besides the monitoring one) whose pods may call the endpoint. @default [] - only the serving namespace itself */
  allowedNamespaces?: pulumi.Input<string>[];
  /** Monitoring stack: its namespace may scrape /metrics, and its ServiceMonitor release label is set. @default - no ServiceMonitor, no scrape access */
  monitoring?: { namespace: pulumi.Input<string>; serviceMonitorLabels: Record<string, string> };
  /** Serve the read-only registry console under /ui/ on the serving port (`mlops serve --ui`); whoever reaches the endpoint sees every model's lineage and history. @default false */
  console?: boolean;
  /** The platform profile, passed to the servers as MLOPS_PROFILE (MlopsPlatform sets it from its `profile`). @default "dev" */
  profile?: "dev" | "production";
  /** Allow `console` in the production profile (refused otherwise, at preview and by the server). @default false */
  consoleInProduction?: boolean;
  /** Expose the endpoint outside the cluster through an Ingress (opt-in). @default - no Ingress */
  ingress?: {
    /** IngressClass (e.g. "nginx", "traefik"). */
    className: string;
    /** Host name the endpoint answers on. */
    host: string;
    /** Secret with the TLS certificate for `host`. @default - plain HTTP */
    tlsSecretName?: string;
    /** Namespace the ingress controller runs in; the NetworkPolicy lets it reach the pods (e.g. "ingress-nginx", "kube-system" for k3s Traefik). */
    controllerNamespace: string;
    /** Annotations on the Ingress (e.g. cert-manager). @default {} */
    annotations?: Record<string, string>;
  };
}

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a DNS name");

/** Schema of the plain-data part of {@link ModelServingArgs} (what a stack config can carry), with the defaults. */
export const modelServingOptions = z
  .object({
    minReplicas: z.number().int().min(1).default(2),
    maxReplicas: z.number().int().min(1).default(5),
    targetCpuUtilization: z.number().int().min(1).max(100).default(70),
    resources: containerResources.prefault({}),
    gpus: z.number().int().min(0).default(0),
    allowedNamespaces: z.array(inputString).default([]),
    console: z.boolean().default(false),
    profile: z.enum(["dev", "production"]).default("dev"),
    consoleInProduction: z.boolean().default(false),
    ingress: z
      .object({ className: z.string().min(1), host: dnsName, controllerNamespace: z.string().min(1), tlsSecretName: z.string().min(1).optional(), annotations: z.record(z.string(), z.string()).default({}) })
      .strict()
      .optional(),
  })
  .strict();

/** Schema of {@link ModelServingArgs}, with the defaults. */
export const modelServingArgs = modelServingOptions
  .extend({
    cluster: clusterHandle,
    namespace: inputString,
    image: inputString,
    monitoring: z.object({ namespace: inputString, serviceMonitorLabels: z.record(z.string(), z.string()) }).strict().optional(),
  })
  .superRefine((a, ctx) => {
    if (typeof a.maxReplicas === "number" && typeof a.minReplicas === "number" && a.maxReplicas < a.minReplicas) ctx.addIssue({ code: "custom", path: ["maxReplicas"], message: `must be >= minReplicas (${a.minReplicas})` });
    if (a.console === true && a.profile === "production" && a.consoleInProduction !== true) {
      ctx.addIssue({ code: "custom", path: ["console"], message: "the console is off in the production profile (it shows every model's lineage, dataset locations and history to whoever reaches the endpoint); set consoleInProduction: true to serve it anyway" });
    }
    if (a.gpus > 0 && a.cluster?.gpu === undefined) ctx.addIssue({ code: "custom", path: ["gpus"], message: "the cluster has no GPU nodes (ClusterHandle.gpu is undefined)" });
  }, ALWAYS_REFINE);

type Config = z.output<typeof modelServingArgs>;

/**
 * Seconds a stopping server keeps accepting requests before it gets SIGTERM: the time for
 * kube-proxy and ingress controllers to drop it from their endpoints, so a rollout or scale-down
 * does not refuse the connections still routed to it.
 */
export const SERVING_DRAIN_SECONDS = 5;

/** The runtime in serve mode: Deployment, Service, HPA, PDB, NetworkPolicy, ServiceMonitor, optional Ingress. */
export class ModelServing extends pulumi.ComponentResource {
  /** Cluster-internal URL of the inference endpoint (`http://<svc>.<ns>.svc.cluster.local:8501`). */
  public readonly url: pulumi.Output<string>;
  /** Name of the Service in front of the servers. */
  public readonly serviceName: pulumi.Output<string>;
  /** Namespace the servers run in. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the Deployment. */
  public readonly deploymentName: pulumi.Output<string>;

  constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:ModelServing", name, {}, opts);
    const cfg = parseArgs("ModelServing", modelServingArgs, args);
    const r = createModelServing(name, this, cfg);
    this.url = r.url;
    this.serviceName = r.serviceName;
    this.namespace = r.namespace;
    this.deploymentName = r.deploymentName;
    this.registerOutputs({ url: this.url, serviceName: this.serviceName, namespace: this.namespace, deploymentName: this.deploymentName });
  }
}

function createModelServing(name: string, parent: pulumi.Resource, cfg: Config) {
  const opts: pulumi.CustomResourceOptions = { parent, provider: cfg.cluster.provider };
  const labels = runtimeLabels(name, "serving");
  const selector = selectorLabels(name, "serving");
  const ns = cfg.namespace;

  const sa = createRuntimeServiceAccount(`${name}-sa`, { cluster: cfg.cluster, role: "serving", namespace: ns, labels }, opts);
  const httpGet = (path: string) => ({ path, port: "http" });
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      metadata: { namespace: ns, labels },
      spec: {
        // No `replicas`: the HPA owns the count. Setting it would scale a loaded service back to
        // minReplicas on every `pulumi up` (Kubernetes' "migrating to horizontal autoscaling").
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: runtimePodLabels(cfg.cluster, labels) },
          spec: {
            ...runtimePodSpec({
              cluster: cfg.cluster,
              image: cfg.image,
              args: [
                "serve", "--host", "0.0.0.0", "--port", String(SERVING_PORT), "--grpc-port", String(GRPC_PORT), "--inference-grpc-port", String(INFERENCE_GRPC_PORT),
                ...(cfg.console ? ["--ui"] : []),
                ...(cfg.console && cfg.consoleInProduction ? ["--ui-in-production"] : []),
              ],
              env: [{ name: "MLOPS_PROFILE", value: cfg.profile }],
              resources: cfg.resources,
              gpus: cfg.gpus,
              serviceAccountName: sa.metadata.name,
              ports: [
                { name: "http", containerPort: SERVING_PORT, protocol: "TCP" },
                { name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" },
                { name: "grpc-inference", containerPort: INFERENCE_GRPC_PORT, protocol: "TCP" },
              ],
              probes: {
                // Loading the models (and the tfjs backend) can take a while; the startup probe holds
                // the others off for up to 5 minutes. Inference shares the event loop with the probes,
                // so a busy, CPU-throttled server answers them late: timeouts above the 1 s default keep
                // the kubelet from restarting a server that is merely loaded.
                startupProbe: { httpGet: httpGet("/v2/health/ready"), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 },
                readinessProbe: { httpGet: httpGet("/v2/health/ready"), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
                livenessProbe: { httpGet: httpGet("/v2/health/live"), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
              },
              lifecycle: { preStop: { sleep: { seconds: SERVING_DRAIN_SECONDS } } },
            }),
            topologySpreadConstraints:
              cfg.minReplicas > 1 ? [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }] : undefined,
          },
        },
      },
    },
    { ...opts, dependsOn: [sa] },
  );

  const service = new k8s.core.v1.Service(
    `${name}-service`,
    {
      // A fixed name: clients configure the endpoint URL.
      metadata: { name, namespace: ns, labels },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [
          { name: "http", port: SERVING_PORT, targetPort: "http", protocol: "TCP" },
          // Plain-text HTTP/2 (h2c): gateways and meshes route gRPC on these by appProtocol.
          { name: "grpc", port: GRPC_PORT, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
          { name: "grpc-inference", port: INFERENCE_GRPC_PORT, targetPort: "grpc-inference", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
        ],
      },
    },
    opts,
  );

  const metrics: k8s.types.input.autoscaling.v2.MetricSpec[] = [
    { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: cfg.targetCpuUtilization } } },
  ];
  new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    `${name}-hpa`,
    {
      metadata: { namespace: ns, labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: cfg.minReplicas,
        maxReplicas: cfg.maxReplicas,
        metrics,
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    },
    opts,
  );

  // Voluntary disruptions (node drains, upgrades) take one server at a time, whatever the HPA
  // scaled to, and never block a drain: one healthy server may go, and servers that are not ready
  // (a model that fails to load) may always go — with the default IfHealthyBudget they would block
  // every drain of their nodes.
  new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    { metadata: { namespace: ns, labels }, spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: selector } } },
    opts,
  );

  const sourceNamespaces: pulumi.Input<string>[] = [ns, ...cfg.allowedNamespaces];
  if (cfg.monitoring) sourceNamespaces.push(cfg.monitoring.namespace);
  if (cfg.ingress) sourceNamespaces.push(cfg.ingress.controllerNamespace);
  new k8s.networking.v1.NetworkPolicy(
    `${name}-netpol`,
    {
      metadata: { namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: sourceNamespaces }] } }],
            ports: [SERVING_PORT, GRPC_PORT, INFERENCE_GRPC_PORT].map((port) => ({ protocol: "TCP", port })),
          },
        ],
      },
    },
    opts,
  );

  if (cfg.monitoring) {
    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { namespace: ns, labels: { ...labels, ...cfg.monitoring.serviceMonitorLabels } },
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [ns] },
          endpoints: [{ port: "http", path: "/metrics", interval: "15s", scheme: "http" }],
        },
      },
      opts,
    );
  }

  if (cfg.ingress) {
    const ing = cfg.ingress;
    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: { namespace: ns, labels, annotations: ing.annotations },
        spec: {
          ingressClassName: ing.className,
          tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
          rules: [
            {
              host: ing.host,
              http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { number: SERVING_PORT } } } }] },
            },
          ],
        },
      },
      opts,
    );
  }

  const serviceName = service.metadata.name;
  const namespace = service.metadata.namespace;
  return {
    url: pulumi.interpolate`http://${serviceName}.${namespace}.svc.cluster.local:${SERVING_PORT}`,
    serviceName,
    namespace,
    deploymentName: deployment.metadata.name,
  };
}
