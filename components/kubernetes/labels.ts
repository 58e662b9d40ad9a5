/** Label key naming the platform component a Kubernetes object belongs to. */
export const COMPONENT_LABEL = "app.kubernetes.io/component";

/**
 * Recommended Kubernetes labels (app.kubernetes.io/*) for one runtime workload. The `name` +
 * `instance` pair is also the pod selector, so it must stay stable across updates.
 */
export function runtimeLabels(instance: string, component: "serving" | "retraining-controller" | "training" | "batch-scoring"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "mlops-runtime",
    "app.kubernetes.io/instance": instance,
    [COMPONENT_LABEL]: component,
    "app.kubernetes.io/part-of": "pulumi-mlops",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** The subset of {@link runtimeLabels} used as a pod selector (immutable on Deployments). */
export function selectorLabels(instance: string, component: "serving" | "retraining-controller" | "training"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "mlops-runtime",
    "app.kubernetes.io/instance": instance,
    [COMPONENT_LABEL]: component,
  };
}

/** Pod Security Admission labels enforcing the `restricted` profile on a namespace. */
export const RESTRICTED_POD_SECURITY: Record<string, string> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};
