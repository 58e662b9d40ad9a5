import { createHash } from "node:crypto";

/**
 * A GCP resource id from free-form parts: lowercase letters, digits and hyphens, starting with a
 * letter, at most `maxLength` long. Ids cut short keep a hash of the full text so two long names
 * that share a prefix still differ (service-account ids are capped at 30 characters).
 */
export function gcpResourceId(parts: ReadonlyArray<string>, maxLength: number): string {
  const full = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  const id = /^[a-z]/.test(full) ? full : `m-${full}`;
  if (id.length <= maxLength) return id.length >= 6 ? id : `${id}-mlops`.slice(0, maxLength);
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 6);
  return `${id.slice(0, maxLength - 7).replace(/-+$/, "")}-${hash}`;
}

/** GCP labels from tags: keys and values lowercased, characters outside `[a-z0-9_-]` replaced by `_`, cut to 63. */
export function gcpLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [clean(k), clean(v)]));
}
