import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { propertyAt, stringMapAt, UNKNOWN } from "./resource-property.ts";
import { TYPES } from "./resource-types.ts";
import { violationMessage } from "./violation-message.ts";

/** Configuration of {@link noPublicEndpointInProduction} (`--policy-pack-config`, key `no-public-endpoint-in-production`). */
export interface NoPublicEndpointInProductionConfig {
  /** Treat every cluster of the stack as production, whatever its tags. @default false */
  production?: boolean;
}

/** Tag (AWS, Azure), resource label (GCP) or stack tag that marks a production cluster, and its value. */
export const PRODUCTION_TAG = { key: "mlops-profile", value: "production" } as const;

/** Where each managed cluster keeps its tags and the property that must make its API server private. */
const CLUSTERS: Readonly<Record<string, { tags: string; path: string[]; want: boolean; rule: string }>> = {
  [TYPES.eksCluster]: { tags: "tags", path: ["vpcConfig", "endpointPublicAccess"], want: false, rule: "production EKS clusters must not expose a public API endpoint (AWS defaults it to true)" },
  [TYPES.gkeCluster]: { tags: "resourceLabels", path: ["privateClusterConfig", "enablePrivateEndpoint"], want: true, rule: "production GKE clusters must use a private control-plane endpoint" },
  [TYPES.aksCluster]: { tags: "tags", path: ["apiServerAccessProfile", "enablePrivateCluster"], want: true, rule: "production AKS clusters must be private clusters" },
};

/**
 * `no-public-endpoint-in-production`: the Kubernetes API server of a production cluster is not
 * reachable from the internet. A cluster is production when it carries the tag/label
 * `mlops-profile: production`, the stack has that tag, or the policy config sets `production: true`.
 * EKS: `vpcConfig.endpointPublicAccess` false; GKE: `privateClusterConfig.enablePrivateEndpoint`
 * true; AKS: `apiServerAccessProfile.enablePrivateCluster` true.
 */
export const noPublicEndpointInProduction: ResourceValidationPolicy = {
  name: "no-public-endpoint-in-production",
  description: "Production clusters must keep their Kubernetes API endpoint private.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      production: { type: "boolean", default: false, description: "Treat every cluster as production." },
    },
  },
  validateResource: (args, reportViolation) => {
    const cluster = CLUSTERS[args.type];
    if (!cluster) return;
    if (args.getConfig<NoPublicEndpointInProductionConfig>().production !== true && !isProductionCluster(args)) return;
    const value = propertyAt(args.props, cluster.path);
    if (value !== cluster.want && value !== UNKNOWN) reportViolation(violationMessage(args, cluster.path, value, cluster.rule));
  },
};

/**
 * Whether a managed cluster is production: tagged/labelled `mlops-profile: production` or in a
 * stack with that tag. False for other resource types.
 */
export function isProductionCluster(args: Pick<ResourceValidationArgs, "type" | "props" | "stackTags">): boolean {
  const cluster = CLUSTERS[args.type];
  if (!cluster) return false;
  if (args.stackTags?.get(PRODUCTION_TAG.key) === PRODUCTION_TAG.value) return true;
  return stringMapAt(args.props, [cluster.tags])[PRODUCTION_TAG.key] === PRODUCTION_TAG.value;
}
