import type { PolicyResource } from "@pulumi/policy";
import { isUnset, propertyAt, UNKNOWN } from "./resource-property.ts";

/**
 * The strings another resource may use to point at `target` in a property like `bucket`: its
 * logical name, its id as `pulumi-mlops synth`'s mocks make it (`<name>-id`), its physical name and id
 * outputs (`bucket`, `id`, `name` after `pulumi up`) and its URN.
 */
export function identifiersOf(target: PolicyResource): Set<string> {
  const ids = new Set<string>([target.name, `${target.name}-id`, target.urn]);
  for (const key of ["bucket", "id", "name"]) {
    const v = propertyAt(target.props, [key]);
    if (typeof v === "string" && v !== "") ids.add(v);
  }
  return ids;
}

/**
 * The candidates that `holder`'s `property` (e.g. a public access block's `bucket`) refers to.
 *
 * Three situations, most precise first:
 * - the value is a known string (synth output: the bucket's mocked id `<name>-id`; after
 *   `pulumi up`: the bucket's physical name): candidates whose {@link identifiersOf} contain it;
 * - the value is unknown (a preview of new resources): the engine's property dependencies of
 *   that property, else the holder's dependencies;
 * - the value is missing (synth of an output the mocks never resolved, e.g. an auto-named
 *   bucket's `bucket`): the only candidate with the same parent component, if there is exactly one.
 */
export function referencedBy(holder: PolicyResource, property: string, candidates: readonly PolicyResource[]): PolicyResource[] {
  const value = propertyAt(holder.props, [property]);
  if (typeof value === "string" && value !== "") return candidates.filter((c) => identifiersOf(c).has(value));
  const deps = holder.propertyDependencies?.[property] ?? [];
  if (deps.length > 0) return candidates.filter((c) => deps.some((d) => d.urn === c.urn));
  if (value === UNKNOWN) {
    const all = holder.dependencies ?? [];
    return candidates.filter((c) => all.some((d) => d.urn === c.urn));
  }
  if (isUnset(value) && holder.parent) {
    const siblings = candidates.filter((c) => c.parent?.urn === holder.parent?.urn);
    if (siblings.length === 1) return siblings;
  }
  return [];
}
