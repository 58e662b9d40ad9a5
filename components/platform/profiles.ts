import { isCloudName } from "./clouds.ts";

/** The environment profiles a platform is declared with. */
export const PROFILES = ["dev", "production"] as const;

/** One of {@link PROFILES}. */
export type Profile = (typeof PROFILES)[number];

type Defaults = Record<string, unknown>;

/**
 * What each profile changes before a platform's own defaults apply. Every value here is a
 * default the user's config overrides field by field (a user's `serving.maxReplicas` keeps the
 * profile's `serving.minReplicas`). `cluster` applies to the section of the chosen cloud.
 * - dev: small and cheap — public API endpoint (so `pulumi up` works from a laptop), zonal/free
 *   control plane, one NAT, one serving replica, a week of metrics.
 * - production: highly available — private API endpoint only, regional/zone-redundant control
 *   plane and system pool, three serving replicas at least, a month of metrics; and governed:
 *   the retraining controller waits for a person's approval before promoting a version
 *   (`promotion.requireApproval`, see `mlops models approve`).
 * `ifPresent` applies only to sections the config has (a platform without `retraining` gets no
 * retraining section from its profile).
 * Each also tells the servers which profile they run in (`serving.profile`, MLOPS_PROFILE), so
 * the registry console is refused in production unless `serving.consoleInProduction` allows it.
 */
export const PROFILE_DEFAULTS: Readonly<Record<Profile, { cluster: Defaults; platform: Defaults; ifPresent: Defaults }>> = {
  dev: {
    ifPresent: {},
    cluster: { publicEndpoint: true, highAvailability: false },
    platform: {
      serving: { minReplicas: 1, maxReplicas: 3, profile: "dev" },
      monitoring: { retention: "7d", storageSize: "20Gi" },
    },
  },
  production: {
    ifPresent: { retraining: { policy: { promotion: { requireApproval: true } } } },
    cluster: { publicEndpoint: false, highAvailability: true, systemPool: { minNodes: 3, maxNodes: 6 } },
    platform: {
      serving: { minReplicas: 3, maxReplicas: 20, profile: "production" },
      monitoring: { retention: "30d", storageSize: "100Gi" },
    },
  },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `over` laid on `under`, recursively for plain objects; arrays and scalars of `over` replace. */
export function mergeDefaults(under: unknown, over: unknown): unknown {
  if (over === undefined) return under;
  if (!isPlainObject(under) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = mergeDefaults(under[k], v);
  return out;
}

/**
 * Lays the profile's defaults under a raw platform config (before validation). Leaves anything
 * it cannot interpret (not an object, unknown profile or cloud) for the schema to report.
 */
export function applyProfile(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  const profile = raw.profile ?? "dev";
  if (!(PROFILES as readonly unknown[]).includes(profile)) return raw;
  const d = PROFILE_DEFAULTS[profile as Profile];
  const out = mergeDefaults(d.platform, raw) as Record<string, unknown>;
  for (const [section, defaults] of Object.entries(d.ifPresent)) if (isPlainObject(raw[section])) out[section] = mergeDefaults(defaults, raw[section]);
  const cloud = raw.cloud;
  if (isCloudName(cloud)) out[cloud] = mergeDefaults(d.cluster, raw[cloud]);
  return out;
}
