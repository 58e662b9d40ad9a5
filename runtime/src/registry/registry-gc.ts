import { hostname } from "node:os";
import { FileSystemStorage } from "./file-system-storage.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { parseVersionNumber, registryLayout as keys } from "./registry-layout.ts";
import { isModelName, MANIFEST_FILE } from "./registry-names.ts";

/** Default age after which {@link collectGarbage} treats a half-written version as abandoned. */
export const DEFAULT_GC_AGE_MS = 60 * 60 * 1000;

/** What {@link collectGarbage} removed (or, in a dry run, would remove). */
export interface GarbageReport {
  /** Artifacts of versions whose writer died before the manifest landed, by model and version. */
  orphanVersions: { model: string; version: number; keys: string[]; why: string }[];
  /** Half-written versions left alone (their writer may still be uploading), and why. */
  kept: { model: string; version: number; why: string }[];
  /** Filesystem only: temp and lock files of writers that died mid-write. */
  internalFiles: string[];
}

/** Options of {@link collectGarbage}. */
export interface GarbageOptions {
  /** Only this model. @default - every model */
  model?: string;
  /** A half-written version or temp file younger than this is left alone. @default 3600000 (1 h) */
  olderThanMs?: number;
  /** Report without removing anything. @default false */
  dryRun?: boolean;
  /** The current time. @default Date.now() */
  now?: number;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
};

/**
 * Removes what writers that died mid-write left behind, on any backend: the artifacts of a
 * version whose manifest never landed (no reader ever sees them), once its claim is older than
 * `olderThanMs` or names a dead process on this host; on a filesystem also stale `.tmp-*` and
 * `.lock-*` files. Claims are kept, so a number is never reused; complete versions are never
 * touched.
 */
export async function collectGarbage(registry: ModelRegistry, options: GarbageOptions = {}): Promise<GarbageReport> {
  const olderThanMs = options.olderThanMs ?? DEFAULT_GC_AGE_MS;
  const now = options.now ?? Date.now();
  const report: GarbageReport = { orphanVersions: [], kept: [], internalFiles: [] };
  const prefix = options.model === undefined ? keys.models : keys.model(options.model);
  const byVersion = new Map<string, { model: string; version: number; keys: string[]; manifest: boolean }>();
  for (const key of await registry.storage.list(prefix)) {
    const [, model, kind, n, ...rest] = key.split("/");
    if (model === undefined || !isModelName(model) || kind !== "versions" || n === undefined || rest.length === 0) continue;
    const version = parseVersionNumber(n);
    if (version === undefined) continue;
    const id = `${model}@${version}`;
    const entry = byVersion.get(id) ?? { model, version, keys: [], manifest: false };
    entry.keys.push(key);
    if (rest.length === 1 && rest[0] === MANIFEST_FILE) entry.manifest = true;
    byVersion.set(id, entry);
  }
  for (const entry of byVersion.values()) {
    if (entry.manifest) continue;
    const claim = await registry.storage.get(keys.claim(entry.model, entry.version));
    let why: string | undefined;
    let keep: string | undefined;
    if (claim === undefined) keep = "it has no claim to tell its age; remove it by hand if no writer is running";
    else {
      let info: { pid?: unknown; host?: unknown; claimedAt?: unknown } = {};
      try {
        info = JSON.parse(claim.data.toString("utf8")) as typeof info;
      } catch {
        // an unreadable claim tells no age
      }
      const claimedAt = typeof info.claimedAt === "string" ? Date.parse(info.claimedAt) : Number.NaN;
      const ageMs = now - claimedAt;
      if (info.host === hostname() && typeof info.pid === "number" && info.pid !== process.pid && !isAlive(info.pid)) why = `its writer (pid ${info.pid} on this host) is gone`;
      else if (Number.isFinite(ageMs) && ageMs >= olderThanMs) why = `claimed ${Math.round(ageMs / 60_000)} min ago and never completed`;
      else keep = Number.isFinite(ageMs) ? `claimed ${Math.round(ageMs / 1000)} s ago; its writer may still be uploading` : "its claim tells no age";
    }
    if (why === undefined) {
      report.kept.push({ model: entry.model, version: entry.version, why: keep ?? "" });
      continue;
    }
    report.orphanVersions.push({ model: entry.model, version: entry.version, keys: entry.keys.sort(), why });
    if (!options.dryRun) for (const key of entry.keys) await registry.storage.delete(key);
  }
  if (registry.storage instanceof FileSystemStorage) {
    report.internalFiles = await registry.storage.sweepInternalFiles({ keyPrefix: prefix, olderThanMs, dryRun: options.dryRun, now });
  }
  return report;
}
