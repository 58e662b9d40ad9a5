import { type PropertyPath, UNKNOWN } from "./resource-property.ts";

/** `a.b[0]["job-template.json"]`: a property path as it reads in a message. */
export function formatPath(path: PropertyPath): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** A property value as it reads in a message: `not set`, `unknown`, or its JSON (cut at 120 characters). */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "not set";
  if (value === UNKNOWN) return "unknown";
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** The name a message gives a resource: its type token and logical name. */
export function resourceLabel(type: string, name: string): string {
  return `${type} "${name}"`;
}

/**
 * A violation message naming the resource, the exact property and its value, and what the rule
 * wants: `aws:eks/nodeGroup:NodeGroup "gpu": scalingConfig.minSize is 1; GPU pools must scale to zero`.
 */
export function violationMessage(resource: { type: string; name: string }, path: PropertyPath, value: unknown, rule: string): string {
  return `${resourceLabel(resource.type, resource.name)}: ${formatPath(path)} is ${formatValue(value)}; ${rule}`;
}
