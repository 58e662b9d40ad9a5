import type { SynthResource } from "./synthesize.ts";

/** A Kubernetes object assembled from a `kubernetes:*` resource's inputs. */
export interface KubernetesManifest {
  /** File name under manifests/, `<kind>-<logical name>.yaml`, lowercase. */
  file: string;
  /** The resource it came from. */
  resource: SynthResource;
  /** apiVersion/kind/metadata/... as `kubectl apply` would take it. */
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };
}

/** A Helm chart the program installs (synth does not render charts). */
export interface ChartSummary {
  type: string;
  name: string;
  chart: unknown;
  version: unknown;
  repository: unknown;
  namespace: unknown;
  values: unknown;
}

const CHART_TYPES = /^kubernetes:helm\.sh\/v\d+:(Chart|Release)$/;
// Tokens that are not one object: lists, server-side patches, and the YAML/kustomize helpers.
const NOT_AN_OBJECT = /^kubernetes:(yaml|kustomize)(\/v\d+)?:|List$|Patch$/;

/** True for Helm chart/release resources. */
export const isChart = (type: string): boolean => CHART_TYPES.test(type);

/** apiVersion and kind for a type token: `kubernetes:core/v1:Service` → v1/Service, `kubernetes:apps/v1:Deployment` → apps/v1. */
export function apiVersionKind(type: string, inputs: Record<string, unknown>): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  if (!m?.[1] || !m[2] || isChart(type) || NOT_AN_OBJECT.test(type)) return undefined;
  if (m[1] === "apiextensions.k8s.io" && m[2] === "CustomResource") {
    return typeof inputs.apiVersion === "string" && typeof inputs.kind === "string" ? { apiVersion: inputs.apiVersion, kind: inputs.kind } : undefined;
  }
  const [group, version] = m[1].split("/");
  if (!group || !version) return undefined;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind: m[2] };
}

/**
 * The Kubernetes objects among synthesized resources: every custom `kubernetes:*` resource except
 * the provider, Helm charts, lists and patches. A name left to Pulumi's auto-naming is shown as
 * the logical name (the real one gets a random suffix at deploy time).
 */
export function kubernetesManifests(resources: SynthResource[], custom: boolean[]): KubernetesManifest[] {
  const out: KubernetesManifest[] = [];
  const used = new Set<string>();
  resources.forEach((resource, i) => {
    if (!custom[i]) return;
    const av = apiVersionKind(resource.type, resource.inputs);
    if (!av) return;
    const { apiVersion: _a, kind: _k, metadata, ...rest } = resource.inputs;
    const meta = { ...((metadata ?? {}) as Record<string, unknown>) };
    meta.name ??= resource.name;
    const object = { apiVersion: av.apiVersion, kind: av.kind, metadata: meta, ...rest };
    let file = `${av.kind}-${resource.name}`.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
    for (let n = 2; used.has(file); n++) file = `${av.kind}-${resource.name}-${n}`.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
    used.add(file);
    out.push({ file: `${file}.yaml`, resource, object });
  });
  return out;
}

/** The Helm charts among synthesized resources (helm.sh/v3 Chart and Release, helm.sh/v4 Chart). */
export function helmCharts(resources: SynthResource[]): ChartSummary[] {
  return resources
    .filter((r) => isChart(r.type))
    .map((r) => {
      const i = r.inputs;
      const repo = (i.repositoryOpts as { repo?: unknown } | undefined)?.repo ?? (i.fetchOpts as { repo?: unknown } | undefined)?.repo ?? i.repo;
      return { type: r.type, name: r.name, chart: i.chart, version: i.version, repository: repo, namespace: i.namespace, values: i.values };
    });
}
