import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, type RecordedResource } from "../../helpers/pulumi-mocks.ts";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import type { ClusterHandle, GpuScheduling } from "../../../components/kubernetes/cluster-handle.ts";
import { GPU_CHARTS, GpuEnablement } from "../../../components/kubernetes/gpu-enablement.ts";

type Recorded = RecordedResource;
const mocks = setupPulumiMocks();
const recorded = mocks.resources;

let seq = 0;
function cluster(gpu: Partial<GpuScheduling> | null = {}): ClusterHandle {
  return {
    provider: new k8s.Provider(`k8s-${++seq}`, {}),
    name: "test",
    ...(gpu === null
      ? {}
      : {
          gpu: {
            nodeSelector: { "mlops.dev/gpu": "true", "node.kubernetes.io/instance-type": "g5.xlarge" },
            taints: [
              { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
              { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" },
              { key: "dedicated", effect: "NoExecute" },
            ],
            resourceName: "nvidia.com/gpu",
            driverInstalled: true,
            devicePluginInstalled: false,
            ...gpu,
          },
        }),
    modelStore: { kind: "pvc", claimName: "models", mountPath: "/models" },
    workloadIdentity: { annotations: {}, labels: {} },
  };
}

/** Builds the component and returns the resources registered under its name once they settle. */
async function synth(name: string, build: () => GpuEnablement): Promise<Recorded[]> {
  const c = build();
  await new Promise<void>((resolve) => c.namespace.apply(() => resolve()));
  await mocks.settle();
  return recorded.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
}
const chart = (rs: Recorded[], chartName: string) => rs.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === chartName);

const tolerates = (tolerations: any[], taint: { key: string; value?: string; effect: string }) =>
  tolerations.some(
    (t) => t.key === taint.key && (t.effect === undefined || t.effect === taint.effect) && (t.operator === "Exists" || t.value === taint.value),
  );

describe("GpuEnablement", () => {
  it("pins the device plugin chart and schedules it only on the GPU nodes, tolerating their taints", async () => {
    const h = cluster();
    const rs = await synth("gpu1", () => new GpuEnablement("gpu1", { cluster: h }));
    const dp = chart(rs, "nvidia-device-plugin");
    assert.ok(dp, "device plugin chart");
    assert.equal(dp.inputs.version, GPU_CHARTS.devicePlugin.version);
    assert.match(dp.inputs.version, /^v?\d+\.\d+\.\d+$/);
    assert.equal(dp.inputs.repositoryOpts.repo, "https://nvidia.github.io/k8s-device-plugin");
    const terms = dp.inputs.values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.equal(terms.length, 1, "one term: every label must match");
    assert.deepEqual(terms[0].matchExpressions, [
      { key: "mlops.dev/gpu", operator: "In", values: ["true"] },
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["g5.xlarge"] },
    ]);
    assert.deepEqual(dp.inputs.values.nodeSelector, h.gpu?.nodeSelector);
    for (const taint of h.gpu?.taints ?? []) assert.ok(tolerates(dp.inputs.values.tolerations, taint), `tolerates ${taint.key}`);
    assert.ok(dp.inputs.values.resources.limits.memory, "resource limits set");
    assert.equal(rs.find((r) => r.type === "mlops:kubernetes:GpuEnablement")?.name, "gpu1");
  });

  it("skips the device plugin when the cluster already runs one", async () => {
    const rs = await synth("gpu2", () => new GpuEnablement("gpu2", { cluster: cluster({ devicePluginInstalled: true }) }));
    assert.equal(chart(rs, "nvidia-device-plugin"), undefined);
    assert.ok(chart(rs, "dcgm-exporter"), "DCGM still deployed");
  });

  it("deploys the DCGM exporter with the explicit nvidia.com/gpu toleration, the handle's taints and a ServiceMonitor", async () => {
    const h = cluster({ taints: [{ key: "sku", value: "gpu", effect: "NoSchedule" }] });
    const rs = await synth("gpu3", () => new GpuEnablement("gpu3", { cluster: h, serviceMonitorLabels: { release: "monitoring" } }));
    const dcgm = chart(rs, "dcgm-exporter");
    assert.ok(dcgm);
    assert.equal(dcgm.inputs.version, GPU_CHARTS.dcgmExporter.version);
    assert.equal(dcgm.inputs.repositoryOpts.repo, "https://nvidia.github.io/dcgm-exporter/helm-charts");
    assert.ok(dcgm.inputs.values.tolerations.some((t: any) => t.key === "nvidia.com/gpu" && t.operator === "Exists" && t.effect === "NoSchedule"));
    assert.ok(tolerates(dcgm.inputs.values.tolerations, { key: "sku", value: "gpu", effect: "NoSchedule" }));
    assert.deepEqual(dcgm.inputs.values.nodeSelector, h.gpu?.nodeSelector);
    assert.equal(dcgm.inputs.values.serviceMonitor.enabled, true);
    assert.deepEqual(dcgm.inputs.values.serviceMonitor.additionalLabels, { release: "monitoring" });
  });

  it("turns the GPU operator's driver and toolkit off when the node image has them", async () => {
    const rs = await synth("gpu4", () => new GpuEnablement("gpu4", { cluster: cluster({ driverInstalled: true }), mode: "gpu-operator" }));
    const op = chart(rs, "gpu-operator");
    assert.ok(op);
    assert.equal(op.inputs.version, GPU_CHARTS.gpuOperator.version);
    assert.equal(op.inputs.repositoryOpts.repo, "https://helm.ngc.nvidia.com/nvidia");
    assert.equal(op.inputs.values.driver.enabled, false);
    assert.equal(op.inputs.values.toolkit.enabled, false);
    assert.equal(op.inputs.values.devicePlugin.enabled, true);
    assert.equal(op.inputs.values.dcgmExporter.enabled, false, "the standalone DCGM chart is the one exporting");
    for (const t of cluster().gpu?.taints ?? []) assert.ok(tolerates(op.inputs.values.daemonsets.tolerations, t));
    assert.equal(chart(rs, "nvidia-device-plugin"), undefined);
  });

  it("lets the GPU operator install the driver (and toolkit) on bare node images, and keeps the toolkit when asked", async () => {
    const bare = chart(await synth("gpu5", () => new GpuEnablement("gpu5", { cluster: cluster({ driverInstalled: false }), mode: "gpu-operator" })), "gpu-operator");
    assert.equal(bare?.inputs.values.driver.enabled, true);
    assert.equal(bare?.inputs.values.toolkit.enabled, true);
    const gke = chart(
      await synth("gpu6", () => new GpuEnablement("gpu6", { cluster: cluster({ driverInstalled: true, devicePluginInstalled: true }), mode: "gpu-operator", toolkitInstalled: false })),
      "gpu-operator",
    );
    assert.equal(gke?.inputs.values.driver.enabled, false);
    assert.equal(gke?.inputs.values.toolkit.enabled, true);
    assert.equal(gke?.inputs.values.devicePlugin.enabled, false);
  });

  it("configures time-slicing through a ConfigMap the device plugin reads", async () => {
    const rs = await synth("gpu7", () => new GpuEnablement("gpu7", { cluster: cluster(), timeSlicing: { replicas: 4 } }));
    const cm = rs.find((r) => r.type === "kubernetes:core/v1:ConfigMap");
    assert.ok(cm);
    assert.match(cm.inputs.data["time-slicing"], /timeSlicing:\n\s+resources:\n\s+- name: nvidia.com\/gpu\n\s+replicas: 4/);
    const dp = chart(rs, "nvidia-device-plugin");
    assert.deepEqual(dp?.inputs.values.config, { name: cm.inputs.metadata.name, default: "time-slicing" });
  });

  it("runs in its own namespace with the privileged Pod Security level the host-path daemons need", async () => {
    const rs = await synth("gpu8", () => new GpuEnablement("gpu8", { cluster: cluster(), namespace: "gpu" }));
    const ns = rs.find((r) => r.type === "kubernetes:core/v1:Namespace");
    assert.equal(ns?.inputs.metadata.name, "gpu");
    assert.equal(ns?.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    for (const c of rs.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart")) assert.equal(c.inputs.namespace, "gpu");
  });

  it("creates Kubernetes objects that validate against their OpenAPI schemas", async () => {
    const rs = await synth("gpu9", () => new GpuEnablement("gpu9", { cluster: cluster(), timeSlicing: { replicas: 2 } }));
    const objects = rs.filter((r) => r.type === "kubernetes:core/v1:ConfigMap" || r.type === "kubernetes:core/v1:Namespace");
    assert.equal(objects.length, 2);
    for (const r of objects) {
      const model = r.type.endsWith("ConfigMap") ? new ConfigMap(r.inputs as never) : new Namespace(r.inputs as never);
      assert.doesNotThrow(() => model.validate(), r.name);
    }
  });

  it("reports every invalid argument at once with its path", () => {
    assert.throws(
      () => new GpuEnablement("bad1", { cluster: cluster({ nodeSelector: {} }), mode: "amd" as never, timeSlicing: { replicas: 1 }, namespace: "Not_A_Label" }),
      (err: Error) => {
        assert.ok(pulumi.InputPropertiesError.isInstance(err));
        const paths = (err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort();
        assert.deepEqual(paths, ["cluster.gpu.nodeSelector", "mode", "namespace", "timeSlicing.replicas"]);
        return true;
      },
    );
    assert.throws(() => new GpuEnablement("bad2", { cluster: cluster(null) }), /cluster\.gpu: the cluster has no GPU/);
  });
});

describe("GpuEnablementArgs documentation", () => {
  it("applies exactly the defaults its Args documentation states, and documents every field", async () => {
    const { gpuEnablementArgsSchema } = await import("../../../components/kubernetes/gpu-enablement.ts");
    const { readFileSync } = await import("node:fs");
    const source = readFileSync(new URL("../../../components/kubernetes/gpu-enablement.ts", import.meta.url), "utf8");
    const iface = source.slice(source.indexOf("export interface GpuEnablementArgs"), source.indexOf("export const gpuEnablementArgsSchema"));
    const documented = [...iface.matchAll(/@default ([^*]+?) \*\/\s+(\w+)\?:/g)].filter((m) => !m[1]?.startsWith("-"));
    assert.ok(documented.length >= 4);
    const parsed = gpuEnablementArgsSchema.parse({ cluster: cluster() }) as Record<string, unknown>;
    for (const [, doc, field] of documented) assert.deepEqual(parsed[field as string], JSON.parse(doc as string), String(field));
    for (const m of iface.matchAll(/\n  (\w+)\??:/g)) assert.match(iface, new RegExp(`/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\s+${m[1]}\\??:`), `${m[1]} is documented`);
  });
});
