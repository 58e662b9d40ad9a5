import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isAnyAddress } from "../network/cidr.ts";
import { isProductionCluster } from "./no-public-endpoint-in-production.ts";
import { arrayAt, isUnset, propertyAt, type PropertyPath, UNKNOWN } from "./resource-property.ts";
import { TYPES } from "./resource-types.ts";
import { violationMessage } from "./violation-message.ts";

/** Configuration of {@link noOpenApiEndpoint} (`--policy-pack-config`, key `no-open-api-endpoint`). */
export interface NoOpenApiEndpointConfig {
  /** Let clusters that are not production keep an API endpoint open to every address (the components' `allowOpenEndpoint`). @default false */
  allowOpenEndpoint?: boolean;
}

const FIX = "restrict the public endpoint to your CIDRs (authorizedCidrs) or make it private";

type Flag = (path: PropertyPath, value: unknown, rule: string) => void;

/**
 * `no-open-api-endpoint`: a cluster's Kubernetes API endpoint, when it is public, admits only
 * listed source ranges, never every address (CIS EKS 5.4.1, GKE 5.6.3, AKS 5.4.1).
 * - EKS: with `vpcConfig.endpointPublicAccess` true or unset (AWS's default is true),
 *   `vpcConfig.publicAccessCidrs` must be set (AWS's default is 0.0.0.0/0) without 0.0.0.0/0.
 * - GKE: unless `privateClusterConfig.enablePrivateEndpoint` is true or IP endpoints are off
 *   (`controlPlaneEndpointsConfig.ipEndpointsConfig.enabled: false`), `masterAuthorizedNetworksConfig`
 *   must be set (without it any address reaches the endpoint) with no 0.0.0.0/0 block, and not
 *   open to every Google Cloud VM (`gcpPublicCidrsAccessEnabled: true`).
 * - AKS: unless `apiServerAccessProfile.enablePrivateCluster` is true,
 *   `apiServerAccessProfile.authorizedIPRanges` must be non-empty without 0.0.0.0/0.
 * Production clusters (see `no-public-endpoint-in-production`) are always checked; others unless
 * the config sets `allowOpenEndpoint: true`, the same named opt-in the cluster components take.
 * Values unknown during preview are skipped.
 */
export const noOpenApiEndpoint: ResourceValidationPolicy = {
  name: "no-open-api-endpoint",
  description: "A public Kubernetes API endpoint must be limited to listed source CIDRs, never 0.0.0.0/0.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      allowOpenEndpoint: { type: "boolean", default: false, description: "Let non-production clusters keep an API endpoint open to every address." },
    },
  },
  validateResource: (args, reportViolation) => {
    const check = CHECKS[args.type];
    if (!check) return;
    if (args.getConfig<NoOpenApiEndpointConfig>().allowOpenEndpoint === true && !isProductionCluster(args)) return;
    check(args.props, (path, value, rule) => reportViolation(violationMessage(args, path, value, `${rule}; ${FIX}`)));
  },
};

const CHECKS: Readonly<Record<string, (props: unknown, flag: Flag) => void>> = {
  [TYPES.eksCluster]: checkEks,
  [TYPES.gkeCluster]: checkGke,
  [TYPES.aksCluster]: checkAks,
};

/** Flags an unset/empty list (what the cloud then opens to everyone) or the entries that admit every address. */
function checkCidrList(props: unknown, path: PropertyPath, unsetRule: string, openRule: string, flag: Flag): void {
  const value = propertyAt(props, path);
  if (value === UNKNOWN) return;
  const entries = arrayAt(props, path);
  if (entries === UNKNOWN) return;
  if (isUnset(value) || entries.length === 0) return flag(path, value, unsetRule);
  entries.forEach((cidr, i) => {
    if (typeof cidr === "string" && isAnyAddress(cidr)) flag([...path, i], cidr, openRule);
  });
}

function checkEks(props: unknown, flag: Flag): void {
  const isPublic = propertyAt(props, ["vpcConfig", "endpointPublicAccess"]);
  if (isPublic === false || isPublic === UNKNOWN) return;
  const path = ["vpcConfig", "publicAccessCidrs"];
  checkCidrList(props, path, "the public EKS API endpoint is then open to 0.0.0.0/0 (AWS's default)", "the public EKS API endpoint is open to every address", flag);
}

function checkGke(props: unknown, flag: Flag): void {
  const privateEndpoint = propertyAt(props, ["privateClusterConfig", "enablePrivateEndpoint"]);
  const ipEndpoints = propertyAt(props, ["controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled"]);
  if (privateEndpoint === true || ipEndpoints === false || privateEndpoint === UNKNOWN || ipEndpoints === UNKNOWN) return;
  const config = propertyAt(props, ["masterAuthorizedNetworksConfig"]);
  if (config === UNKNOWN) return;
  if (isUnset(config)) return flag(["masterAuthorizedNetworksConfig"], config, "without authorized networks the GKE control-plane endpoint admits every address");
  const blocks = arrayAt(props, ["masterAuthorizedNetworksConfig", "cidrBlocks"]);
  if (blocks !== UNKNOWN) {
    blocks.forEach((b, i) => {
      const cidr = propertyAt(b, ["cidrBlock"]);
      if (typeof cidr === "string" && isAnyAddress(cidr)) flag(["masterAuthorizedNetworksConfig", "cidrBlocks", i, "cidrBlock"], cidr, "the GKE control-plane endpoint is open to every address");
    });
  }
  const gcpPublic = ["masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled"];
  if (propertyAt(props, gcpPublic) === true) flag(gcpPublic, true, "the GKE control-plane endpoint is open to the public IP of every Google Cloud VM, anyone's");
}

function checkAks(props: unknown, flag: Flag): void {
  const privateCluster = propertyAt(props, ["apiServerAccessProfile", "enablePrivateCluster"]);
  if (privateCluster === true || privateCluster === UNKNOWN) return;
  const path = ["apiServerAccessProfile", "authorizedIPRanges"];
  checkCidrList(props, path, "without authorized IP ranges the public AKS API server admits every address", "the public AKS API server is open to every address", flag);
}
