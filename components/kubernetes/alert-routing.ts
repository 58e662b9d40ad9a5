import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { inputString } from "./runtime-workload-args.ts";

/**
 * A credential a receiver needs, never written into a manifest: an existing Kubernetes Secret in the
 * monitoring namespace, or a value (e.g. a Pulumi config secret) that Monitoring stores in a Secret it creates.
 */
export type SecretSource = { secretName: string; key: string } | { value: pulumi.Input<string> };

/** One Alertmanager receiver: any mix of Alertmanager's own webhook, Slack, PagerDuty and email integrations. */
export interface AlertReceiver {
  /** Name routes refer to (`defaultReceiver`, `severityReceivers`). */
  name: string;
  /** POST the Alertmanager v4 payload to a URL; `urlSecret` when the URL carries a token. */
  webhook?: { url?: string; urlSecret?: SecretSource; sendResolved?: boolean };
  /** Slack incoming webhook. */
  slack?: { apiUrl: SecretSource; channel: string; sendResolved?: boolean };
  /** PagerDuty Events API v2. */
  pagerduty?: { routingKey: SecretSource; sendResolved?: boolean };
  /** Email through an SMTP relay. */
  email?: { to: string; from: string; smarthost: string; authUsername?: string; authPassword?: SecretSource; requireTLS?: boolean; sendResolved?: boolean };
}

/** Where the platform's alerts go. */
export interface AlertingArgs {
  /** The receivers. */
  receivers: AlertReceiver[];
  /** Receiver of every alert that no severity route takes (one of `receivers`). */
  defaultReceiver: string;
  /** Receiver per `severity` label value, e.g. `{ critical: "oncall" }`, instead of the default one. @default {} */
  severityReceivers?: Record<string, string>;
  /** Labels alerts are grouped by into one notification. @default ["namespace", "alertname", "model"] */
  groupBy?: string[];
  /** Wait before the first notification of a new group. @default "30s" */
  groupWait?: string;
  /** Wait before notifying about alerts added to a group. @default "5m" */
  groupInterval?: string;
  /** Wait before repeating a notification. @default "4h" */
  repeatInterval?: string;
}

const goDuration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "must be a duration like 30s or 4h");
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name");
const secretKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret data key");

/** A reference to a key of an existing Kubernetes Secret (in the monitoring namespace). */
const secretRef = z.object({ secretName: k8sName, key: secretKey }).strict();
/** zod schema of {@link SecretSource} (programs). */
export const secretSourceSchema = z.union([secretRef, z.object({ value: inputString }).strict()], {
  error: "must be { secretName, key } (an existing Secret in the monitoring namespace) or { value } (stored in a Secret Monitoring creates)",
});

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const email = z.email({ error: "must be an email address" });

/** Builds the receiver/alerting schemas around a secret schema (programs take values; stack YAML names config secrets). */
function alertingSchemas<S extends z.ZodType>(secret: S) {
  const receiver = z
    .object({
      name: z.string().regex(/^[a-zA-Z0-9][-_a-zA-Z0-9]*$/, "must be letters, digits, - and _").refine((n) => n !== "null", "`null` is reserved for alerts nobody needs"),
      webhook: z
        .object({ url: httpUrl.optional(), urlSecret: secret.optional(), sendResolved: z.boolean().default(true) })
        .strict()
        .refine((w) => (w.url === undefined) !== (w.urlSecret === undefined), "needs exactly one of url or urlSecret")
        .optional(),
      slack: z.object({ apiUrl: secret, channel: z.string().min(1), sendResolved: z.boolean().default(true) }).strict().optional(),
      pagerduty: z.object({ routingKey: secret, sendResolved: z.boolean().default(true) }).strict().optional(),
      email: z
        .object({
          to: email,
          from: email,
          smarthost: z.string().regex(/^[^\s:]+:\d+$/, "must be host:port"),
          authUsername: z.string().min(1).optional(),
          authPassword: secret.optional(),
          requireTLS: z.boolean().default(true),
          sendResolved: z.boolean().default(false),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((r) => r.webhook || r.slack || r.pagerduty || r.email, "needs at least one of webhook, slack, pagerduty or email");
  const alerting = z
    .object({
      receivers: z.array(receiver).min(1),
      defaultReceiver: z.string().min(1),
      severityReceivers: z.record(z.string().min(1), z.string().min(1)).default({}),
      groupBy: z.array(z.string().min(1)).min(1).default(["namespace", "alertname", "model"]),
      groupWait: goDuration.default("30s"),
      groupInterval: goDuration.default("5m"),
      repeatInterval: goDuration.default("4h"),
    })
    .strict()
    .superRefine((a, ctx) => {
      const names = a.receivers.map((r) => r.name);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["receivers", i, "name"], message: `duplicate receiver name ${JSON.stringify(n)}` });
      });
      const known = `one of the receivers (${names.join(", ")})`;
      if (!names.includes(a.defaultReceiver)) ctx.addIssue({ code: "custom", path: ["defaultReceiver"], message: `must name ${known}, got ${JSON.stringify(a.defaultReceiver)}` });
      for (const [severity, r] of Object.entries(a.severityReceivers ?? {})) {
        if (!names.includes(r)) ctx.addIssue({ code: "custom", path: ["severityReceivers", severity], message: `must name ${known}, got ${JSON.stringify(r)}` });
      }
    });
  return { receiver, alerting };
}

/** zod schema of {@link AlertingArgs} (programs: a secret is a Secret reference or a value). */
export const alertingSchema = alertingSchemas(secretSourceSchema).alerting;

/**
 * zod schema of the stack config's `monitoring.alerting`: like {@link alertingSchema}, but a secret is
 * a Secret reference or `{ configSecret: "<key>" }`, a key of the stack set with `pulumi config set --secret`;
 * a plain value cannot be written in the YAML.
 */
export const alertingConfigSchema = alertingSchemas(
  z.union([secretRef, z.object({ configSecret: z.string().min(1) }).strict()], {
    error: "must be { secretName, key } (an existing Secret in the monitoring namespace) or { configSecret: <stack config key set with --secret> }",
  }),
).alerting;

/** `monitoring.alerting` as written in a stack. */
export type AlertingConfig = z.input<typeof alertingConfigSchema>;
type Parsed = z.output<typeof alertingSchema>;

/** Replaces every `{ configSecret }` of a stack's alerting section by the secret value from `readSecret` (the stack config). */
export function resolveConfigSecrets(cfg: AlertingConfig, readSecret: (key: string) => pulumi.Output<string>): AlertingArgs {
  const resolve = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(resolve);
    if (s === null || typeof s !== "object") return s;
    if ("configSecret" in s && Object.keys(s).length === 1) return { value: readSecret((s as { configSecret: string }).configSecret) };
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, resolve(v)]));
  };
  return resolve(cfg) as AlertingArgs;
}

/** Name of the receiver that drops alerts (Watchdog, InfoInhibitor, everything when no receiver is configured). */
export const NULL_RECEIVER = "null";
/** Label on the root AlertmanagerConfig; the Alertmanager's `alertmanagerConfigSelector` excludes it, so it is never merged in a second time as a namespaced route. */
export const ROOT_ALERTMANAGER_CONFIG_LABEL = { "mlops.dev/alertmanager-config": "root" } as const;
/** The chart's alerts that exist to be silent: the dead man's switch and the inhibitor of `info` alerts. */
export const SILENT_ALERTS = ["Watchdog", "InfoInhibitor"] as const;

/** A value to store in the Secret Monitoring creates, and the `SecretKeySelector` that points at it. */
export interface StoredSecret {
  key: string;
  value: pulumi.Input<string>;
}

/**
 * The spec of the root AlertmanagerConfig (monitoringv1alpha1, camelCase): a route tree sending every
 * alert to `defaultReceiver` (or to its severity's receiver), Watchdog/InfoInhibitor to `null`, and the
 * inhibition rules of kube-prometheus-stack's default config; credentials as SecretKeySelectors. `values`
 * lists the secrets that must go into the Secret named `secretName`.
 */
export function rootAlertmanagerConfigSpec(alerting: AlertingArgs | undefined, secretName: pulumi.Input<string>): { spec: Record<string, unknown>; values: StoredSecret[] } {
  const values: StoredSecret[] = [];
  const selector = (src: SecretSource, storeKey: string) => {
    if ("secretName" in src) return { name: src.secretName, key: src.key };
    values.push({ key: storeKey, value: src.value });
    return { name: secretName, key: storeKey };
  };
  const inhibitRules = [
    // kube-prometheus-stack's default alertmanager.config: a critical alert mutes the warning/info alert of the same name and namespace.
    { sourceMatch: [m("severity", "=", "critical")], targetMatch: [m("severity", "=~", "warning|info")], equal: ["namespace", "alertname"] },
    { sourceMatch: [m("severity", "=", "warning")], targetMatch: [m("severity", "=", "info")], equal: ["namespace", "alertname"] },
    { sourceMatch: [m("alertname", "=", "InfoInhibitor")], targetMatch: [m("severity", "=", "info")], equal: ["namespace"] },
  ];
  const silent = { receiver: NULL_RECEIVER, matchers: [m("alertname", "=~", SILENT_ALERTS.join("|"))] };
  if (alerting === undefined) {
    return { spec: { route: { receiver: NULL_RECEIVER, groupBy: ["namespace"], routes: [silent] }, receivers: [{ name: NULL_RECEIVER }], inhibitRules }, values };
  }
  const a = alertingSchema.parse(alerting) as Parsed;
  const receivers = a.receivers.map((r) => {
    const id = r.name.toLowerCase().replace(/_/g, "-");
    const out: Record<string, unknown> = { name: r.name };
    if (r.webhook) out.webhookConfigs = [{ ...(r.webhook.url ? { url: r.webhook.url } : { urlSecret: selector(r.webhook.urlSecret as SecretSource, `${id}-webhook-url`) }), sendResolved: r.webhook.sendResolved }];
    if (r.slack) out.slackConfigs = [{ apiURL: selector(r.slack.apiUrl as SecretSource, `${id}-slack-api-url`), channel: r.slack.channel, sendResolved: r.slack.sendResolved }];
    if (r.pagerduty) out.pagerdutyConfigs = [{ routingKey: selector(r.pagerduty.routingKey as SecretSource, `${id}-pagerduty-routing-key`), sendResolved: r.pagerduty.sendResolved }];
    if (r.email) {
      const e = r.email;
      out.emailConfigs = [{
        to: e.to,
        from: e.from,
        smarthost: e.smarthost,
        ...(e.authUsername ? { authUsername: e.authUsername } : {}),
        ...(e.authPassword ? { authPassword: selector(e.authPassword as SecretSource, `${id}-email-password`) } : {}),
        requireTLS: e.requireTLS,
        sendResolved: e.sendResolved,
      }];
    }
    return out;
  });
  const severityRoutes = Object.entries(a.severityReceivers).map(([severity, receiver]) => ({ receiver, matchers: [m("severity", "=", severity)] }));
  return {
    spec: {
      // The default receiver is also the last child route, matching everything: an alert that a namespaced
      // route (e.g. Retraining's webhook, `continue: true`) already matched is not handled by the root route's own
      // receiver any more, so without this catch-all drift alerts would reach the controller and nobody else.
      route: {
        receiver: a.defaultReceiver,
        groupBy: a.groupBy,
        groupWait: a.groupWait,
        groupInterval: a.groupInterval,
        repeatInterval: a.repeatInterval,
        routes: [silent, ...severityRoutes, { receiver: a.defaultReceiver }],
      },
      receivers: [{ name: NULL_RECEIVER }, ...receivers],
      inhibitRules,
    },
    values,
  };
}

function m(name: string, matchType: "=" | "=~" | "!=" | "!~", value: string) {
  return { name, matchType, value };
}
