import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/** A Kubernetes object read back from `<out>/manifests`. */
export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** One resource of resources.json. */
export interface ResourceRecord {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

/** Reads what `pulumi-mlops synth` wrote to `dir`. */
export function readSynthOutput(dir: string): { resources: ResourceRecord[]; manifests: Manifest[] } {
  const resources = JSON.parse(readFileSync(path.join(dir, "resources.json"), "utf8")) as ResourceRecord[];
  const manifests = readdirSync(path.join(dir, "manifests"))
    .sort()
    .map((file) => ({ ...(parse(readFileSync(path.join(dir, "manifests", file), "utf8")) as Manifest), file }));
  return { resources, manifests };
}

/** Job objects shipped inside ConfigMaps as JSON (the Retraining component's training Job template). */
export function embeddedJobs(manifests: Manifest[]): Manifest[] {
  const out: Manifest[] = [];
  for (const m of manifests.filter((x) => x.kind === "ConfigMap")) {
    for (const [key, value] of Object.entries((m.data ?? {}) as Record<string, string>)) {
      if (!key.endsWith(".json")) continue;
      const doc = JSON.parse(value) as Partial<Manifest>;
      if (doc.kind === "Job") out.push({ ...(doc as Manifest), metadata: { name: `${m.metadata.name}/${key}`, ...doc.metadata }, file: `${m.file}#${key}` });
    }
  }
  return out;
}

/** A pod template spec found in a workload object, with where it came from. */
export interface PodSpecAt {
  where: string;
  spec: {
    containers: Container[];
    initContainers?: Container[];
    tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
    nodeSelector?: Record<string, string>;
    affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] } } };
    securityContext?: Record<string, unknown>;
    serviceAccountName?: string;
  };
  labels: Record<string, string>;
  namespace: string | undefined;
}

/** A container of a pod spec. */
export interface Container {
  name: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
}

/** Every pod spec of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Pods. */
export function podSpecs(manifests: Manifest[]): PodSpecAt[] {
  const out: PodSpecAt[] = [];
  for (const m of manifests) {
    const spec = m.spec as Record<string, any> | undefined;
    let template: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecAt["spec"] } | undefined;
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(m.kind)) template = spec?.template;
    else if (m.kind === "CronJob") template = spec?.jobTemplate?.spec?.template;
    else if (m.kind === "Pod") template = { metadata: m.metadata, spec: spec as PodSpecAt["spec"] };
    if (template?.spec) out.push({ where: `${m.kind} ${m.metadata.name} (${m.file})`, spec: template.spec, labels: template.metadata?.labels ?? {}, namespace: m.metadata.namespace });
  }
  return out;
}

/** Validates a Kubernetes object against its OpenAPI schema with kubernetes-models (built-in kinds) or @kubernetes-models/prometheus-operator (monitoring.coreos.com). */
export async function validateManifest(m: Manifest): Promise<void> {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  const specifier = group === "monitoring.coreos.com" ? `@kubernetes-models/prometheus-operator/${group}/${version}` : group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  const mod = (await import(specifier)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Kind = mod[m.kind];
  if (!Kind) throw new Error(`${m.file}: no schema for ${m.apiVersion} ${m.kind} in ${specifier}`);
  const { file: _file, ...object } = m;
  new Kind(object).validate();
}

/** Whether a label selector (matchLabels only, or a plain map) selects the labels. */
export function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const match = ("matchLabels" in selector || "matchExpressions" in selector ? (selector as { matchLabels?: Record<string, string> }).matchLabels : selector) as Record<string, string> | undefined;
  return Object.entries(match ?? {}).every(([k, v]) => labels[k] === v);
}
