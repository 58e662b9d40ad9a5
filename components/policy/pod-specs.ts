import { propertyAt, type PropertyPath } from "./resource-property.ts";
import { TYPES } from "./resource-types.ts";

/** Where the pod spec sits in each workload kind's object. */
export const POD_SPEC_PATHS: Readonly<Record<string, PropertyPath>> = Object.freeze({
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
});

/** A pod spec found in a resource, with its path from the resource's properties (for messages). */
export interface PodSpecAt {
  path: PropertyPath;
  spec: unknown;
}

/**
 * Every pod spec of a Kubernetes resource: the template of a workload (Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Job, CronJob, Pod), or of a Job shipped as JSON in a ConfigMap under a
 * `*.json` key (the Retraining component's training Job template, which the controller submits later).
 */
export function podSpecsOf(type: string, props: unknown): PodSpecAt[] {
  const path = POD_SPEC_PATHS[type];
  if (path) {
    const spec = propertyAt(props, path);
    return spec === null || typeof spec !== "object" ? [] : [{ path, spec }];
  }
  if (type !== TYPES.k8sConfigMap) return [];
  const data = propertyAt(props, ["data"]);
  if (data === null || typeof data !== "object") return [];
  const out: PodSpecAt[] = [];
  for (const key of Object.keys(data)) {
    if (!key.endsWith(".json")) continue;
    const text = propertyAt(data, [key]);
    if (typeof text !== "string") continue;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (propertyAt(doc, ["kind"]) !== "Job") continue;
    const spec = propertyAt(doc, ["spec", "template", "spec"]);
    if (spec !== null && typeof spec === "object") out.push({ path: ["data", key, "spec", "template", "spec"], spec });
  }
  return out;
}
