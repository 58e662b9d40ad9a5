// The platform's PrometheusRules evaluated by Prometheus itself: `promtool check rules` on the rules the
// Monitoring component renders, and `promtool test rules` with the cases that live beside them
// (components/kubernetes/alert-rule-tests.ts).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import { alertRuleTests } from "../../../components/kubernetes/alert-rule-tests.ts";
import { alertRuleGroups } from "../../../components/kubernetes/alert-rules.ts";
import type { ClusterHandle } from "../../../components/kubernetes/cluster-handle.ts";
import { Monitoring } from "../../../components/kubernetes/monitoring.ts";
import { setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";
import { runTool } from "../../helpers/prometheus-tools.ts";

const mocks = setupPulumiMocks();
let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-promtool-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const handle = (gpu: boolean): ClusterHandle => ({
  provider: new k8s.Provider(`promtool-${gpu}`, {}),
  name: "promtool",
  ...(gpu ? { gpu: { nodeSelector: { "mlops.dev/gpu": "true" }, taints: [], resourceName: "nvidia.com/gpu", driverInstalled: true, devicePluginInstalled: false } } : {}),
  modelStore: { kind: "pvc", claimName: "models", mountPath: "/models" },
  workloadIdentity: { annotations: {}, labels: {} },
});

/** The `spec` of every PrometheusRule a Monitoring component renders, by component name. */
async function renderedRules(): Promise<Map<string, { groups: unknown[] }>> {
  const outputs = [new Monitoring("promtool-gpu", { cluster: handle(true), namespace: "monitoring" }), new Monitoring("promtool-cpu", { cluster: handle(false), namespace: "monitoring" })];
  await Promise.all(outputs.map((m) => new Promise((resolve) => m.grafanaUrl.apply(resolve))));
  await mocks.settle();
  return new Map(mocks.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => [r.name, r.inputs.spec]));
}

async function writeRules(name: string, spec: unknown): Promise<string> {
  const file = path.join(dir, `${name}.rules.yaml`);
  await writeFile(file, stringify(spec));
  return file;
}

async function writeTests(name: string, rulesFile: string, groups: unknown[]): Promise<string> {
  const file = path.join(dir, `${name}.test.yaml`);
  await writeFile(file, stringify({ rule_files: [path.basename(rulesFile)], evaluation_interval: "1m", tests: groups }));
  return file;
}

describe("alert rules under promtool", () => {
  it("passes `promtool check rules` for every PrometheusRule the platform renders", async () => {
    const rules = await renderedRules();
    assert.deepEqual([...rules.keys()].sort(), ["promtool-cpu-rules", "promtool-gpu-rules"]);
    for (const [name, spec] of rules) {
      const r = await runTool("promtool", ["check", "rules", await writeRules(name, spec)]);
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      const count = spec.groups.flatMap((g) => (g as { rules: unknown[] }).rules).length;
      assert.match(r.stdout, new RegExp(`SUCCESS: ${count} rules found`));
    }
  });

  it("has promtool cases for every alert, and they pass: each fires when it should, stays silent on healthy and flapping series", async () => {
    const cases = alertRuleTests();
    const alerts = alertRuleGroups().flatMap((g) => g.rules.map((r) => r.alert));
    assert.deepEqual(Object.keys(cases).sort(), [...alerts].sort(), "every alert has test cases");
    for (const alert of alerts) {
      const tests = cases[alert]!.flatMap((g) => g.alert_rule_test);
      assert.ok(tests.some((t) => t.exp_alerts.length > 0), `${alert} has a case where it fires`);
      assert.ok(tests.some((t) => t.exp_alerts.length === 0), `${alert} has a case where it stays silent`);
    }
    const rules = await writeRules("all", { groups: alertRuleGroups() });
    const r = await runTool("promtool", ["test", "rules", await writeTests("all", rules, Object.values(cases).flat())]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it("passes its cases with non-default thresholds too", async () => {
    const thresholds = { driftFor: "5m", latencyP99Seconds: 1.5, errorRatio: 0.1, qualityDrop: 0.1, errorMetricRise: 0.5, gpuMemoryRatio: 0.9 };
    const rules = await writeRules("custom", { groups: alertRuleGroups(thresholds) });
    const r = await runTool("promtool", ["test", "rules", await writeTests("custom", rules, Object.values(alertRuleTests(thresholds)).flat())]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("fails on a deliberately broken rule: a PromQL error for `check rules`, a wrong threshold for `test rules`", async () => {
    const broken = fileURLToPath(new URL("../../fixtures/monitoring/broken-rules.yaml", import.meta.url));
    const check = await runTool("promtool", ["check", "rules", broken]);
    assert.notEqual(check.code, 0);
    assert.match(check.stdout + check.stderr, /MlopsBrokenRule|parse error|unexpected/);
    // Rules whose error-rate bound is off by a factor of 100 (a percentage written as a ratio): the cases catch it.
    const groups = alertRuleGroups().map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === "MlopsHighErrorRate" ? { ...r, expr: r.expr.replace(/> [\d.]+$/, "> 5") } : r)) }));
    const rules = await writeRules("wrong", { groups });
    const test = await runTool("promtool", ["test", "rules", await writeTests("wrong", rules, alertRuleTests().MlopsHighErrorRate!)]);
    assert.notEqual(test.code, 0, test.stdout);
    assert.match(test.stdout + test.stderr, /FAILED[\s\S]*MlopsHighErrorRate/);
  });
});
