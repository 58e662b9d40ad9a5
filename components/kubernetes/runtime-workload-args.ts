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
  // zod reports unknown keys once per object, at the object's path; each is a mistake of its own.
  const errors = result.error.issues.flatMap((i) =>
    i.code === "unrecognized_keys" ? i.keys.map((key) => ({ propertyPath: formatPath([...i.path, key]), reason: "unknown key" })) : [{ propertyPath: formatPath(i.path), reason: i.message }],
  );
  throw inputPropertiesError(component, errors);
}

function inputPropertiesError(component: string, errors: { propertyPath: string; reason: string }[]): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message: `invalid ${component} arguments:\n  - ${errors.map((e) => `${e.propertyPath}: ${e.reason}`).join("\n  - ")}`,
    errors,
  });
}

/**
 * Creates a child component from one section of its parent's arguments: an argument error the
 * child reports (`retention: must be a Prometheus duration`) is rethrown with the section's path
 * in front (`monitoring.retention`), so it names the key the user wrote. `outside` lists the
 * child's arguments that come from the parent's own keys, not the section (reported unprefixed).
 */
export function inSection<T>(component: string, section: string, create: () => T, outside: readonly string[] = []): T {
  try {
    return create();
  } catch (err) {
    if (!pulumi.InputPropertiesError.isInstance(err)) throw err;
    const isOutside = (p: string) => outside.some((k) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`));
    const prefix = (p: string) => (p === "(args)" ? section : isOutside(p) ? p : p.startsWith("[") ? `${section}${p}` : `${section}.${p}`);
    throw inputPropertiesError(component, err.errors.map((e) => ({ propertyPath: prefix(e.propertyPath), reason: e.reason })));
  }
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
