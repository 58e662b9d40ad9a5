import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies, type PolicyInputResource } from "../../../components/policy/index.ts";

const POLICY = "containers-non-root-with-limits";
const messages = (resources: PolicyInputResource[], config = {}) => evaluatePolicies(resources, config).filter((v) => v.policy === POLICY).map((v) => v.message);

const hardened = { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } };
const limits = { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "250m", memory: "512Mi" } };
const container = (over: Record<string, unknown> = {}) => ({ name: "runtime", image: "runtime:1", resources: limits, securityContext: hardened, ...over });
const podSpec = (over: Record<string, unknown> = {}) => ({ securityContext: { runAsNonRoot: true, runAsUser: 10001 }, containers: [container()], ...over });
const deployment = (spec: Record<string, unknown>, name = "serving"): PolicyInputResource => ({ type: "kubernetes:apps/v1:Deployment", name, inputs: { apiVersion: "apps/v1", kind: "Deployment", spec: { template: { spec } } } });

describe("containers-non-root-with-limits", () => {
  it("passes a hardened Deployment", () => {
    assert.deepEqual(messages([deployment(podSpec())]), []);
  });

  it("fails a container without limits, running as root, escalating and privileged", () => {
    const bad = container({ resources: { requests: { cpu: "1" } }, securityContext: { runAsUser: 0, privileged: true } });
    assert.deepEqual(messages([deployment({ containers: [bad] })]), [
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].resources.limits.cpu is not set; every container needs CPU and memory limits',
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].resources.limits.memory is not set; every container needs CPU and memory limits',
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].securityContext.runAsNonRoot is not set and spec.template.spec.securityContext.runAsNonRoot is not set; containers must run as non-root',
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].securityContext.runAsUser is 0; containers must not run as root (uid 0)',
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is not set; containers must set allowPrivilegeEscalation false',
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.containers[0].securityContext.privileged is true; containers must not be privileged',
    ]);
  });

  it("takes runAsNonRoot from the pod when the container leaves it unset, and checks init containers", () => {
    const init = { name: "init", image: "busybox", resources: limits, securityContext: { allowPrivilegeEscalation: false } };
    const spec = podSpec({ containers: [container({ securityContext: { allowPrivilegeEscalation: false } })], initContainers: [init] });
    assert.deepEqual(messages([deployment(spec)]), []);
    const rootPod = podSpec({ securityContext: { runAsUser: 0, runAsNonRoot: true }, initContainers: [init] });
    assert.deepEqual(messages([deployment(rootPod)]), [
      'kubernetes:apps/v1:Deployment "serving": spec.template.spec.securityContext.runAsUser is 0; containers must not run as root (uid 0; applies to initContainers[0])',
    ]);
  });

  it("finds pod specs in CronJobs, Jobs, StatefulSets, DaemonSets, ReplicaSets and Pods", () => {
    const bad = { containers: [container({ securityContext: { ...hardened, allowPrivilegeEscalation: true } })] };
    const resources: PolicyInputResource[] = [
      { type: "kubernetes:batch/v1:CronJob", name: "cron", inputs: { spec: { schedule: "0 3 * * 0", jobTemplate: { spec: { template: { spec: bad } } } } } },
      { type: "kubernetes:batch/v1:Job", name: "job", inputs: { spec: { template: { spec: bad } } } },
      { type: "kubernetes:apps/v1:StatefulSet", name: "sts", inputs: { spec: { template: { spec: bad } } } },
      { type: "kubernetes:apps/v1:DaemonSet", name: "ds", inputs: { spec: { template: { spec: bad } } } },
      { type: "kubernetes:apps/v1:ReplicaSet", name: "rs", inputs: { spec: { template: { spec: bad } } } },
      { type: "kubernetes:core/v1:Pod", name: "pod", inputs: { spec: bad } },
    ];
    assert.deepEqual(messages(resources), [
      'kubernetes:batch/v1:CronJob "cron": spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
      'kubernetes:batch/v1:Job "job": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
      'kubernetes:apps/v1:StatefulSet "sts": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
      'kubernetes:apps/v1:DaemonSet "ds": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
      'kubernetes:apps/v1:ReplicaSet "rs": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
      'kubernetes:core/v1:Pod "pod": spec.containers[0].securityContext.allowPrivilegeEscalation is true; containers must set allowPrivilegeEscalation false',
    ]);
  });

  it("checks a Job template shipped in a ConfigMap as JSON and ignores other JSON documents", () => {
    const job = { apiVersion: "batch/v1", kind: "Job", spec: { template: { spec: podSpec({ containers: [container({ resources: { limits: { cpu: "2" } } })] }) } } };
    const configMap: PolicyInputResource = { type: "kubernetes:core/v1:ConfigMap", name: "job-template", inputs: { data: { "job-template.json": JSON.stringify(job), "dashboard.json": '{"uid":"x"}', "policy.json": "not json" } } };
    assert.deepEqual(messages([configMap]), [
      'kubernetes:core/v1:ConfigMap "job-template": data["job-template.json"].spec.template.spec.containers[0].resources.limits.memory is not set; every container needs CPU and memory limits',
    ]);
  });

  it("skips objects rendered by a Helm chart unless configured to check them", () => {
    const chart: PolicyInputResource = { type: "kubernetes:helm.sh/v4:Chart", name: "device-plugin", inputs: {} };
    const daemonSet: PolicyInputResource = { type: "kubernetes:apps/v1:DaemonSet", name: "nvidia-device-plugin", parent: "device-plugin", inputs: { spec: { template: { spec: { containers: [{ name: "plugin", image: "nvcr.io/nvidia/k8s-device-plugin" }] } } } } };
    assert.deepEqual(messages([chart, daemonSet]), []);
    assert.equal(messages([chart, daemonSet], { [POLICY]: { checkHelmChartResources: true } }).length, 4);
  });

  it("is skipped entirely when disabled in the config", () => {
    assert.deepEqual(messages([deployment({ containers: [{ name: "x" }] })], { [POLICY]: "disabled" }), []);
  });
});
