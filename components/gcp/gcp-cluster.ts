import * as gcp from "./sdk.ts";
import * as k8s from "../kubernetes/sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CloudClusterResource } from "../kubernetes/cloud-cluster-resource.ts";
import { type ClusterHandle, GPU_NODE_LABEL, RUNTIME_SERVICE_ACCOUNTS, type Taint } from "../kubernetes/cluster-handle.ts";
import { RUNTIME_IMAGE_REPOSITORY } from "../kubernetes/runtime-image.ts";
import { ALWAYS_REFINE, parseArgs } from "../kubernetes/runtime-workload-args.ts";
import { checkGcpClusterOptions, defaultZones, gcpClusterOptions, type GcpClusterArgs, GKE_COS_GPU_HOST } from "./options.ts";
import { createArtifactRegistry, grantRunnerPush } from "./artifact-registry.ts";
import { waitForArtifactRegistryPush } from "./registry-push-readiness.ts";
import { createEncryptionKey } from "./encryption-key.ts";
import { checkPublicEndpointCidrs, cidrsOverlap, isLiveDeployment, isPrivateCidr, refusePlaceholderCidrs } from "../network/index.ts";
import { createGcpNetwork } from "./gcp-network.ts";
import { gcpLabels, gcpResourceId } from "./gcp-resource-id.ts";
import { gpuPoolIssues } from "./gke-accelerators.ts";
import { createGkeCluster } from "./gke-cluster.ts";
import { gkeKubeconfig } from "./gke-kubeconfig.ts";
import { createGpuNodePool, GPU_POOL_TAINTS } from "./gpu-node-pool.ts";
import { gkeGpuQuotaMessage } from "./gpu-quota.ts";
import { createModelStoreBucket } from "./model-store-bucket.ts";
import { createNodeServiceAccount, grantRegistryRead } from "./node-service-account.ts";
import { enableProjectServices, type GCP_CLUSTER_APIS, type GcpClusterApi } from "./project-services.ts";
import { createSystemNodePool } from "./system-node-pool.ts";
import { createWorkloadIdentity } from "./workload-identity.ts";


/** Schema of {@link GcpClusterArgs}: the options plus cross-field checks. */
export const gcpClusterArgs = gcpClusterOptions
  .extend({
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label"),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((a, ctx) => checkGcpClusterOptions(a, ctx), ALWAYS_REFINE);

type GcpClusterConfig = z.output<typeof gcpClusterArgs>;

/**
 * A GPU-capable GKE Standard cluster and what the MLOps runtime needs around it, as a
 * {@link ClusterHandle}: a VPC with private nodes and Cloud NAT, the cluster (VPC-native, private
 * nodes, Workload Identity, Secrets encrypted with a customer-managed key, control-plane logs, a
 * REGULAR release channel), a CPU system pool and GPU pools that scale from zero, a private
 * Artifact Registry repository, a private versioned GCS model store, and a Google service account
 * only the runtime's two Kubernetes ServiceAccounts can use, limited to the model store's objects.
 *
 * The Google APIs it uses are enabled first ({@link GCP_CLUSTER_APIS}: Resource Manager, Compute
 * Engine, GKE, IAM, IAM Credentials, Artifact Registry, Cloud Storage, Cloud KMS with the key,
 * Container Scanning with scanning), never disabled on destroy; everything else waits for them.
 * Only Service Usage must already be on (it is in every new project). The runtime image is pushed
 * with the provider's access token, after the repository and the runner's push grant exist and
 * Artifact Registry honours the grant.
 */
export class GcpCluster extends CloudClusterResource {
  constructor(name: string, args: GcpClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:gcp:GcpCluster", name, opts, (parent) => createGcpCluster(name, parent, parseArgs("GcpCluster", gcpClusterArgs, args)));
  }
}

function createGcpCluster(name: string, parent: pulumi.Resource, cfg: GcpClusterConfig) {
  const client = gcp.organizations.getClientConfigOutput({ parent });
  const project = cfg.project === undefined ? client.project : pulumi.output(cfg.project);
  const labels = gcpLabels({ "part-of": "pulumi-mlops", ...cfg.tags });
  const zones = cfg.zones ?? defaultZones(cfg.region);
  const regional = cfg.highAvailability;
  const stack = pulumi.getStack();
  refusePlaceholderCidrs(cfg.authorizedCidrs ?? [], "gcp.authorizedCidrs");
  const quota = gkeGpuQuotaMessage(cfg.gpuPools, cfg.region, regional, cfg.project);
  if (quota !== undefined) void pulumi.log.info(quota, parent);

  const apiNames: GcpClusterApi[] = ["cloudresourcemanager", "compute", "container", "iam", "iamcredentials", "artifactregistry", "storage"];
  if (cfg.encryption.customerManagedKey) apiNames.push("cloudkms");
  if (cfg.registry.scanning) apiNames.push("containerscanning");
  const apis = enableProjectServices(name, parent, project, apiNames);
  const api = (n: GcpClusterApi) => apis[apiNames.indexOf(n)]!;
  // Resource Manager answers getProject; enabling the GKE API creates the GKE service agent.
  const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { parent, dependsOn: [api("cloudresourcemanager")] }).number;

  const key = cfg.encryption.customerManagedKey ? createEncryptionKey(name, parent, { project, region: cfg.region, rotationPeriodDays: cfg.encryption.rotationDays, labels, dependsOn: apis }) : undefined;
  const gkeAgent = pulumi.interpolate`serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`;
  // Artifact Registry creates its agent with the first repository; with CMEK the key grant must come
  // first, so the identity is generated explicitly.
  const arAgent = key ? new gcp.projects.ServiceIdentity(`${name}-artifactregistry-agent`, { project, service: "artifactregistry.googleapis.com" }, { parent, dependsOn: apis }) : undefined;
  // The storage data source also creates the Cloud Storage agent when the project has none yet.
  const gcsAgent = key ? gcp.storage.getProjectServiceAccountOutput({ project }, { parent, dependsOn: [api("storage")] }).member : undefined;
  const gkeKeyGrant = key?.grant("gke", gkeAgent);
  const arKeyGrant = key && arAgent ? key.grant("artifactregistry", arAgent.member) : undefined;
  const gcsKeyGrant = key && gcsAgent ? key.grant("gcs", gcsAgent) : undefined;

  const network = createGcpNetwork(name, parent, { project, region: cfg.region, ...cfg.network, dependsOn: apis });
  const nodeAccount = createNodeServiceAccount(name, parent, { project, accountId: gcpResourceId([name, stack, "nodes"], 30), dependsOn: apis });

  const registry = createArtifactRegistry(name, parent, {
    project,
    region: cfg.region,
    repositoryId: gcpResourceId([name, stack], 63),
    keepImages: cfg.registry.keepImages,
    immutableTags: cfg.registry.immutableTags,
    scanning: cfg.registry.scanning,
    kmsKeyName: key?.keyId,
    dependsOn: [...apis, ...(arKeyGrant ? [arKeyGrant] : [])],
    labels,
  });
  const pull = grantRegistryRead(name, parent, registry.repository, nodeAccount.member);
  // The image push (RuntimeImage, from the handle's registryUrl) waits for the runner's grant, and
  // on `pulumi up` until Artifact Registry honours it (IAM propagation).
  const push = cfg.registry.grantRunnerPush ? grantRunnerPush(name, parent, registry.repository, apis) : undefined;
  const registryUrl = push
    ? pulumi.unsecret(
        pulumi.all([registry.url, push.etag, client.accessToken]).apply(async ([url, , accessToken]) => {
          if (!isLiveDeployment()) return url;
          try {
            await waitForArtifactRegistryPush({ registryUrl: url, image: RUNTIME_IMAGE_REPOSITORY, accessToken });
          } catch (err) {
            throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), parent);
          }
          return url;
        }),
      )
    : registry.url;

  const store = createModelStoreBucket(name, parent, {
    project,
    location: cfg.region,
    feedbackRetentionDays: cfg.modelStore.feedbackRetentionDays,
    noncurrentRetentionDays: cfg.modelStore.noncurrentRetentionDays,
    forceDestroy: cfg.modelStore.forceDestroy,
    kmsKeyName: key?.keyId,
    dependsOn: [...apis, ...(gcsKeyGrant ? [gcsKeyGrant] : [])],
    labels,
  });

  const cluster = createGkeCluster(name, parent, {
    project,
    location: regional ? cfg.region : zones[0]!,
    nodeLocations: regional ? zones : undefined,
    network,
    releaseChannel: cfg.releaseChannel,
    kubernetesVersion: cfg.kubernetesVersion,
    publicEndpoint: cfg.publicEndpoint,
    authorizedCidrs: cfg.publicEndpoint ? (cfg.authorizedCidrs ?? []) : (cfg.authorizedCidrs ?? []).filter(isPrivateCidr),
    masterCidr: cfg.network.masterCidr,
    databaseEncryptionKey: key?.keyId,
    deletionProtection: cfg.deletionProtection ?? cfg.highAvailability,
    nodeServiceAccount: nodeAccount.email,
    resourceLabels: labels,
    dependsOn: [...apis, ...(gkeKeyGrant ? [gkeKeyGrant] : [])],
  });

  const poolBase = { project, cluster, serviceAccount: nodeAccount.email, resourceLabels: labels, regional };
  const system = createSystemNodePool(name, parent, { ...poolBase, ...cfg.systemPool, zoneCount: regional ? zones.length : 1 });
  const gpuPools = cfg.gpuPools.map((p) => createGpuNodePool(name, parent, { ...poolBase, ...p, poolName: p.name }));

  const identity = createWorkloadIdentity(name, parent, {
    project,
    accountId: gcpResourceId([name, stack, "runtime"], 30),
    namespace: cfg.namespace,
    serviceAccounts: RUNTIME_SERVICE_ACCOUNTS,
    bucket: store.bucket.name,
    cluster,
    dependsOn: apis,
  });

  const kubeconfig = gkeKubeconfig({
    contextName: pulumi.interpolate`gke_${project}_${cluster.location}_${cluster.name}`,
    endpoint: cluster.endpoint,
    caCertificate: cluster.masterAuth.clusterCaCertificate,
  });
  // The provider waits for the pools: Kubernetes objects need nodes, and image pulls the grant.
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig }, { parent, dependsOn: [system, ...gpuPools, pull] });

  const gpu = cfg.gpuPools.length === 0 ? undefined : gpuScheduling(GPU_POOL_TAINTS);
  const handle: ClusterHandle = {
    provider,
    name: cluster.name,
    managedControlPlane: true,
    gpu,
    registryUrl,
    // Artifact Registry takes an OAuth access token as the password of `oauth2accesstoken`.
    registryAuth: { username: "oauth2accesstoken", password: pulumi.secret(client.accessToken) },
    modelStore: { kind: "bucket", url: store.url },
    workloadIdentity: {
      annotations: { "iam.gke.io/gcp-service-account": identity.serviceAccount.email },
      labels: {},
      podLabels: {},
      serviceAccounts: { ...RUNTIME_SERVICE_ACCOUNTS },
    },
    runtimeEnv: { GOOGLE_CLOUD_PROJECT: project },
  };
  return {
    handle,
    clusterName: cluster.name,
    kubeconfig,
    apiEndpoint: pulumi.interpolate`https://${cluster.endpoint}`,
    registryUrl,
    bucketUrl: store.url,
  };
}

function gpuScheduling(taints: readonly Taint[]): NonNullable<ClusterHandle["gpu"]> {
  return {
    nodeSelector: { ...GPU_NODE_LABEL },
    taints: taints.map((t) => ({ ...t })),
    resourceName: "nvidia.com/gpu",
    // GKE installs the driver (gpuDriverInstallationConfig) and runs its own device plugin.
    driverInstalled: true,
    devicePluginInstalled: true,
    ...GKE_COS_GPU_HOST,
  };
}
