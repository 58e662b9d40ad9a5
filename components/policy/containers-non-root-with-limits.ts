import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf } from "./pod-specs.ts";
import { arrayAt, isUnset, propertyAt, type PropertyPath, UNKNOWN } from "./resource-property.ts";
import { HELM_CHART_TYPES, urnTypeChain } from "./resource-types.ts";
import { formatPath, formatValue, resourceLabel, violationMessage } from "./violation-message.ts";

/** Configuration of {@link containersNonRootWithLimits} (`--policy-pack-config`, key `containers-non-root-with-limits`). */
export interface ContainersNonRootWithLimitsConfig {
  /**
   * Also check the objects Helm charts render (kube-prometheus-stack, NVIDIA device plugin, DCGM
   * exporter, GPU operator). Off by default: those are pinned third-party charts whose node agents
   * need root or host access by design, and their hardening is set through chart values.
   * @default false
   */
  checkHelmChartResources?: boolean;
}

/**
 * `containers-non-root-with-limits`: every container and init container of every workload
 * (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, and Job templates shipped in
 * ConfigMaps as `*.json`) has CPU and memory limits, runs as non-root (`runAsNonRoot` true on the
 * container or the pod, no `runAsUser` 0), sets `allowPrivilegeEscalation` false and is not privileged.
 */
export const containersNonRootWithLimits: ResourceValidationPolicy = {
  name: "containers-non-root-with-limits",
  description: "Containers must have CPU and memory limits, run as non-root, disallow privilege escalation and not be privileged.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      checkHelmChartResources: { type: "boolean", default: false, description: "Also check objects rendered by Helm charts." },
    },
  },
  validateResource: (args, reportViolation) => {
    const specs = podSpecsOf(args.type, args.props);
    if (specs.length === 0) return;
    if (args.getConfig<ContainersNonRootWithLimitsConfig>().checkHelmChartResources !== true && urnTypeChain(args.urn).slice(0, -1).some((t) => HELM_CHART_TYPES.includes(t))) return;
    const flag = (path: PropertyPath, value: unknown, rule: string) => reportViolation(violationMessage(args, path, value, rule));
    for (const { path, spec } of specs) {
      const podRunAsNonRoot = propertyAt(spec, ["securityContext", "runAsNonRoot"]);
      const podRunAsUser = propertyAt(spec, ["securityContext", "runAsUser"]);
      for (const list of ["initContainers", "containers"]) {
        const containers = arrayAt(spec, [list]);
        if (containers === UNKNOWN) continue;
        containers.forEach((container, i) => {
          const at = [...path, list, i];
          for (const resource of ["cpu", "memory"]) {
            const limit = propertyAt(container, ["resources", "limits", resource]);
            if (limit !== UNKNOWN && (isUnset(limit) || limit === "")) flag([...at, "resources", "limits", resource], limit, "every container needs CPU and memory limits");
          }
          const nonRoot = propertyAt(container, ["securityContext", "runAsNonRoot"]);
          if (nonRoot === false) flag([...at, "securityContext", "runAsNonRoot"], nonRoot, "containers must run as non-root");
          else if (isUnset(nonRoot) && podRunAsNonRoot !== true && podRunAsNonRoot !== UNKNOWN) {
            reportViolation(
              `${resourceLabel(args.type, args.name)}: ${formatPath([...at, "securityContext", "runAsNonRoot"])} is not set and ${formatPath([...path, "securityContext", "runAsNonRoot"])} is ${formatValue(podRunAsNonRoot)}; containers must run as non-root`,
            );
          }
          const user = propertyAt(container, ["securityContext", "runAsUser"]);
          if (user === 0) flag([...at, "securityContext", "runAsUser"], user, "containers must not run as root (uid 0)");
          else if (isUnset(user) && podRunAsUser === 0) flag([...path, "securityContext", "runAsUser"], podRunAsUser, `containers must not run as root (uid 0; applies to ${list}[${i}])`);
          const escalation = propertyAt(container, ["securityContext", "allowPrivilegeEscalation"]);
          if (escalation !== false && escalation !== UNKNOWN) flag([...at, "securityContext", "allowPrivilegeEscalation"], escalation, "containers must set allowPrivilegeEscalation false");
          const privileged = propertyAt(container, ["securityContext", "privileged"]);
          if (privileged === true) flag([...at, "securityContext", "privileged"], privileged, "containers must not be privileged");
        });
      }
    }
  },
};
