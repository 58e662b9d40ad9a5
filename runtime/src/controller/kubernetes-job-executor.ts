import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from "@kubernetes/client-node";
import { mlopsError } from "../errors.ts";
import type { TrainingExecutor, TrainingJob, TrainingResult } from "./training-executor.ts";

/** Label carrying the model name on every training Job the executor creates. */
export const MODEL_LABEL = "mlops.dev/model";

/** Options of {@link KubernetesJobExecutor}. */
export interface KubernetesJobExecutorOptions {
  /**
   * The training Job template: a batch/v1 Job object (the Retraining component ships it as JSON in a
   * ConfigMap) whose first container runs the runtime image; its `command` is kept (absent: the
   * image's entrypoint, `mlops`), its `args` are replaced by `train --data ... --config ... --model ... --registry
   * ... --parent ...`. Resources (the GPU request), tolerations, node selector, ServiceAccount
   * (the runtime's workload identity), volumes, backoffLimit and ttlSecondsAfterFinished come from
   * it as they are. The job's data and config are URLs in the model store, which the pod reads with
   * that identity: no volume is shared with the controller.
   */
  template: V1Job;
  /** Namespace the Jobs run in. @default - the template's metadata.namespace, else the in-cluster namespace, else "default" */
  namespace?: string;
  /** Cluster access. @default - in a pod the service account (loadFromCluster), elsewhere KUBECONFIG / ~/.kube/config */
  kubeConfig?: KubeConfig;
  /** Milliseconds between status checks. @default 2000 */
  pollIntervalMs?: number;
  /** Lines of the pod's log kept as the log tail. @default 50 */
  tailLines?: number;
}

/**
 * Makes a (copied) template a Job to create: batch/v1 Job, `name` in `namespace` with `labels`,
 * and none of the server-set fields (generateName, resourceVersion, uid, status) a template read
 * back from a cluster may carry.
 */
export function asNewJob(t: V1Job, name: string, namespace: string, labels: Record<string, string>): V1Job {
  t.apiVersion = "batch/v1";
  t.kind = "Job";
  const { generateName: _g, resourceVersion: _r, uid: _u, ...metadata } = t.metadata ?? {};
  t.metadata = { ...metadata, name, namespace, labels };
  delete t.status;
  return t;
}

/** Reads a Job template from a JSON file (the mounted ConfigMap). */
export function loadJobTemplate(file: string): V1Job {
  return JSON.parse(readFileSync(file, "utf8")) as V1Job;
}

/** Cluster access: the pod's service account in a cluster, else KUBECONFIG / ~/.kube/config. */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** The namespace of the pod this runs in, if it runs in one. */
export function inClusterNamespace(): string | undefined {
  try {
    return readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A DNS-1123 Job name from the model: `train-<model>-<random>`, at most 63 characters. */
function jobName(model: string): string {
  const base = `train-${model.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 50).replace(/-+$/, "");
  return `${base}-${randomBytes(4).toString("hex")}`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Trains in a Kubernetes Job: creates it from the template, polls its status until it has a
 * Complete or Failed condition, reads the last lines of its newest pod's log and parses
 * `registered <model> version <n>` from it. Past `timeoutSeconds` (also set as the Job's
 * activeDeadlineSeconds unless the template sets a shorter one), or when the signal aborts, the
 * Job is deleted with propagationPolicy Background (its pods go too). The controller's
 * ServiceAccount needs create/get/delete on jobs and list on pods, get on pods/log, in the namespace.
 */
export class KubernetesJobExecutor implements TrainingExecutor {
  readonly kind = "kubernetes";
  readonly #template: V1Job;
  readonly #namespace: string;
  readonly #batch: BatchV1Api;
  readonly #core: CoreV1Api;
  readonly #pollIntervalMs: number;
  readonly #tailLines: number;

  constructor(options: KubernetesJobExecutorOptions) {
    const kc = options.kubeConfig ?? defaultKubeConfig();
    this.#template = options.template;
    this.#namespace = options.namespace ?? options.template.metadata?.namespace ?? inClusterNamespace() ?? "default";
    this.#batch = kc.makeApiClient(BatchV1Api);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.#tailLines = options.tailLines ?? 50;
  }

  /** The Job object for `job` (not created). */
  jobFor(job: TrainingJob): V1Job {
    const t = structuredClone(this.#template);
    const containers = t.spec?.template?.spec?.containers ?? [];
    const first = containers[0];
    if (!t.spec?.template?.spec || !first) throw new Error("the Job template has no spec.template.spec.containers[0]");
    const name = jobName(job.model);
    const labels = { ...t.metadata?.labels, [MODEL_LABEL]: job.model.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").slice(0, 63) };
    first.args = ["train", "--data", job.dataPath, "--config", job.configPath, "--model", job.model, "--registry", job.registry, "--parent", String(job.parent)];
    t.spec.template.spec.restartPolicy ??= "Never";
    t.spec.template.metadata = { ...t.spec.template.metadata, labels: { ...t.spec.template.metadata?.labels, [MODEL_LABEL]: labels[MODEL_LABEL] } };
    t.spec.activeDeadlineSeconds = Math.min(t.spec.activeDeadlineSeconds ?? Infinity, Math.ceil(job.timeoutSeconds));
    return asNewJob(t, name, this.#namespace, labels);
  }

  /** Runs `job`; see {@link TrainingExecutor.run}. */
  async run(job: TrainingJob, signal: AbortSignal): Promise<TrainingResult> {
    if (signal.aborted) throw signal.reason;
    const body = this.jobFor(job);
    const name = body.metadata!.name!;
    const namespace = this.#namespace;
    const fail = (reason: string, logTail: string) => mlopsError("MLOPS_ERR_CONTROLLER_TRAINING_FAILED", { model: job.model, reason, logTail });
    try {
      await this.#batch.createNamespacedJob({ namespace, body });
    } catch (err) {
      throw fail(`could not create Job ${namespace}/${name}: ${(err as Error).message}`, "");
    }
    const deadline = Date.now() + job.timeoutSeconds * 1000;
    let outcome: "complete" | "failed" | "timeout" | "abort";
    let failedReason = "";
    for (;;) {
      if (signal.aborted) {
        outcome = "abort";
        break;
      }
      if (Date.now() >= deadline) {
        outcome = "timeout";
        break;
      }
      const current = await this.#batch.readNamespacedJob({ name, namespace });
      const conditions = current.status?.conditions ?? [];
      const done = conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
      if (done) {
        outcome = done.type === "Complete" ? "complete" : "failed";
        failedReason = [done.reason, done.message].filter(Boolean).join(": ");
        break;
      }
      await sleep(Math.min(this.#pollIntervalMs, Math.max(0, deadline - Date.now())), signal);
    }
    const logTail = await this.#logTail(name);
    if (outcome === "abort" || outcome === "timeout") {
      await this.#delete(name);
      if (outcome === "abort") throw signal.reason;
      throw fail(`timed out after ${job.timeoutSeconds} s; Job ${namespace}/${name} was deleted`, logTail);
    }
    if (outcome === "failed") throw fail(`Job ${namespace}/${name} failed${failedReason ? ` (${failedReason})` : ""}`, logTail);
    const m = /^registered (\S+) version (\d+)/m.exec(logTail);
    if (!m || m[1] !== job.model) throw fail(`Job ${namespace}/${name} finished without reporting a registered version of ${job.model}`, logTail);
    return { version: Number(m[2]), logTail };
  }

  async #logTail(jobName: string): Promise<string> {
    try {
      const pods = await this.#core.listNamespacedPod({ namespace: this.#namespace, labelSelector: `job-name=${jobName}` });
      const newest = [...pods.items].sort((a, b) => String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? ""))).at(-1);
      if (!newest?.metadata?.name) return "";
      const log = await this.#core.readNamespacedPodLog({ name: newest.metadata.name, namespace: this.#namespace, tailLines: this.#tailLines });
      return String(log).trim();
    } catch {
      return "";
    }
  }

  async #delete(name: string): Promise<void> {
    try {
      await this.#batch.deleteNamespacedJob({ name, namespace: this.#namespace, propagationPolicy: "Background" });
    } catch {
      // Already gone (TTL or someone else); nothing to clean up.
    }
  }
}
