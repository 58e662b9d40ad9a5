// The options of an AWS platform, checked before anything is created. No @pulumi/aws here: the
// platform's config schema reads this file whether or not the AWS SDK is installed.
import { z } from "zod";
import { ALWAYS_REFINE } from "../kubernetes/runtime-workload-args.ts";
import { checkEndpointAccess, cidrContains, cidrsOverlap, ipv4Cidr, isAnyAddress, isPrivateCidr, parseCidr } from "../network/index.ts";
import { CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./cluster-autoscaler.ts";
import { GPU_INSTANCE_FAMILIES, isGpuInstanceType } from "./gpu-instance-types.ts";
/** Kubernetes version a new cluster gets: the newest minor EKS offers in November 2026 (standard support until 2027-08-02). */
export const DEFAULT_KUBERNETES_VERSION = "1.36";

export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label");
const nodeCount = z.number().int().min(0).max(1000);
const gpuFamilies = Object.keys(GPU_INSTANCE_FAMILIES).join(", ");

const vpcCidr = z.string().superRefine((c, ctx) => {
  const parsed = parseCidr(c);
  if (parsed === undefined) ctx.addIssue({ code: "custom", message: "must be an IPv4 CIDR like 10.0.0.0/16 (no host bits set)" });
  else if (parsed.prefix < 16 || parsed.prefix > 22) ctx.addIssue({ code: "custom", message: `must be a /16 to /22 (the public subnets are 6 bits longer and AWS subnets stop at /28), not /${parsed.prefix}` });
});

function checkMinMax(pool: { minNodes?: unknown; maxNodes?: unknown }, ctx: z.RefinementCtx): void {
  if (typeof pool.minNodes === "number" && typeof pool.maxNodes === "number" && pool.maxNodes < pool.minNodes) {
    ctx.addIssue({ code: "custom", path: ["maxNodes"], message: `must be >= minNodes (${pool.minNodes})` });
  }
}

const gpuPool = z
  .object({
    /** Pool name, unique among the GPU pools (node label `mlops.dev/node-pool`). */
    name: dnsLabel.max(32),
    /** NVIDIA GPU instance type (see GPU_INSTANCE_FAMILIES). @default "g5.xlarge" (1x A10G) */
    instanceType: z.string().refine(isGpuInstanceType, { error: (i) => `${JSON.stringify(i.input)} is not a GPU instance type (${gpuFamilies})` }).default("g5.xlarge"),
    /** Fewest nodes; 0 lets an idle pool cost nothing (the Cluster Autoscaler scales it from zero). @default 0 */
    minNodes: nodeCount.default(0),
    /** Most nodes. @default 2 */
    maxNodes: nodeCount.min(1).default(2),
    /** Spot capacity (cheaper, may be reclaimed with two minutes' notice). @default false */
    spot: z.boolean().default(false),
    /** Root volume in GiB (CUDA images are large). @default 100 */
    diskSizeGb: z.number().int().min(20).max(16384).default(100),
  })
  .strict()
  .superRefine(checkMinMax, ALWAYS_REFINE);

/** The GPU pools after defaults. */
export type AwsGpuPool = z.output<typeof gpuPool>;

/**
 * The plain-data options of {@link AwsCluster} (what a stack YAML holds under `aws:`), each
 * defaulted for a cheap dev environment. Cross-field checks live inside the sub-schemas, so the
 * object itself stays a plain ZodObject (`.omit`/`.extend` work on it).
 */
export const awsClusterOptions = z
  .object({
    /** AWS region of every resource (`us-east-1`). */
    region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$/, "must be an AWS region like us-east-1"),
    /** Kubernetes minor version of the cluster (one with a known Cluster Autoscaler release). @default "1.36" */
    kubernetesVersion: z
      .string()
      .refine((v) => Object.hasOwn(CLUSTER_AUTOSCALER_IMAGE_TAGS, v), {
        error: (i) => `${JSON.stringify(i.input)} is not a supported EKS Kubernetes minor (${Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS).join(", ")})`,
      })
      .default(DEFAULT_KUBERNETES_VERSION),
    /** Availability zones for the subnets (2 or 3; unused with `network.existing`). @default - `<region>a`, `<region>b` (and `<region>c` with highAvailability) */
    availabilityZones: z.array(z.string().min(1)).min(2).max(3).optional(),
    /** The VPC. @default { cidr: "10.0.0.0/16" } */
    network: z
      .object({
        /** IPv4 CIDR of a new VPC (/16 to /22): per zone a private quarter, public subnets in the last quarter. @default "10.0.0.0/16" */
        cidr: vpcCidr.default("10.0.0.0/16"),
        /** Bring your own VPC: its private subnets (with NAT egress) in two or more zones; EKS derives the VPC from them. @default - a new VPC */
        existing: z
          .object({
            /** Private subnets for the nodes and the control plane's interfaces, in at least two zones. */
            privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet id like subnet-0123abcd")).min(2),
          })
          .strict()
          .optional(),
        /** The VPC `pulumi up` runs from (same account and region), peered with the new VPC so a private-only API endpoint is reachable on the first run; routes both ways. @default - no peering */
        runnerVpc: z
          .object({
            /** Its id. */
            vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id like vpc-0123456789abcdef0"),
            /** Its IPv4 CIDR (must not overlap `network.cidr`). */
            cidr: ipv4Cidr,
            /** Its route tables that get a route to the new VPC (those of the runner's subnets). */
            routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, "must be a route table id like rtb-0123456789abcdef0")).min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Give the API server a public endpoint too (still authenticated, limited to the public ranges of `authorizedCidrs`); the private endpoint is always on. @default false */
    publicEndpoint: z.boolean().default(false),
    /**
     * Who may reach the Kubernetes API, required: with `publicEndpoint`, the public addresses
     * `pulumi up` and kubectl run from; without, the private ranges they run from (a peered runner
     * VPC, a VPN, Direct Connect). Private ranges are admitted on port 443 of the cluster security group.
     * @default - none (required)
     */
    authorizedCidrs: z.array(ipv4Cidr).optional(),
    /** Accept `0.0.0.0/0` in `authorizedCidrs`: the whole internet may reach the public endpoint. @default false */
    allowOpenEndpoint: z.boolean().default(false),
    /** Production shape: subnets in three zones with one NAT gateway each, deletion protection on the cluster. @default false */
    highAvailability: z.boolean().default(false),
    /** The CPU pool for system and serving pods; each field defaults on its own. @default { instanceType: "t3.large", minNodes: 1, maxNodes: 3, diskSizeGb: 50 } */
    systemPool: z
      .object({
        /** EC2 instance type (Graviton types get the ARM AMI). @default "t3.large" */
        instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, "must be an EC2 instance type like t3.large").default("t3.large"),
        /** Fewest nodes. @default 1 */
        minNodes: nodeCount.min(1).default(1),
        /** Most nodes. @default 3 */
        maxNodes: nodeCount.min(1).default(3),
        /** Root volume in GiB. @default 50 */
        diskSizeGb: z.number().int().min(20).max(16384).default(50),
      })
      .strict()
      .superRefine(checkMinMax, ALWAYS_REFINE)
      .prefault({}),
    /** GPU node pools (empty: no GPUs). @default [{ name: "gpu", instanceType: "g5.xlarge", minNodes: 0, maxNodes: 2, spot: false, diskSizeGb: 100 }] */
    gpuPools: z
      .array(gpuPool)
      .superRefine((pools, ctx) => {
        const seen = new Map<string, number>();
        pools.forEach((p, i) => {
          const first = seen.get(p?.name);
          if (first !== undefined) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate pool name ${JSON.stringify(p.name)} (also gpuPools[${first}])` });
          else if (typeof p?.name === "string") seen.set(p.name, i);
        });
      }, ALWAYS_REFINE)
      .prefault([{ name: "gpu" }]),
    /** The container registry (ECR). @default { keepImages: 30, forceDelete: false } */
    registry: z
      .object({
        /** Images kept in the runtime repository; older ones expire. @default 30 */
        keepImages: z.number().int().min(1).max(10000).default(30),
        /** Repository namespace: images go to `<prefix>/<name>`. @default - `<component name>-<stack>`, lowercased */
        repositoryPrefix: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, "must be lowercase letters, digits and . _ - separators").max(200).optional(),
        /** Delete the repository on destroy even when it holds images. @default false */
        forceDelete: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The model store bucket (S3). @default { feedbackRetentionDays: 90, feedbackModels: [], forceDestroy: false } */
    modelStore: z
      .object({
        /** Days the feedback rows under `registry/models/<model>/feedback/` (and their old versions) are kept. @default 90 */
        feedbackRetentionDays: z.number().int().min(1).max(36500).default(90),
        /** Models whose feedback expires (S3 lifecycle filters are literal prefixes, so each model is listed). @default [] */
        feedbackModels: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a model name")).default([]),
        /** Delete the bucket with everything in it on destroy. @default false */
        forceDestroy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Encryption at rest. @default { customerManagedKey: true } */
    encryption: z
      .object({
        /** Encrypt Kubernetes Secrets, the bucket and the registry with a KMS key this component creates (rotation on). @default true */
        customerManagedKey: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** IAM role or user ARNs that get cluster-admin (EKS access entries), besides the identity running Pulumi. @default [] */
    clusterAdmins: z
      .array(
        z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/./, "must be an IAM role or user ARN like arn:aws:iam::123456789012:role/platform-admins (EKS access entries take no STS session ARN)")
          .refine((a) => !/:role\/aws-service-role\//.test(a), "is a service-linked role, which EKS access entries do not support"),
      )
      .default([]),
    /** Stay on a Kubernetes version past its standard support (billed extra) instead of EKS upgrading it. @default false */
    extendedSupport: z.boolean().default(false),
    /** The Cluster Autoscaler (scales the node groups, GPU pools from zero). @default { enabled: true, chartVersion: "9.59.0" } */
    clusterAutoscaler: z
      .object({
        /** Deploy it. @default true */
        enabled: z.boolean().default(true),
        /** Version of the `cluster-autoscaler` chart. @default "9.59.0" */
        chartVersion: z.string().min(1).default(CLUSTER_AUTOSCALER_CHART_VERSION),
        /** Image tag. @default - the release matching `kubernetesVersion` (1.36 → "v1.36.1") */
        imageTag: z.string().regex(/^v[0-9]+\.[0-9]+\.[0-9]+$/, "must be a tag like v1.36.1").optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const DEFAULT_VPC_CIDR = "10.0.0.0/16";

/**
 * Cross-field checks of {@link awsClusterOptions}, kept out of the schema so it stays a plain
 * object schema. Call it from a `superRefine` with {@link ALWAYS_REFINE} (values may be
 * unvalidated); `path` prefixes the issues' paths (the platform config passes `["aws"]`):
 * - the endpoint rules every cloud shares ({@link checkEndpointAccess});
 * - a public endpoint needs a public range: EKS opens one given none to 0.0.0.0/0;
 * - a private-only endpoint in a VPC this stack creates is reachable only through
 *   `network.runnerVpc`, and then only from ranges inside that VPC (peering is not transitive);
 * - the runner VPC must not overlap the new one (peering refuses overlapping ranges);
 * - each cluster admin once.
 */
export function checkAwsClusterOptions(o: Record<string, any>, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  const issue = (at: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: [...path, ...at], message });
  checkEndpointAccess(o, ctx, path);
  const cidrs: string[] = Array.isArray(o.authorizedCidrs) ? o.authorizedCidrs.filter((c: unknown): c is string => typeof c === "string" && parseCidr(c) !== undefined) : [];
  if (o.publicEndpoint === true && cidrs.length > 0 && cidrs.every(isPrivateCidr)) {
    issue(["authorizedCidrs"], "lists only private ranges, but the public endpoint is reached from public addresses (and EKS opens a public endpoint given none to 0.0.0.0/0): add the public address pulumi up runs from, or set publicEndpoint: false");
  }
  const network = typeof o.network === "object" && o.network !== null ? o.network : {};
  const runner = typeof network.runnerVpc === "object" && network.runnerVpc !== null ? network.runnerVpc : undefined;
  if (network.existing !== undefined && runner !== undefined) {
    issue(["network", "runnerVpc"], "only peers a VPC this stack creates; with network.existing, connect the runner to your VPC yourself");
  }
  const vpcCidr = typeof network.cidr === "string" ? network.cidr : DEFAULT_VPC_CIDR;
  if (typeof runner?.cidr === "string" && parseCidr(runner.cidr) && parseCidr(vpcCidr) && cidrsOverlap(runner.cidr, vpcCidr)) {
    issue(["network", "runnerVpc", "cidr"], `overlaps network.cidr (${vpcCidr}): VPC peering needs ranges that do not overlap`);
  }
  if (o.publicEndpoint !== true && network.existing === undefined && cidrs.length > 0) {
    if (runner === undefined) {
      issue(
        ["network", "runnerVpc"],
        "required when publicEndpoint is false and this stack creates the VPC: nothing outside a VPC that did not exist before this pulumi up can reach its private-only API endpoint. " +
          "Peer it with the VPC pulumi up runs in (network.runnerVpc: { vpcId, cidr, routeTableIds }), bring your own VPC (network.existing.privateSubnetIds) and run from inside it or a network connected to it, or set publicEndpoint: true",
      );
    } else if (typeof runner.cidr === "string" && parseCidr(runner.cidr)) {
      (o.authorizedCidrs as unknown[]).forEach((c, i) => {
        if (typeof c === "string" && parseCidr(c) && !isAnyAddress(c) && isPrivateCidr(c) && !cidrContains(runner.cidr, c)) {
          issue(["authorizedCidrs", i], `is outside network.runnerVpc.cidr (${runner.cidr}): the new VPC routes only to the peered runner VPC, and peering is not transitive`);
        }
      });
    }
  }
  const seen = new Map<string, number>();
  (Array.isArray(o.clusterAdmins) ? o.clusterAdmins : []).forEach((a: unknown, i: number) => {
    if (typeof a !== "string") return;
    const first = seen.get(a);
    if (first !== undefined) issue(["clusterAdmins", i], `duplicates clusterAdmins[${first}]: EKS allows one access entry per principal`);
    else seen.set(a, i);
  });
}
