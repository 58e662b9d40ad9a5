import { randomBytes } from "node:crypto";
import { BatchV1Api, type KubeConfig, type V1Job } from "@kubernetes/client-node";
import { MODEL_LABEL, asNewJob, defaultKubeConfig, inClusterNamespace } from "../controller/kubernetes-job-executor.ts";
import type { TrialExecutor, TrialRunOutcome, TrialTarget } from "./trial-executor.ts";

/** Label carrying the search id on every tuning Job. */
export const SEARCH_LABEL = "mlops.dev/tuning-search";

/** Options of {@link KubernetesTrialExecutor}. */
export interface KubernetesTrialExecutorOptions {
  /**
   * The same batch/v1 Job template the retraining controller uses (the Retraining component's
   * ConfigMap): its first container's `args` become `tune-trial ... --trials <n,...>`; image,
   * resources, tolerations, ServiceAccount and volumes are kept.
   */
  template: V1Job;
  /** Pods at once (the Job's parallelism); also the trials per Job. */
  workers: number;
  /** @default - the template's namespace, else the in-cluster namespace, else "default" */
  namespace?: string;
  /** @default - in a pod the service account, elsewhere KUBECONFIG / ~/.kube/config */
  kubeConfig?: KubeConfig;
  /** Milliseconds between status checks. @default 2000 */
  pollIntervalMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Trials as a Kubernetes Indexed Job (completionMode Indexed): one Job per batch of trials, one
 * trial per completion index — the pod's `JOB_COMPLETION_INDEX`, which Kubernetes sets, picks its
 * trial from `--trials` — with `parallelism` pods at once. Pods write their results to the
 * registry (an object store they reach with the runtime's workload identity); the executor only
 * waits for the Job's Complete or Failed condition and reads which indexes failed
 * (`status.failedIndexes`). On abort the Job is deleted, pods included.
 */
export class KubernetesTrialExecutor implements TrialExecutor {
  readonly kind = "kubernetes";
  readonly trialsPerRun: number;
  readonly concurrentRuns = 1;
  readonly #template: V1Job;
  readonly #namespace: string;
  readonly #batch: BatchV1Api;
  readonly #pollIntervalMs: number;

  constructor(options: KubernetesTrialExecutorOptions) {
    this.#template = options.template;
    this.trialsPerRun = options.workers;
    this.#namespace = options.namespace ?? options.template.metadata?.namespace ?? inClusterNamespace() ?? "default";
    this.#batch = (options.kubeConfig ?? defaultKubeConfig()).makeApiClient(BatchV1Api);
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
  }

  /** The Indexed Job for `trials` (not created). */
  jobFor(target: TrialTarget, trials: number[]): V1Job {
    const t = structuredClone(this.#template);
    const first = t.spec?.template?.spec?.containers?.[0];
    if (!t.spec?.template?.spec || !first) throw new Error("the Job template has no spec.template.spec.containers[0]");
    const label = (v: string) => v.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").slice(0, 63).replace(/[^a-z0-9]+$/, "");
    const base = `tune-${label(target.model)}`.slice(0, 50).replace(/-+$/, "");
    const name = `${base}-${randomBytes(4).toString("hex")}`;
    const labels = { ...t.metadata?.labels, [MODEL_LABEL]: label(target.model), [SEARCH_LABEL]: label(target.searchId) };
    first.args = ["tune-trial", "--registry", target.registry, "--model", target.model, "--search", target.searchId, "--trials", trials.join(",")];
    t.spec.template.spec.restartPolicy = "Never";
    t.spec.template.metadata = { ...t.spec.template.metadata, labels: { ...t.spec.template.metadata?.labels, [MODEL_LABEL]: labels[MODEL_LABEL], [SEARCH_LABEL]: labels[SEARCH_LABEL] } };
    t.spec.completionMode = "Indexed";
    t.spec.completions = trials.length;
    t.spec.parallelism = Math.min(trials.length, this.trialsPerRun);
    // A trial records its own failures; a pod that died (OOM, node loss) is retried once per index.
    t.spec.backoffLimitPerIndex = 1;
    delete t.spec.backoffLimit;
    return asNewJob(t, name, this.#namespace, labels);
  }

  async run(target: TrialTarget, trials: number[], signal: AbortSignal): Promise<TrialRunOutcome> {
    const crashed = new Map<number, string>();
    if (signal.aborted) return { crashed };
    const body = this.jobFor(target, trials);
    const name = body.metadata!.name!;
    const namespace = this.#namespace;
    try {
      await this.#batch.createNamespacedJob({ namespace, body });
    } catch (err) {
      for (const n of trials) crashed.set(n, `could not create Job ${namespace}/${name}: ${(err as Error).message}`);
      return { crashed };
    }
    for (;;) {
      if (signal.aborted) {
        await this.#batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" }).catch(() => undefined);
        return { crashed };
      }
      let job: V1Job;
      try {
        job = await this.#batch.readNamespacedJob({ name, namespace });
      } catch (err) {
        for (const n of trials) crashed.set(n, `lost Job ${namespace}/${name}: ${(err as Error).message}`);
        return { crashed };
      }
      const done = (job.status?.conditions ?? []).find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
      if (done) {
        for (const index of parseIndexes(job.status?.failedIndexes ?? "")) {
          const n = trials[index];
          if (n !== undefined) crashed.set(n, `index ${index} of Job ${namespace}/${name} failed${done.type === "Failed" && done.reason ? ` (${done.reason})` : ""}`);
        }
        return { crashed };
      }
      await sleep(this.#pollIntervalMs, signal);
    }
  }
}

/** Expands a Job's `failedIndexes` ("1,3-5") to index numbers. */
export function parseIndexes(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
}
