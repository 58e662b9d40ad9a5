// The platform's Alertmanager configuration as a cluster would run it: Monitoring's root AlertmanagerConfig
// and Retraining's webhook route rendered under Pulumi's mocks, then converted as the operator does.
import * as k8s from "@pulumi/kubernetes";
import type { AlertingArgs } from "../../components/kubernetes/alert-routing.ts";
import type { ClusterHandle } from "../../components/kubernetes/cluster-handle.ts";
import { Monitoring } from "../../components/kubernetes/monitoring.ts";
import { Retraining } from "../../components/kubernetes/retraining.ts";
import { type AlertmanagerConfigObject, type SecretReader, operatorAlertmanagerConfig } from "./alertmanager-operator.ts";
import type { PulumiMocks } from "./pulumi-mocks.ts";

/** Namespaces of the rendered platform. */
export const PLATFORM_NAMESPACES = { runtime: "mlops", monitoring: "monitoring" } as const;

let seq = 0;
/**
 * Renders Monitoring (with `alerting`) and Retraining for `model` under the installed mocks and returns
 * both AlertmanagerConfig objects and the Alertmanager config the operator would generate from them.
 * Secret values Monitoring stores are read back from its Secret; other Secrets come from `secrets`.
 */
export async function renderPlatformAlerting(
  mocks: PulumiMocks,
  alerting: AlertingArgs | undefined,
  options: { model?: string; secrets?: Record<string, string> } = {},
): Promise<{ root: AlertmanagerConfigObject; retraining: AlertmanagerConfigObject; config: Record<string, unknown> }> {
  const id = `alerting-${++seq}`;
  const cluster: ClusterHandle = {
    provider: new k8s.Provider(`${id}-k8s`, {}),
    name: id,
    registryUrl: "registry.example.com/mlops",
    modelStore: { kind: "bucket", url: "s3://models" },
    workloadIdentity: { annotations: {}, labels: {} },
  };
  const monitoring = new Monitoring(`${id}-mon`, { cluster, namespace: PLATFORM_NAMESPACES.monitoring, alerting });
  new Retraining(`${id}-rt`, {
    cluster,
    namespace: PLATFORM_NAMESPACES.runtime,
    image: "registry.example.com/mlops/runtime:1",
    policy: { model: options.model ?? "churn" },
    monitoring: { namespace: PLATFORM_NAMESPACES.monitoring, serviceMonitorLabels: monitoring.serviceMonitorLabels },
  });
  await new Promise((resolve) => monitoring.grafanaUrl.apply(resolve));
  await mocks.settle();
  const mine = mocks.resources.filter((r) => r.name.startsWith(`${id}-`));
  const amcs = mine.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig");
  const object = (r: (typeof amcs)[number]): AlertmanagerConfigObject => ({ namespace: r.inputs.metadata.namespace, name: r.inputs.metadata.name ?? r.name, spec: r.inputs.spec });
  const root = object(amcs.find((r) => r.name === `${id}-mon-alert-routing`)!);
  const retraining = object(amcs.find((r) => r.name === `${id}-rt-alert-route`)!);
  const unwrap = (v: any): any => (typeof v === "object" && v !== null && "value" in v ? unwrap(v.value) : v);
  const stored = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === `${id}-mon-alerting`);
  const data: Record<string, string> = Object.fromEntries(Object.entries(unwrap(stored?.inputs.stringData) ?? {}).map(([k, v]) => [k, String(unwrap(v))]));
  const readSecret: SecretReader = (namespace, s) => {
    const value = s.name === stored?.inputs.metadata.name ? data[s.key] : options.secrets?.[`${namespace}/${s.name}/${s.key}`];
    if (value === undefined) throw new Error(`secret ${namespace}/${s.name} has no key ${s.key}`);
    return value;
  };
  return { root, retraining, config: operatorAlertmanagerConfig(root, [retraining], readSecret) };
}
