import { z } from "zod";

/** Where the platform runs. */
export const CLOUDS = ["aws", "gcp", "azure", "existing"] as const;

/**
 * Stack configuration (the `pulumi-mlops:` keys of stacks/Pulumi.<stack>.yaml). This is the
 * surface platform teams template per environment; later issues add the per-cloud sections.
 */
export const platformConfig = z
  .object({
    /** Target cloud, or an existing Kubernetes cluster. */
    cloud: z.enum(CLOUDS),
    /** dev is small and cheap; production is highly available with a private endpoint. @default "dev" */
    profile: z.enum(["dev", "production"]).default("dev"),
    /** Cloud region (required for aws, gcp, azure). */
    region: z.string().min(1).optional(),
    /** Kubernetes namespace for the runtime. @default "mlops" */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").max(63).default("mlops"),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.cloud !== "existing" && c.region === undefined) ctx.addIssue({ code: "custom", path: ["region"], message: `required when cloud is ${c.cloud}` });
  });

/** Stack configuration after defaults. */
export type PlatformConfig = z.output<typeof platformConfig>;
