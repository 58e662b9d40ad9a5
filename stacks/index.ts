import * as pulumi from "@pulumi/pulumi";
import { platformConfig } from "../components/index.ts";

// The stack program. For now it validates the stack's configuration and creates nothing:
// the cloud and Kubernetes components arrive in later issues (see README, "Status").
const config = new pulumi.Config();
const raw: Record<string, unknown> = {};
for (const key of ["cloud", "profile", "region", "namespace"]) {
  const value = config.get(key);
  if (value !== undefined) raw[key] = value;
}
const result = platformConfig.safeParse(raw);
if (!result.success) {
  const issues = result.error.issues.map((i) => `${pulumi.getProject()}:${i.path.join(".") || "(config)"}: ${i.message}`);
  throw new pulumi.RunError(`invalid configuration for stack ${pulumi.getStack()}:\n  - ${issues.join("\n  - ")}`);
}

/** The validated stack configuration. */
export const platform = result.data;
/** What this program deploys today: nothing yet. */
export const resourcesDeployed = 0;
