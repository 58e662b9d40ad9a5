import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, valueOf } from "../../helpers/pulumi-mocks.ts";

const mocks = setupPulumiMocks();
const { ExistingCluster } = await import("../../../components/kubernetes/existing-cluster.ts");

beforeEach(() => mocks.reset());

test("builds a handle with a restricted namespace and a 20Gi ReadWriteOnce model store by default", async () => {
  const c = new ExistingCluster("local", { namespace: "mlops", context: "kind-mlops" });
  await mocks.settle();
  assert.equal(mocks.named("local-provider").inputs.context, "kind-mlops");
  const ns = mocks.named("local-namespace").inputs;
  assert.equal(ns.metadata.name, "mlops");
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  const pvc = mocks.named("local-model-store").inputs;
  assert.equal(pvc.metadata.namespace, "mlops");
  assert.deepEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
  assert.equal(pvc.spec.resources.requests.storage, "20Gi");
  assert.equal(pvc.spec.storageClassName, undefined);
  assert.equal(c.handle.gpu, undefined);
  assert.equal(c.handle.modelStore.kind, "pvc");
  if (c.handle.modelStore.kind === "pvc") {
    assert.equal(c.handle.modelStore.mountPath, "/var/lib/mlops/registry");
    assert.equal(await valueOf(pulumi.output(c.handle.modelStore.claimName)), "local-model-store");
  }
  assert.deepEqual(c.handle.workloadIdentity, { annotations: {}, labels: {} });
});

test("takes the storage class, size, access mode and GPU facts from its args", async () => {
  const c = new ExistingCluster("onprem", {
    namespace: "ml",
    createNamespace: false,
    kubeconfig: "apiVersion: v1\nkind: Config\n",
    modelStore: { storageClass: "nfs", size: "100Gi", accessMode: "ReadWriteMany" },
    gpu: { nodeSelector: { "nvidia.com/gpu.present": "true" }, taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }] },
  });
  await mocks.settle();
  assert.equal(mocks.ofType("kubernetes:core/v1:Namespace").length, 0);
  const pvc = mocks.named("onprem-model-store").inputs.spec;
  assert.equal(pvc.storageClassName, "nfs");
  assert.equal(pvc.resources.requests.storage, "100Gi");
  assert.deepEqual(pvc.accessModes, ["ReadWriteMany"]);
  assert.deepEqual(c.handle.gpu, {
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }],
    resourceName: "nvidia.com/gpu",
    driverInstalled: true,
    devicePluginInstalled: false,
  });
});

test("invalid args report every bad path at once", () => {
  assert.throws(
    () =>
      new ExistingCluster("bad", {
        namespace: "ML",
        modelStore: { size: "lots", accessMode: "ReadOnlyMany" as never },
        gpu: { nodeSelector: {}, taints: [{ key: "", effect: "Sometimes" as never }] },
      }),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const paths = (e as pulumi.InputPropertiesError).errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, ["gpu.nodeSelector", "gpu.taints[0].effect", "gpu.taints[0].key", "modelStore.accessMode", "modelStore.size", "namespace"]);
      return true;
    },
  );
});

test("an existing GKE cluster on COS tells the DCGM exporter where the driver is; a relative path is refused", async () => {
  const { GpuEnablement } = await import("../../../components/kubernetes/gpu-enablement.ts");
  const c = new ExistingCluster("gke", {
    namespace: "ml",
    gpu: { nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" }, devicePluginInstalled: true, driverHostPath: "/home/kubernetes/bin/nvidia", deviceIdType: "device-name" },
  });
  new GpuEnablement("gke-gpu", { cluster: c.handle });
  await mocks.settle();
  const dcgm = mocks.ofType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "dcgm-exporter");
  assert.deepEqual(dcgm?.inputs.values.extraHostVolumes, [{ name: "nvidia-driver", hostPath: "/home/kubernetes/bin/nvidia" }]);
  assert.ok(dcgm?.inputs.values.extraEnv.some((e: { name: string }) => e.name === "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE"));
  assert.throws(() => new ExistingCluster("bad", { namespace: "ml", gpu: { nodeSelector: { a: "b" }, driverHostPath: "home/nvidia" } }), /driverHostPath/);
});
