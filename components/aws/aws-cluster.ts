import * as aws from "./sdk.ts";
import * as k8s from "../kubernetes/sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type CloudClusterOutputs, CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";
import { type ClusterHandle, GPU_NODE_LABEL, RUNTIME_SERVICE_ACCOUNTS } from "../kubernetes/cluster-handle.ts";
import { ALWAYS_REFINE, parseArgs } from "../kubernetes/runtime-workload-args.ts";
import { checkEndpointAccess, cidrContains, cidrsOverlap, ipv4Cidr, isAnyAddress, isPrivateCidr, parseCidr, refusePlaceholder, refusePlaceholderCidrs } from "../network/index.ts";
import { awsClusterOptions, checkAwsClusterOptions, dnsLabel } from "./options.ts";
import { managedPolicyArn } from "./aws-partition.ts";
import { autoDiscoveryTags, tagAutoscalingGroup } from "./asg-tags.ts";
import { CLUSTER_AUTOSCALER_CHART_VERSION, CLUSTER_AUTOSCALER_IMAGE_TAGS, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, clusterAutoscalerPolicy, createClusterAutoscaler } from "./cluster-autoscaler.ts";
import { createEcrRegistry } from "./ecr-registry.ts";
import { createCoreDnsAddon, createEbsCsiAddon, createMetricsServerAddon, createNetworkingAddons, EBS_CSI_MANAGED_POLICY, EBS_CSI_SERVICE_ACCOUNT, ebsCsiKmsPolicy } from "./eks-addons.ts";
import { createEksControlPlane } from "./eks-control-plane.ts";
import { type EksCredentials, eksKubeconfig } from "./eks-kubeconfig.ts";
import { createEksNodeRole } from "./eks-node-role.ts";
import { createEncryptionKey } from "./encryption-key.ts";
import { createGp3StorageClass } from "./gp3-storage-class.ts";
import { GPU_INSTANCE_FAMILIES, isGpuInstanceType } from "./gpu-instance-types.ts";
import { createGpuNodePool, gpuPoolTaints, NODE_POOL_LABEL } from "./gpu-node-pool.ts";
import { gpuQuotaMessage } from "./gpu-quota.ts";
import { createIrsaRole, runtimePolicy, serviceAccountSubject } from "./irsa-role.ts";
import { createManagedNodeGroup } from "./managed-node-group.ts";
import { createModelStoreBucket } from "./model-store-bucket.ts";
import { createVpcNetwork } from "./vpc-network.ts";


/** Arguments for {@link AwsCluster}. */
export interface AwsClusterArgs extends z.input<typeof awsClusterOptions> {
  /** Runtime namespace; the cloud identity trusts exactly the runtime ServiceAccounts there. */
  namespace: string;
  /** Tags/labels on every taggable resource (the platform sets `mlops-profile: dev|production`, `mlops-environment: <stack>`). @default {} */
  tags?: Record<string, string>;
  /** The credentials the kubeconfig's `aws eks get-token` uses: set them to the aws provider's (MlopsPlatform passes `aws:profile` and `aws:assumeRoles`), so Kubernetes sees the identity EKS made cluster admin. @default - the AWS CLI's default chain */
  credentials?: EksCredentials;
}

/** Schema of {@link AwsClusterArgs}, with the defaults. */
export const awsClusterArgs = awsClusterOptions
  .extend({
    namespace: dnsLabel.max(63),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    credentials: z
      .object({
        profile: z.string().min(1).optional(),
        roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/./, "must be an IAM role ARN").optional(),
      })
      .strict()
      .default({}),
  })
  .superRefine((o, ctx) => checkAwsClusterOptions(o, ctx), ALWAYS_REFINE);

/** {@link AwsClusterArgs} after defaults. */
export type AwsClusterConfig = z.output<typeof awsClusterArgs>;

/** The zones used: the configured ones, else `<region>a`, `<region>b` (and `c` with highAvailability). */
export function availabilityZonesOf(cfg: Pick<AwsClusterConfig, "region" | "availabilityZones" | "highAvailability">): string[] {
  return cfg.availabilityZones ?? (cfg.highAvailability ? ["a", "b", "c"] : ["a", "b"]).map((s) => `${cfg.region}${s}`);
}

/** True for an id whose hex part is all zeros (`vpc-00000000000000000`): the shipped stacks' placeholder. */
const isPlaceholderId = (id: string): boolean => /^[a-z]+-0+$/.test(id);

/** Like refusePlaceholderCidrs, for the runner VPC's ids. */
function refusePlaceholderIds(runner: { vpcId: string; routeTableIds: string[] } | undefined): void {
  const placeholders = runner ? [runner.vpcId, ...runner.routeTableIds].filter(isPlaceholderId) : [];
  if (placeholders.length === 0) return;
  refusePlaceholder(
    `aws.network.runnerVpc holds the placeholder ${placeholders.join(", ")}: set the id of the VPC pulumi up runs in and of its route tables (aws ec2 describe-route-tables --filters Name=vpc-id,Values=<vpc-id>)`,
  );
}

/** Lowercase `<component>-<stack>`, a valid ECR namespace. */
function defaultRepositoryPrefix(name: string): string {
  return `${name}-${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "mlops";
}

function createAwsCluster(name: string, parent: pulumi.Resource, cfg: AwsClusterConfig): CloudClusterOutputs {
  const { region, tags } = cfg;
  const authorizedCidrs = cfg.authorizedCidrs ?? [];
  refusePlaceholderCidrs(authorizedCidrs, "aws.authorizedCidrs");
  refusePlaceholderIds(cfg.network.runnerVpc);
  const quota = gpuQuotaMessage(cfg.gpuPools, region);
  if (quota !== undefined) void pulumi.log.info(quota, parent);

  const key = cfg.encryption.customerManagedKey ? createEncryptionKey(name, { region, tags }, parent) : undefined;
  const network = cfg.network.existing
    ? { privateSubnetIds: cfg.network.existing.privateSubnetIds, connectivity: [] }
    : createVpcNetwork(
        name,
        { region, cidr: cfg.network.cidr, availabilityZones: availabilityZonesOf(cfg), natPerZone: cfg.highAvailability, runnerVpc: cfg.network.runnerVpc, tags },
        parent,
      );

  const { cluster, oidcProvider, issuerHost, apiAccess } = createEksControlPlane(
    name,
    {
      region,
      kubernetesVersion: cfg.kubernetesVersion,
      subnetIds: network.privateSubnetIds,
      publicEndpoint: cfg.publicEndpoint,
      authorizedCidrs,
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
  const addonArgs = { region, clusterName: cluster.name, tags };
  const coreDns = createCoreDnsAddon(name, addonArgs, parent, systemNodes);
  const metricsServer = createMetricsServerAddon(name, addonArgs, parent, systemNodes);
  const ebsCsiRole = createIrsaRole(
    `${name}-ebs-csi`,
    {
      oidcProviderArn: oidcProvider.arn,
      issuerHost,
      subjects: [serviceAccountSubject(EBS_CSI_SERVICE_ACCOUNT.namespace, EBS_CSI_SERVICE_ACCOUNT.name)],
      managedPolicyArns: [managedPolicyArn(region, EBS_CSI_MANAGED_POLICY)],
      policy: key === undefined ? undefined : ebsCsiKmsPolicy(key.arn),
      tags,
    },
    parent,
  );
  const ebsCsi = createEbsCsiAddon(name, { ...addonArgs, roleArn: ebsCsiRole.role.arn }, parent, [systemNodes, ...ebsCsiRole.permissions]);
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

  const kubeconfig = eksKubeconfig({
    clusterName: cluster.name,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.apply((ca) => ca?.data ?? ""),
    region,
    ...cfg.credentials,
  });
  // The provider's kubeconfig resolves only once the API is reachable from here (security-group
  // rules, runner peering) and the system nodes, CoreDNS, metrics-server and the EBS CSI driver are
  // up, so every Kubernetes resource on this cluster waits for somewhere to run and store.
  const ready = [systemNodes, coreDns, metricsServer, ebsCsi, ...apiAccess, ...network.connectivity].map((r) => (r as pulumi.CustomResource).id);
  const readyKubeconfig = pulumi.all([kubeconfig, ...ready]).apply(([k]) => k);
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: readyKubeconfig }, { parent });
  createGp3StorageClass(name, { kmsKeyArn: key?.arn }, { parent, provider, dependsOn: [ebsCsi] });

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
        roleArn: autoscalerRole.role.arn,
        imageTag: cfg.clusterAutoscaler.imageTag ?? (CLUSTER_AUTOSCALER_IMAGE_TAGS[cfg.kubernetesVersion] as string),
        chartVersion: cfg.clusterAutoscaler.chartVersion,
      },
      { parent, provider, dependsOn: [systemNodes, ...autoscalerRole.permissions] },
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
    workloadIdentity: { annotations: { "eks.amazonaws.com/role-arn": runtimeRole.role.arn }, labels: {}, podLabels: {}, serviceAccounts: { ...RUNTIME_SERVICE_ACCOUNTS } },
    runtimeEnv: { AWS_REGION: region, AWS_DEFAULT_REGION: region },
  };
  return { handle, clusterName: cluster.name, kubeconfig, apiEndpoint: cluster.endpoint, registryUrl: registry.registryUrl, bucketUrl: store.url };
}

/**
 * The AWS cloud layer as a {@link ClusterHandle}: a VPC with private node subnets and NAT
 * egress (or your own; optionally peered with the runner's VPC), an EKS cluster (current
 * Kubernetes, private endpoint, API reachable only from `authorizedCidrs`, all control-plane logs,
 * Secrets encrypted with a customer-managed KMS key), the add-ons a workload needs (VPC CNI with
 * NetworkPolicy enforcement, kube-proxy, CoreDNS, metrics-server, the EBS CSI driver and a
 * default encrypted gp3 StorageClass), a CPU system node group, GPU node groups on the NVIDIA AMI
 * that scale from zero under the Cluster Autoscaler, an ECR repository, an S3 model store and an
 * IRSA role that only the runtime's two ServiceAccounts can assume.
 */
export class AwsCluster extends CloudClusterResource {
  constructor(name: string, args: AwsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:aws:AwsCluster", name, opts, (parent) => createAwsCluster(name, parent, parseArgs("AwsCluster", awsClusterArgs, args)));
  }
}
