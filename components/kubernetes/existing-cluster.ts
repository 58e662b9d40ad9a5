import * as k8s from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ClusterHandle, GpuScheduling } from "./cluster-handle.ts";
import { RESTRICTED_POD_SECURITY } from "./labels.ts";
import { inputString, parseArgs } from "./runtime-workload-args.ts";
import { DEFAULT_REGISTRY_MOUNT } from "./runtime-workload.ts";

/** Arguments for {@link ExistingCluster}. */
export interface ExistingClusterArgs {
  /** Kubeconfig contents (keep it a secret). @default - the ambient KUBECONFIG (or ~/.kube/config) */
  kubeconfig?: pulumi.Input<string>;
  /** Context of the kubeconfig to use (e.g. "kind-mlops", "k3d-mlops", "minikube"). @default - the kubeconfig's current context */
  context?: string;
  /** Human name of the cluster, for labels and dashboards. @default "existing" */
  clusterName?: string;
  /** Namespace the runtime (and the model store's PVC) lives in. */
  namespace: string;
  /** Create the namespace, with Pod Security `restricted` enforced. @default true */
  createNamespace?: boolean;
  /** The PVC-backed model store. */
  modelStore?: {
    /** StorageClass of the claim (kind: "standard", k3d: "local-path"). @default - the cluster's default StorageClass */
    storageClass?: string;
    /** Requested size. @default "20Gi" */
    size?: string;
    /** ReadWriteOnce suits one node (kind, k3d, minikube); servers spread over several nodes need ReadWriteMany. @default "ReadWriteOnce" */
    accessMode?: "ReadWriteOnce" | "ReadWriteMany";
    /** Where runtime pods mount it; also their `--registry`. @default "/var/lib/mlops/registry" */
    mountPath?: string;
  };
  /** GPU nodes of the cluster. @default - no GPU nodes */
  gpu?: {
    /** Labels selecting GPU nodes. */
    nodeSelector: Record<string, string>;
    /** Taints the GPU nodes carry. @default [] */
    taints?: GpuScheduling["taints"];
    /** Extended resource name. @default "nvidia.com/gpu" */
    resourceName?: string;
    /** The node image has the NVIDIA driver. @default true */
    driverInstalled?: boolean;
    /** A device plugin already runs. @default false */
    devicePluginInstalled?: boolean;
    /** Host directory of the NVIDIA driver on nodes without the NVIDIA container runtime (GKE COS: "/home/kubernetes/bin/nvidia"); the DCGM exporter mounts it. @default - the runtime injects the driver */
    driverHostPath?: string;
    /** How the running device plugin names GPUs to the kubelet: "device-name" for GKE's. @default - "uid" (NVIDIA's plugin) */
    deviceIdType?: "uid" | "device-name";
  };
  /** Container registry the cluster pulls from (e.g. "localhost:5001" for a kind registry). @default - none */
  registryUrl?: pulumi.Input<string>;
  /** The control plane is run by a cloud (an existing EKS/GKE/AKS cluster): its components are not scraped or alerted on. @default false */
  managedControlPlane?: boolean;
}

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label");

/** Schema of {@link ExistingClusterArgs}, with the defaults. */
export const existingClusterArgs = z
  .object({
    kubeconfig: inputString.optional(),
    context: z.string().min(1).optional(),
    clusterName: z.string().min(1).default("existing"),
    namespace: dnsLabel,
    createNamespace: z.boolean().default(true),
    modelStore: z
      .object({
        storageClass: z.string().min(1).optional(),
        size: z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)$/, "must be a quantity like 20Gi").default("20Gi"),
        accessMode: z.enum(["ReadWriteOnce", "ReadWriteMany"]).default("ReadWriteOnce"),
        mountPath: z.string().regex(/^\/[^:]*$/, "must be an absolute path").default(DEFAULT_REGISTRY_MOUNT),
      })
      .strict()
      .prefault({}),
    gpu: z
      .object({
        nodeSelector: z.record(z.string(), z.string()).refine((s) => Object.keys(s).length > 0, "must have at least one label"),
        taints: z
          .array(z.object({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]) }).strict())
          .default([]),
        resourceName: z.string().min(1).default("nvidia.com/gpu"),
        driverInstalled: z.boolean().default(true),
        devicePluginInstalled: z.boolean().default(false),
        driverHostPath: z.string().regex(/^\/[^:]*$/, "must be an absolute path").optional(),
        deviceIdType: z.enum(["uid", "device-name"]).optional(),
      })
      .strict()
      .optional(),
    registryUrl: inputString.optional(),
    managedControlPlane: z.boolean().default(false),
  })
  .strict();

/**
 * A Kubernetes cluster the user already runs (kind, k3d, minikube, on-prem) as a
 * {@link ClusterHandle}: a provider from a kubeconfig or context, a PVC-backed model store in
 * the runtime namespace, and GPU facts as given (no cloud identity).
 */
export class ExistingCluster extends pulumi.ComponentResource {
  /** The handle the Kubernetes layer consumes. */
  public readonly handle: ClusterHandle;
  /** The runtime namespace (created here unless `createNamespace` is false). */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the model store's PersistentVolumeClaim. */
  public readonly modelStoreClaimName: pulumi.Output<string>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:kubernetes:ExistingCluster", name, {}, opts);
    const cfg = parseArgs("ExistingCluster", existingClusterArgs, args);
    const provider = new k8s.Provider(
      `${name}-provider`,
      { kubeconfig: cfg.kubeconfig === undefined ? undefined : pulumi.secret(cfg.kubeconfig), context: cfg.context },
      { parent: this },
    );
    const childOpts = { parent: this, provider };
    const ns = cfg.createNamespace
      ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: cfg.namespace, labels: { ...RESTRICTED_POD_SECURITY } } }, childOpts).metadata.name
      : pulumi.output(cfg.namespace);
    const pvc = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-model-store`,
      {
        metadata: { namespace: ns, labels: { "app.kubernetes.io/part-of": "pulumi-mlops", "app.kubernetes.io/component": "model-store" } },
        spec: {
          accessModes: [cfg.modelStore.accessMode],
          storageClassName: cfg.modelStore.storageClass,
          resources: { requests: { storage: cfg.modelStore.size } },
        },
      },
      childOpts,
    );
    this.namespace = ns;
    this.modelStoreClaimName = pvc.metadata.name;
    this.handle = {
      provider,
      name: cfg.clusterName,
      managedControlPlane: cfg.managedControlPlane,
      gpu: cfg.gpu,
      registryUrl: cfg.registryUrl,
      modelStore: { kind: "pvc", claimName: pvc.metadata.name, mountPath: cfg.modelStore.mountPath },
      workloadIdentity: { annotations: {}, labels: {} },
    };
    this.registerOutputs({ namespace: this.namespace, modelStoreClaimName: this.modelStoreClaimName });
  }
}
