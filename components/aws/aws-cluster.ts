import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type CloudClusterOutputs, CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";
import { type ClusterHandle, GPU_NODE_LABEL, RUNTIME_SERVICE_ACCOUNTS } from "../kubernetes/cluster-handle.ts";
import { ALWAYS_REFINE, parseArgs } from "../kubernetes/runtime-workload-args.ts";
import { autoDiscoveryTags, tagAutoscalingGroup } from "./asg-tags.ts";
import { parseCidr } from "./cidr-subnet.ts";
import { CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, clusterAutoscalerPolicy, createClusterAutoscaler } from "./cluster-autoscaler.ts";
import { createEcrRegistry } from "./ecr-registry.ts";
import { createCoreDnsAddon, createNetworkingAddons } from "./eks-addons.ts";
import { createEksControlPlane } from "./eks-control-plane.ts";
import { eksKubeconfig } from "./eks-kubeconfig.ts";
import { createEksNodeRole } from "./eks-node-role.ts";
import { createEncryptionKey } from "./encryption-key.ts";
import { GPU_INSTANCE_FAMILIES, isGpuInstanceType } from "./gpu-instance-types.ts";
import { createGpuNodePool, gpuPoolTaints, NODE_POOL_LABEL } from "./gpu-node-pool.ts";
import { createIrsaRole, runtimePolicy, serviceAccountSubject } from "./irsa-role.ts";
import { createManagedNodeGroup } from "./managed-node-group.ts";
import { createModelStoreBucket } from "./model-store-bucket.ts";
import { createVpcNetwork } from "./vpc-network.ts";

/** Kubernetes version a new cluster gets: the newest minor EKS offers in November 2026 (standard support until 2027-08-02). */
export const DEFAULT_KUBERNETES_VERSION = "1.36";

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label");
const nodeCount = z.number().int().min(0).max(1000);
const gpuFamilies = Object.keys(GPU_INSTANCE_FAMILIES).join(", ");

const ipv4Cidr = z.string().refine((c) => parseCidr(c) !== undefined, "must be an IPv4 CIDR like 10.0.0.0/16 (no host bits set)");
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
      })
      .strict()
      .prefault({}),
    /** Reach the API server from the internet (still authenticated, limited to `authorizedCidrs`); the private endpoint is always on. @default false */
    publicEndpoint: z.boolean().default(false),
    /** CIDRs that may reach the public endpoint (only used when `publicEndpoint`). @default ["0.0.0.0/0"] */
    authorizedCidrs: z.array(ipv4Cidr).min(1).default(["0.0.0.0/0"]),
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
    clusterAdmins: z.array(z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:/, "must be an IAM role or user ARN")).default([]),
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

/** Arguments for {@link AwsCluster}. */
export interface AwsClusterArgs extends z.input<typeof awsClusterOptions> {
  /** Runtime namespace; the cloud identity trusts exactly the runtime ServiceAccounts there. */
  namespace: string;
  /** Tags/labels on every taggable resource (the platform sets `mlops-profile: dev|production`, `mlops-environment: <stack>`). @default {} */
  tags?: Record<string, string>;
}

/** Schema of {@link AwsClusterArgs}, with the defaults. */
export const awsClusterArgs = awsClusterOptions.extend({
  namespace: dnsLabel.max(63),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
});

/** {@link AwsClusterArgs} after defaults. */
export type AwsClusterConfig = z.output<typeof awsClusterArgs>;

/** The zones used: the configured ones, else `<region>a`, `<region>b` (and `c` with highAvailability). */
export function availabilityZonesOf(cfg: Pick<AwsClusterConfig, "region" | "availabilityZones" | "highAvailability">): string[] {
  return cfg.availabilityZones ?? (cfg.highAvailability ? ["a", "b", "c"] : ["a", "b"]).map((s) => `${cfg.region}${s}`);
}

/** Lowercase `<component>-<stack>`, a valid ECR namespace. */
function defaultRepositoryPrefix(name: string): string {
  return `${name}-${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "mlops";
}

function createAwsCluster(name: string, parent: pulumi.Resource, cfg: AwsClusterConfig): CloudClusterOutputs {
  const { region, tags } = cfg;
  const key = cfg.encryption.customerManagedKey ? createEncryptionKey(name, { region, tags }, parent) : undefined;
  const network = cfg.network.existing
    ? { privateSubnetIds: cfg.network.existing.privateSubnetIds }
    : createVpcNetwork(name, { region, cidr: cfg.network.cidr, availabilityZones: availabilityZonesOf(cfg), natPerZone: cfg.highAvailability, tags }, parent);

  const { cluster, oidcProvider, issuerHost } = createEksControlPlane(
    name,
    {
      region,
      kubernetesVersion: cfg.kubernetesVersion,
      subnetIds: network.privateSubnetIds,
      publicEndpoint: cfg.publicEndpoint,
      authorizedCidrs: cfg.authorizedCidrs,
      kmsKeyArn: key?.arn,
      extendedSupport: cfg.extendedSupport,
      deletionProtection: cfg.highAvailability,
      adminPrincipalArns: cfg.clusterAdmins,
      tags,
    },
    parent,
  );

  const nodeRole = createEksNodeRole(name, { region, tags }, parent);
  const networking = createNetworkingAddons(name, { region, clusterName: cluster.name, tags }, parent);
  const nodeCommon = { region, clusterName: cluster.name, kubernetesVersion: cluster.version, nodeRoleArn: nodeRole.role.arn, subnetIds: network.privateSubnetIds, tags };
  const nodeDeps = { parent, dependsOn: [...nodeRole.attachments, ...networking] };
  const systemNodes = createManagedNodeGroup(
    `${name}-system`,
    { ...nodeCommon, ...cfg.systemPool, spot: false, labels: { [NODE_POOL_LABEL]: "system" }, taints: [] },
    nodeDeps,
  );
  tagAutoscalingGroup(`${name}-system`, systemNodes, region, autoDiscoveryTags(cluster.name), parent);
  const coreDns = createCoreDnsAddon(name, { region, clusterName: cluster.name, tags }, parent, systemNodes);
  for (const pool of cfg.gpuPools) createGpuNodePool(name, pool, nodeCommon, nodeDeps);

  const registry = createEcrRegistry(
    name,
    { region, repositoryPrefix: cfg.registry.repositoryPrefix ?? defaultRepositoryPrefix(name), keepImages: cfg.registry.keepImages, forceDelete: cfg.registry.forceDelete, kmsKeyArn: key?.arn, tags },
    parent,
  );
  const store = createModelStoreBucket(
    name,
    { region, feedbackRetentionDays: cfg.modelStore.feedbackRetentionDays, feedbackModels: cfg.modelStore.feedbackModels, forceDestroy: cfg.modelStore.forceDestroy, kmsKeyArn: key?.arn, tags },
    parent,
  );

  const runtimeRole = createIrsaRole(
    `${name}-runtime`,
    {
      oidcProviderArn: oidcProvider.arn,
      issuerHost,
      subjects: [serviceAccountSubject(cfg.namespace, RUNTIME_SERVICE_ACCOUNTS.serving), serviceAccountSubject(cfg.namespace, RUNTIME_SERVICE_ACCOUNTS.retraining)],
      policy: runtimePolicy(store.bucket.arn, key?.arn),
      tags,
    },
    parent,
  );

  const kubeconfig = eksKubeconfig({ clusterName: cluster.name, endpoint: cluster.endpoint, certificateAuthorityData: cluster.certificateAuthority.apply((ca) => ca?.data ?? ""), region });
  // The provider's kubeconfig resolves only once the system nodes and CoreDNS are up, so every
  // Kubernetes resource on this cluster waits for somewhere to run.
  const readyKubeconfig = pulumi.all([kubeconfig, systemNodes.id, coreDns.id]).apply(([k]) => k);
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: readyKubeconfig }, { parent });

  if (cfg.clusterAutoscaler.enabled) {
    const autoscalerRole = createIrsaRole(
      `${name}-cluster-autoscaler`,
      {
        oidcProviderArn: oidcProvider.arn,
        issuerHost,
        subjects: [serviceAccountSubject(CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name)],
        policy: clusterAutoscalerPolicy(cluster.name),
        tags,
      },
      parent,
    );
    createClusterAutoscaler(
      name,
      {
        clusterName: cluster.name,
        region,
        roleArn: autoscalerRole.arn,
        imageTag: cfg.clusterAutoscaler.imageTag ?? (CLUSTER_AUTOSCALER_IMAGE_TAGS[cfg.kubernetesVersion] as string),
        chartVersion: cfg.clusterAutoscaler.chartVersion,
      },
      { parent, provider, dependsOn: [systemNodes] },
    );
  }

  const token = aws.ecr.getAuthorizationTokenOutput({ registryId: registry.repository.registryId, region }, { parent });
  const handle: ClusterHandle = {
    provider,
    name: cluster.name,
    managedControlPlane: true,
    gpu:
      cfg.gpuPools.length === 0
        ? undefined
        : {
            nodeSelector: { ...GPU_NODE_LABEL },
            taints: gpuPoolTaints(),
            resourceName: "nvidia.com/gpu",
            driverInstalled: true,
            devicePluginInstalled: false,
          },
    registryUrl: registry.registryUrl,
    registryAuth: { username: token.userName, password: pulumi.secret(token.password) },
    modelStore: { kind: "bucket", url: store.url },
    workloadIdentity: { annotations: { "eks.amazonaws.com/role-arn": runtimeRole.arn }, labels: {}, podLabels: {}, serviceAccounts: { ...RUNTIME_SERVICE_ACCOUNTS } },
    runtimeEnv: { AWS_REGION: region, AWS_DEFAULT_REGION: region },
  };
  return { handle, clusterName: cluster.name, kubeconfig, apiEndpoint: cluster.endpoint, registryUrl: registry.registryUrl, bucketUrl: store.url };
}

/**
 * The AWS cloud layer as a {@link ClusterHandle}: a VPC with private node subnets and NAT
 * egress (or your own), an EKS cluster (current Kubernetes, private endpoint, all control-plane
 * logs, Secrets encrypted with a customer-managed KMS key), a CPU system node group, GPU node
 * groups on the NVIDIA AMI that scale from zero under the Cluster Autoscaler, an ECR repository,
 * an S3 model store and an IRSA role that only the runtime's two ServiceAccounts can assume.
 */
export class AwsCluster extends CloudClusterResource {
  constructor(name: string, args: AwsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:aws:AwsCluster", name, opts, (parent) => createAwsCluster(name, parent, parseArgs("AwsCluster", awsClusterArgs, args)));
  }
}
