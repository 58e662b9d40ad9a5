import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ClusterHandle } from "./cluster-handle.ts";

/** A `pulumi.Input<string>`: a plain non-empty string or an Output (checked at deploy time). */
export const inputString = z.union([z.string().min(1), z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), "must be a string or a pulumi Output")]);

/** A {@link ClusterHandle}: only its shape is checked here (a provider and a model store). */
export const clusterHandle = z.custom<ClusterHandle>(
  (v) => typeof v === "object" && v !== null && "provider" in v && "modelStore" in v && "workloadIdentity" in v,
  "must be a ClusterHandle (provider, modelStore, workloadIdentity)",
);

const quantity = z.union([z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, "must be a Kubernetes quantity like 500m or 2Gi"), z.number().positive()]);

/** CPU and memory for one container; every field defaults on its own (setting one keeps the others). */
export const containerResources = z
  .object({
    /** Requested CPU. @default "250m" */
    cpuRequest: quantity.default("250m"),
    /** Requested memory. @default "512Mi" */
    memoryRequest: quantity.default("512Mi"),
    /** CPU limit. @default "1" */
    cpuLimit: quantity.default("1"),
    /** Memory limit. @default "1Gi" */
    memoryLimit: quantity.default("1Gi"),
  })
  .strict();

/** Container resources after defaults. */
export type ContainerResources = z.output<typeof containerResources>;
/** Container resources as written. */
export type ContainerResourcesInput = z.input<typeof containerResources>;

/**
 * Validates a component's args against its schema and returns them with defaults applied;
 * otherwise throws one `pulumi.InputPropertiesError` listing every bad property with its path.
 */
export function parseArgs<S extends z.ZodType>(component: string, schema: S, args: unknown): z.output<S> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ propertyPath: formatPath(i.path), reason: i.message }));
  throw new pulumi.InputPropertiesError({
    message: `invalid ${component} arguments:\n  - ${errors.map((e) => `${e.propertyPath}: ${e.reason}`).join("\n  - ")}`,
    errors,
  });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return "(args)";
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * Options for cross-field `superRefine`s: run them even when a field already failed, so every
 * problem is reported at once. The refinement must then read its values defensively.
 */
export const ALWAYS_REFINE = { when: () => true } as const;
