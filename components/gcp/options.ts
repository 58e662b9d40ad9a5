// The options of a GCP platform, checked before anything is created. No @pulumi/gcp here: the
// platform's config schema reads this file whether or not the GCP SDK is installed.
import { z } from "zod";
import { ALWAYS_REFINE } from "../kubernetes/runtime-workload-args.ts";
import { checkPublicEndpointCidrs, cidrsOverlap, ipv4Cidr, ipv4SourceCidr, isPrivateCidr } from "../network/index.ts";
import { gpuPoolIssues } from "./gke-accelerators.ts";
const region = z.string().regex(/^[a-z]+-[a-z]+[0-9]+$/, "must be a GCP region like us-central1");
const zone = z.string().regex(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, "must be a GCP zone like us-central1-a");
const poolName = z.string().regex(/^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/, "must be lowercase letters, digits and hyphens, at most 20 characters, starting with a letter");
const nodeCount = z.number().int().min(0).max(1000);

/** One GPU node pool of {@link gcpClusterOptions}; every field but `name` defaults on its own. */
export const gcpGpuPoolOptions = z
  .object({
    /** Pool name (unique in the cluster; the `mlops.dev/pool` node label). */
    name: poolName,
    /** Compute Engine machine type; A2/G2/A3/A4/G4 types carry their GPUs built in. @default "n1-standard-4" */
    machineType: z.string().min(1).default("n1-standard-4"),
    /** GKE accelerator type (nvidia-tesla-t4, nvidia-l4, nvidia-tesla-a100, nvidia-h100-80gb, ...). @default "nvidia-tesla-t4" */
    accelerator: z.string().min(1).default("nvidia-tesla-t4"),
    /** GPUs per node; must match the machine type where it fixes the count (a2-highgpu-2g: 2). @default 1 */
    acceleratorCount: z.number().int().min(1).max(16).default(1),
    /** Fewest nodes; 0 lets an idle pool cost nothing (GKE's autoscaler scales up from zero). @default 0 */
    minNodes: nodeCount.default(0),
    /** Most nodes (in a regional cluster: in total over its zones). @default 2 */
    maxNodes: nodeCount.min(1).default(2),
    /** Spot VMs: much cheaper, reclaimable at any time. @default false */
    spot: z.boolean().default(false),
    /** Boot disk size in GB (CUDA images are large). @default 100 */
    diskSizeGb: z.number().int().min(30).max(65536).default(100),
    /** NVIDIA driver GKE installs: LATEST or DEFAULT for the node's GKE version. @default "LATEST" */
    gpuDriverVersion: z.enum(["LATEST", "DEFAULT"]).default("LATEST"),
    /** Zones for this pool (where the accelerator is offered). @default - the cluster's zones */
    zones: z.array(zone).min(1).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (typeof p.minNodes === "number" && typeof p.maxNodes === "number" && p.maxNodes < p.minNodes) {
      ctx.addIssue({ code: "custom", path: ["maxNodes"], message: `must be >= minNodes (${p.minNodes})` });
    }
    if (typeof p.machineType === "string" && typeof p.accelerator === "string" && typeof p.acceleratorCount === "number") {
      for (const issue of gpuPoolIssues(p.machineType, p.accelerator, p.acceleratorCount)) ctx.addIssue({ code: "custom", path: [issue.field], message: issue.message });
    }
  }, ALWAYS_REFINE);

/**
 * The plain-data options of {@link GcpCluster}: what a stack's `gcp:` section holds. Every field
 * but `region` has a default fit for a cheap dev environment; nested objects default field by
 * field (setting `systemPool.maxNodes` keeps the default machine type).
 */
export const gcpClusterOptions = z
  .object({
    /** GCP region of the cluster, registry, bucket and key (e.g. "us-central1"). */
    region,
    /** Project id. @default - the provider's project (`gcp:project`) */
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id").optional(),
    /** Zones of the region, in order; a dev cluster is zonal in the first, a highAvailability cluster spans them all. @default - `<region>-a, -b, -c` (`-b, -c, -d` in us-east1 and europe-west1) */
    zones: z.array(zone).min(1).max(4).optional(),
    /** Minimum control-plane version; the release channel upgrades from there (REGULAR offers 1.34 to 1.36 in Nov 2026). @default "1.35" */
    kubernetesVersion: z.string().regex(/^1\.\d{2}(\.\d+(-gke\.\d+)?)?$/, "must be a GKE version like 1.35 or 1.35.7-gke.1222000").default("1.35"),
    /** GKE release channel. @default "REGULAR" */
    releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE", "EXTENDED"]).default("REGULAR"),
    /** The VPC. @default - a new VPC with a 10.0.0.0/16 node subnet, secondary ranges and Cloud NAT */
    network: z
      .object({
        /** Primary range of the node subnet. @default "10.0.0.0/16" */
        cidr: ipv4Cidr.default("10.0.0.0/16"),
        /** Secondary range for pod IPs. @default "10.16.0.0/14" */
        podsCidr: ipv4Cidr.default("10.16.0.0/14"),
        /** Secondary range for Service IPs. @default "10.20.0.0/20" */
        servicesCidr: ipv4Cidr.default("10.20.0.0/20"),
        /** /28 for the control plane's private endpoint (must not overlap the VPC). @default "172.16.0.0/28" */
        masterCidr: ipv4Cidr.default("172.16.0.0/28"),
        /** A network you bring: its ids are used as given and nothing is created (the CIDRs above are then unused). @default - none */
        existing: z
          .object({
            /** Network id or self link. */
            network: z.string().min(1),
            /** Node subnetwork id or self link (in `region`, Private Google Access on, NAT for egress). */
            subnetwork: z.string().min(1),
            /** Name of the subnetwork's secondary range for pods. */
            podsRangeName: z.string().min(1),
            /** Name of the subnetwork's secondary range for Services. */
            servicesRangeName: z.string().min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Reach the Kubernetes API over the internet (from `authorizedCidrs` only); otherwise only from inside the VPC. @default false */
    publicEndpoint: z.boolean().default(false),
    /** Source ranges allowed to reach the API endpoint: required with a public one (your address, e.g. "198.51.100.7/32"); with a private one only RFC 1918 ranges apply (the node subnet is always allowed). @default - none: required when publicEndpoint is true */
    authorizedCidrs: z.array(ipv4SourceCidr).min(1).max(50).optional(),
    /** Accept `0.0.0.0/0` in `authorizedCidrs`: the whole internet may reach the public endpoint. @default false */
    allowOpenEndpoint: z.boolean().default(false),
    /** Regional control plane (3 zones), node pools over all zones, deletion protection. @default false */
    highAvailability: z.boolean().default(false),
    /** Refuse to delete the cluster. @default - highAvailability */
    deletionProtection: z.boolean().optional(),
    /** The CPU pool for system and serving pods. @default - e2-standard-2, 1 to 3 nodes, 50 GB */
    systemPool: z
      .object({
        /** Machine type. @default "e2-standard-2" */
        machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, "must be a Compute Engine machine type like e2-standard-4").default("e2-standard-2"),
        /** Fewest nodes (in a regional cluster: in total, spread over the zones). @default 1 */
        minNodes: nodeCount.min(1).default(1),
        /** Most nodes (in a regional cluster: in total). @default 3 */
        maxNodes: nodeCount.min(1).default(3),
        /** Boot disk size in GB. @default 50 */
        diskSizeGb: z.number().int().min(20).max(65536).default(50),
      })
      .strict()
      .superRefine((p, ctx) => {
        if (typeof p.minNodes === "number" && typeof p.maxNodes === "number" && p.maxNodes < p.minNodes) {
          ctx.addIssue({ code: "custom", path: ["maxNodes"], message: `must be >= minNodes (${p.minNodes})` });
        }
      }, ALWAYS_REFINE)
      .prefault({}),
    /** GPU node pools; [] for a cluster without GPUs. @default [{ name: "gpu" }] (n1-standard-4 + 1 nvidia-tesla-t4, 0 to 2 nodes) */
    gpuPools: z
      .array(gcpGpuPoolOptions)
      .max(10)
      .superRefine((pools, ctx) => {
        const seen = new Map<string, number>();
        pools.forEach((p, i) => {
          if (typeof p?.name !== "string") return;
          const first = seen.get(p.name);
          if (first === undefined) seen.set(p.name, i);
          else ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${p.name}" is already the name of gpuPools[${first}]` });
        });
      }, ALWAYS_REFINE)
      .prefault([{ name: "gpu" }]),
    /** The Artifact Registry repository. @default - keep 30 versions per image, immutable tags, scanning on */
    registry: z
      .object({
        /** Versions kept per image; older ones are deleted. @default 30 */
        keepImages: z.number().int().min(1).max(1000).default(30),
        /** Tags cannot be moved once pushed. @default true */
        immutableTags: z.boolean().default(true),
        /** Vulnerability scanning of pushed images (enables the Container Scanning API, billed per image). @default true */
        scanning: z.boolean().default(true),
        /** Grant the identity running `pulumi up` (the provider credentials' email) push on this repository, so the runtime image push in the same run is allowed. @default true */
        grantRunnerPush: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** The model store bucket. @default - feedback kept 90 days, old versions 30 days, not force-destroyed */
    modelStore: z
      .object({
        /** Days live-traffic feedback objects are kept. @default 90 */
        feedbackRetentionDays: z.number().int().min(1).max(3650).default(90),
        /** Days an overwritten or deleted object's previous version is kept. @default 30 */
        noncurrentRetentionDays: z.number().int().min(1).max(3650).default(30),
        /** Delete the bucket on destroy even when it holds models. @default false */
        forceDestroy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Encryption at rest with a key this component creates. @default - customer-managed key, rotated every 90 days */
    encryption: z
      .object({
        /** Encrypt Kubernetes Secrets, the bucket and the registry with a Cloud KMS key created here. @default true */
        customerManagedKey: z.boolean().default(true),
        /** Days between automatic key rotations. @default 90 */
        rotationDays: z.number().int().min(1).max(36500).default(90),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Arguments for {@link GcpCluster}: {@link gcpClusterOptions} plus what the platform supplies. */
export interface GcpClusterArgs extends z.input<typeof gcpClusterOptions> {
  /** Runtime namespace; the cloud identity trusts exactly the runtime ServiceAccounts there. */
  namespace: string;
  /** Tags/labels on every taggable resource (the platform sets `mlops-profile: dev|production`, `mlops-environment: <stack>`). @default {} */
  tags?: Record<string, string>;
}

/**
 * Where GKE's Container-Optimized OS GPU nodes keep the NVIDIA driver it installs
 * (`gpuDriverInstallationConfig`): `/home/kubernetes/bin/nvidia` (lib64/, bin/), handed to pods
 * only through GKE's device plugin, which names GPUs `nvidia0`, ... in the pod-resources API. The
 * DCGM exporter mounts it (GoogleCloudPlatform/prometheus-engine examples/nvidia-dcgm/exporter.yaml
 * does the same).
 */
export const GKE_COS_GPU_HOST = Object.freeze({ driverHostPath: "/home/kubernetes/bin/nvidia", deviceIdType: "device-name" as const });

/** Zones whose letters do not start at `a`. */
const REGION_ZONE_LETTERS: Readonly<Record<string, readonly string[]>> = { "us-east1": ["b", "c", "d"], "europe-west1": ["b", "c", "d"] };

/** The default zones of a region. */
export function defaultZones(r: string): string[] {
  return (REGION_ZONE_LETTERS[r] ?? ["a", "b", "c"]).map((l) => `${r}-${l}`);
}

/**
 * The cross-field checks of GcpCluster's options (zones in the region, non-overlapping ranges, a
 * /28 control-plane range, private authorized networks for a private endpoint), reported under
 * `path`: GcpCluster applies them, and so does the platform config for its `gcp` section.
 */
export function checkGcpClusterOptions(a: Record<string, any>, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  // Runs even when a field failed (every problem at once), so values may be unvalidated here.
  const issue = (at: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path: [...path, ...at], message });
  const r = typeof a.region === "string" ? a.region : undefined;
  const zoneLists: Array<[PropertyKey[], unknown]> = [[["zones"], a.zones], ...(Array.isArray(a.gpuPools) ? a.gpuPools.map((p: any, i: number): [PropertyKey[], unknown] => [["gpuPools", i, "zones"], p?.zones]) : [])];
  for (const [at, zones] of zoneLists) {
    if (r === undefined || !Array.isArray(zones)) continue;
    zones.forEach((z, i) => {
      if (typeof z === "string" && !z.startsWith(`${r}-`)) issue([...at, i], `"${z}" is not a zone of ${r}`);
    });
  }
  const n = a.network;
  if (n && n.existing === undefined) {
    const ranges = (["cidr", "podsCidr", "servicesCidr", "masterCidr"] as const).filter((k) => typeof n[k] === "string" && ipv4Cidr.safeParse(n[k]).success);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        if (cidrsOverlap(n[ranges[i]!], n[ranges[j]!])) issue(["network", ranges[j]!], `${n[ranges[j]!]} overlaps network.${ranges[i]} (${n[ranges[i]!]})`);
      }
    }
  }
  if (typeof n?.masterCidr === "string" && !/\/28$/.test(n.masterCidr)) issue(["network", "masterCidr"], "must be a /28");
  checkPublicEndpointCidrs(a, ctx, path);
  if (a.publicEndpoint !== true && Array.isArray(a.authorizedCidrs)) {
    a.authorizedCidrs.forEach((c: unknown, i: number) => {
      if (typeof c === "string" && c !== "0.0.0.0/0" && ipv4SourceCidr.safeParse(c).success && !isPrivateCidr(c)) {
        issue(["authorizedCidrs", i], `${c} is public; a private endpoint (publicEndpoint: false) only admits RFC 1918 ranges`);
      }
    });
  }
}
