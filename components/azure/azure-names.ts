import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Lowercase letters and digits of `s`, the only characters storage account and registry names allow. */
export function alphanumeric(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * A globally unique, deterministic name for an Azure resource whose name is a DNS label
 * (storage account, container registry, key vault): `<prefix><hash>` of at most `maxLength`
 * characters, the hash taken over the subscription, project, stack, component name and role.
 * Deterministic (no random provider): the same stack always computes the same name, and two
 * stacks or subscriptions never share one.
 */
export function globalName(args: { subscriptionId: pulumi.Input<string>; component: string; role: string; prefix: string; maxLength: number }): pulumi.Output<string> {
  return pulumi.output(args.subscriptionId).apply((subscriptionId) => {
    const digest = createHash("sha256").update(`${subscriptionId}/${pulumi.getProject()}/${pulumi.getStack()}/${args.component}/${args.role}`).digest("hex");
    return `${args.prefix}${digest}`.slice(0, args.maxLength);
  });
}
