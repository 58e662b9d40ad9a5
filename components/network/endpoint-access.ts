import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { isAnyAddress, isDocumentationCidr, isPrivateCidr } from "./cidr.ts";

/** How a cluster's Kubernetes API may be reached, as every cloud's options spell it. */
export interface EndpointAccess {
  /** The API has a public endpoint (limited to `authorizedCidrs`). */
  publicEndpoint?: unknown;
  /** Who may reach the API: public ranges for a public endpoint, private (peered, VPN) ranges for a private one. */
  authorizedCidrs?: unknown;
  /** Accept `0.0.0.0/0` in `authorizedCidrs` (the whole internet may reach the API). */
  allowOpenEndpoint?: unknown;
}

const HOW_TO_FIND = 'the address you run `pulumi up` and kubectl from, e.g. ["198.51.100.7/32"] (yours: curl -s https://checkip.amazonaws.com)';

/**
 * The API-access rules every cloud shares, reported under `path` (CIS EKS 5.4.1/5.4.2, GKE 6.6.2,
 * AKS 6.2: restrict the endpoint; an API nobody can reach makes every Kubernetes resource of the
 * first `pulumi up` time out):
 * - a public endpoint needs `authorizedCidrs`; a range that admits every address needs the named
 *   opt-in `allowOpenEndpoint: true`;
 * - a private-only endpoint needs `authorizedCidrs` too — the private ranges `pulumi up` runs
 *   from (a runner in or peered with the network, a VPN, a bastion): nothing else can reach it.
 * Runs in a zod superRefine before validation finished, so values may be of any type.
 */
export function checkEndpointAccess(a: EndpointAccess, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  if (a.publicEndpoint === true) return checkPublicEndpointCidrs(a, ctx, path);
  const issue = (at: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path: [...path, ...at], message });
  const cidrs = Array.isArray(a.authorizedCidrs) ? a.authorizedCidrs : undefined;
  if (a.authorizedCidrs !== undefined && cidrs === undefined) return; // the field's own schema reports it
  if (cidrs === undefined || cidrs.length === 0) {
    issue(["authorizedCidrs"], "required when publicEndpoint is false: list the private ranges `pulumi up` runs from (a CI runner in or peered with the cluster's network, a VPN, a bastion) — a private-only API endpoint admits nothing else; or set publicEndpoint: true with your public address");
    return;
  }
  cidrs.forEach((c, i) => {
    if (typeof c !== "string") return;
    if (isAnyAddress(c)) issue(["authorizedCidrs", i], `${c} cannot reach a private endpoint: list the private ranges pulumi up runs from`);
    else if (/\/\d+$/.test(c) && !isPrivateCidr(c)) issue(["authorizedCidrs", i], `${c} is a public range; a private endpoint (publicEndpoint: false) is reached only from private ranges (RFC 1918, RFC 6598)`);
  });
}

/**
 * The public-endpoint rules, which {@link checkEndpointAccess} applies to a public endpoint and
 * GKE and AKS (whose private endpoint is reachable from inside the cluster's network without a
 * list) apply alone: a public endpoint needs
 * `authorizedCidrs`, and `0.0.0.0/0` only with `allowOpenEndpoint` (CIS GKE 6.6.2, AKS API server
 * authorized IP ranges).
 */
export function checkPublicEndpointCidrs(a: EndpointAccess, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  if (a.publicEndpoint !== true) return;
  const issue = (at: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path: [...path, ...at], message });
  if (a.authorizedCidrs === undefined || (Array.isArray(a.authorizedCidrs) && a.authorizedCidrs.length === 0)) {
    issue(["authorizedCidrs"], `required when publicEndpoint is true (the dev profile's default): list ${HOW_TO_FIND}; or set publicEndpoint: false and run pulumi up from inside the network`);
    return;
  }
  if (!Array.isArray(a.authorizedCidrs)) return; // the field's own schema reports it
  a.authorizedCidrs.forEach((c, i) => {
    if (typeof c === "string" && isAnyAddress(c) && a.allowOpenEndpoint !== true) {
      issue(["authorizedCidrs", i], `${c} opens the Kubernetes API to the whole internet: list ${HOW_TO_FIND}, or set allowOpenEndpoint: true to accept that`);
    }
  });
}

/** Set to "1" by `pulumi-mlops synth`: it renders a program as an update would, but reports like a preview. */
export const SYNTH_ENV = "PULUMI_MLOPS_SYNTH";

/**
 * A placeholder the shipped stacks carry: a preview (and `pulumi-mlops synth`) warns; an update refuses
 * with `message` before creating anything.
 */
export function refusePlaceholder(message: string): void {
  if (isLiveDeployment()) throw new pulumi.RunError(message);
  pulumi.log.warn(`${message}; pulumi up will refuse it`);
}

/** A real `pulumi up`: not a preview, and not `pulumi-mlops synth` (which runs the program under mocks as an update). */
export function isLiveDeployment(): boolean {
  return !pulumi.runtime.isDryRun() && process.env[SYNTH_ENV] !== "1";
}

/**
 * Deploy-time half of {@link checkEndpointAccess}: a documentation range (RFC 5737, as the shipped
 * stacks carry) is a placeholder, refused by {@link refusePlaceholder}, because a cluster whose API
 * admits only a placeholder cannot be finished.
 */
export function refusePlaceholderCidrs(cidrs: readonly string[], configPath: string): void {
  const placeholders = cidrs.filter(isDocumentationCidr);
  if (placeholders.length === 0) return;
  refusePlaceholder(`${configPath} holds the documentation range ${placeholders.join(", ")} (RFC 5737), a placeholder: set it to ${HOW_TO_FIND}`);
}
