import { UnknownValueError } from "@pulumi/policy";

/** Stands for a property whose value is not known yet (during `pulumi preview`, a value computed from another resource's output). */
export const UNKNOWN: unique symbol = Symbol("unknown");

/** A path into a resource's properties: object keys and array indexes. */
export type PropertyPath = ReadonlyArray<string | number>;

/**
 * The value at `path` under `props`: undefined when a step is missing, {@link UNKNOWN} when
 * @pulumi/policy's unknown-checking proxy reports the value cannot be known during preview.
 * Reading through this keeps one unknown value from turning a whole rule into a preview warning.
 */
export function propertyAt(props: unknown, path: PropertyPath): unknown {
  let current: unknown = props;
  try {
    for (const key of path) {
      if (current === null || typeof current !== "object") return undefined;
      current = (current as Record<string | number, unknown>)[key];
    }
    return current;
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
}

/** The elements of the array at `path` (empty when it is missing or not an array, {@link UNKNOWN} when unknown), each read safely. */
export function arrayAt(props: unknown, path: PropertyPath): unknown[] | typeof UNKNOWN {
  const value = propertyAt(props, path);
  if (value === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(value)) return [];
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push(propertyAt(value, [i]));
  return out;
}

/** The string-valued entries of the map at `path` (tags, labels); unknown or non-string entries are left out. */
export function stringMapAt(props: unknown, path: PropertyPath): Record<string, string> {
  const value = propertyAt(props, path);
  if (value === UNKNOWN || value === null || typeof value !== "object") return {};
  const out: Record<string, string> = {};
  for (const key of Object.keys(value)) {
    const v = propertyAt(value, [key]);
    if (typeof v === "string") out[key] = v;
  }
  return out;
}

/** Whether a value is absent: undefined, or null (how `pulumi-mlops synth` records an output that never resolved). */
export function isUnset(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** A plain JSON copy of the value at `path` (no proxy left inside); {@link UNKNOWN} when it or anything in it is unknown. */
export function plainAt(props: unknown, path: PropertyPath): unknown {
  const value = propertyAt(props, path);
  if (value === UNKNOWN || value === undefined || value === null || typeof value !== "object") return value;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
}
