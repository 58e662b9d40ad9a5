// The Alertmanager configuration the operator generates from the platform's AlertmanagerConfigs, checked by
// amtool itself: `amtool check-config`, and `amtool config routes test` for every alert the platform defines.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { alertRuleGroups, retrainTriggerAlerts } from "../../../components/kubernetes/alert-rules.ts";
import type { AlertingArgs } from "../../../components/kubernetes/alert-routing.ts";
import { setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";
import { PLATFORM_NAMESPACES, renderPlatformAlerting } from "../../helpers/platform-alerting.ts";
import { runTool } from "../../helpers/prometheus-tools.ts";

const mocks = setupPulumiMocks();
let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mlops-amtool-"));
});
after(() => rm(dir, { recursive: true, force: true }));

/** What a stack might name: Slack + email for the team, PagerDuty for critical alerts, a webhook for an event bus. */
const ALERTING: AlertingArgs = {
  receivers: [
    {
      name: "team",
      slack: { apiUrl: { secretName: "alerting-slack", key: "url" }, channel: "#mlops" },
      email: { to: "ml-team@example.com", from: "alertmanager@example.com", smarthost: "smtp.example.com:587", authUsername: "alertmanager", authPassword: { value: "smtp-password" } },
    },
    { name: "oncall", pagerduty: { routingKey: { value: "0123456789abcdef0123456789abcdef" } } },
    { name: "events", webhook: { urlSecret: { secretName: "alerting-events", key: "url" } } },
  ],
  defaultReceiver: "team",
  severityReceivers: { critical: "oncall" },
};
const SECRETS = { "monitoring/alerting-slack/url": "https://hooks.slack.com/services/T000/B000/XXXX", "monitoring/alerting-events/url": "https://events.example.com/alertmanager" };

async function writeConfig(name: string, config: unknown): Promise<string> {
  const file = path.join(dir, `${name}.yml`);
  await writeFile(file, stringify(config));
  return file;
}

/** The receivers `amtool config routes test` picks for an alert with these labels. */
async function routesFor(file: string, labels: Record<string, string>): Promise<string[]> {
  const r = await runTool("amtool", ["config", "routes", "test", `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(",").filter((s) => s !== "");
}

describe("Alertmanager routing under amtool", () => {
  it("generates a config amtool check-config accepts, with every receiver the stack named", async () => {
    const { config } = await renderPlatformAlerting(mocks, ALERTING, { secrets: SECRETS });
    const r = await runTool("amtool", ["check-config", await writeConfig("full", config)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
    const root = /Found:\n([\s\S]*)/.exec(r.stdout)?.[1] ?? "";
    assert.match(root, /- global config/);
    assert.match(root, /- route/);
    assert.match(root, /- 2 inhibit rules|- 3 inhibit rules/);
    assert.match(root, /- 5 receivers/, "null, team, oncall, events and the controller's webhook");
  });

  it("routes every platform alert to the stack's receiver, critical ones to on-call, and drift/quality also to the controller", async () => {
    const { config, root, retraining } = await renderPlatformAlerting(mocks, ALERTING, { secrets: SECRETS });
    const file = await writeConfig("routes", config);
    const controller = `${retraining.namespace}/${retraining.name}/mlops-controller`;
    const team = `${root.namespace}/${root.name}/team`;
    const oncall = `${root.namespace}/${root.name}/oncall`;
    const retrain = new Set(retrainTriggerAlerts());
    assert.deepEqual([...retrain].sort(), ["MlopsDatasetDriftSustained", "MlopsLiveErrorRise", "MlopsLiveQualityDrop"]);
    for (const rule of alertRuleGroups().flatMap((g) => g.rules)) {
      const labels = { alertname: rule.alert, ...rule.labels, namespace: PLATFORM_NAMESPACES.runtime, model: "churn", version: "3" };
      const expected = [...(retrain.has(rule.alert) ? [controller] : []), rule.labels.severity === "critical" ? oncall : team];
      assert.deepEqual(await routesFor(file, labels), expected, rule.alert);
    }
    // The chart's own alerts reach the team too; its Watchdog and InfoInhibitor stay silent.
    assert.deepEqual(await routesFor(file, { alertname: "KubePodCrashLooping", severity: "warning", namespace: "mlops" }), [team]);
    assert.deepEqual(await routesFor(file, { alertname: "KubeAPIErrorBudgetBurn", severity: "critical", namespace: "kube-system" }), [oncall]);
    assert.deepEqual(await routesFor(file, { alertname: "Watchdog", severity: "none" }), [team.replace(/team$/, "null")]);
    // A drift alert from another namespace does not wake this namespace's controller (the operator's namespace matcher).
    assert.deepEqual(await routesFor(file, { alertname: "MlopsDatasetDriftSustained", severity: "warning", mlops_trigger: "retrain", namespace: "other", model: "churn" }), [team]);
  });

  it("sends everything to `null` when the stack names no receiver (what the chart did for every alert)", async () => {
    const { config } = await renderPlatformAlerting(mocks, undefined);
    const file = await writeConfig("none", config);
    assert.equal((await runTool("amtool", ["check-config", file])).code, 0);
    const [receiver] = await routesFor(file, { alertname: "MlopsHighErrorRate", severity: "critical", namespace: "mlops", model: "churn" });
    assert.match(receiver ?? "", /\/null$/);
  });

  it("amtool rejects a config whose route names a receiver that does not exist", async () => {
    const { config } = await renderPlatformAlerting(mocks, ALERTING, { secrets: SECRETS });
    const broken = structuredClone(config) as { route: { receiver: string } };
    broken.route.receiver = "monitoring/gone/team";
    const r = await runTool("amtool", ["check-config", await writeConfig("broken", broken)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /undefined receiver "monitoring\/gone\/team"/);
  });
});
