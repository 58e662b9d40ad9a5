// What the Prometheus Operator does with AlertmanagerConfig objects, so the config Alertmanager really
// loads can be checked by amtool and run by a real Alertmanager. Written from
// prometheus-operator/prometheus-operator pkg/alertmanager/amcfg.go (ConfigBuilder):
//  - the Alertmanager's `alertmanagerConfiguration` object is the base: its route and receivers are converted
//    with names prefixed `<namespace>/<name>/`, and no namespace matcher is enforced on it
//    (initializeFromAlertmanagerConfig); its root route may carry no matchers and no `continue`;
//  - every other selected AlertmanagerConfig, sorted by `<namespace>/<name>`, becomes a first-level route
//    with `namespace="<its namespace>"` appended to its matchers (the default OnNamespace matcher strategy)
//    and `continue: true` (continueToNextRoute), placed before the base config's own routes
//    (AddAlertmanagerConfigs); its inhibit rules get the same namespace matcher on source and target;
//  - matchers with a matchType become `name<op>"value"` strings (Matcher.String, strconv.Quote);
//  - SecretKeySelectors are read from the Secret and written into the config as plain values.

/** An AlertmanagerConfig object as the platform renders it. */
export interface AlertmanagerConfigObject {
  namespace: string;
  name: string;
  spec: { route?: Route; receivers?: Receiver[]; inhibitRules?: InhibitRule[] };
}
interface Matcher {
  name: string;
  matchType: string;
  value: string;
}
interface Route {
  receiver?: string;
  matchers?: Matcher[];
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  continue?: boolean;
  routes?: Route[];
}
interface SecretKeySelector {
  name: string;
  key: string;
}
interface Receiver {
  name: string;
  webhookConfigs?: { url?: string; urlSecret?: SecretKeySelector; sendResolved?: boolean }[];
  slackConfigs?: { apiURL: SecretKeySelector; channel?: string; sendResolved?: boolean }[];
  pagerdutyConfigs?: { routingKey: SecretKeySelector; sendResolved?: boolean }[];
  emailConfigs?: { to?: string; from?: string; smarthost?: string; authUsername?: string; authPassword?: SecretKeySelector; requireTLS?: boolean; sendResolved?: boolean }[];
}
interface InhibitRule {
  sourceMatch?: Matcher[];
  targetMatch?: Matcher[];
  equal?: string[];
}

/** Reads a Secret key in a namespace (the operator's asset store). */
export type SecretReader = (namespace: string, selector: SecretKeySelector) => string;

const matcher = (m: Matcher) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`;
const drop = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as T;

/** The Alertmanager configuration (alertmanager.yaml as an object) the operator generates. */
export function operatorAlertmanagerConfig(base: AlertmanagerConfigObject, others: AlertmanagerConfigObject[], readSecret: SecretReader): Record<string, unknown> {
  const root = base.spec.route;
  if (!root?.receiver) throw new Error(`${base.namespace}/${base.name}: root route's receiver must exist`);
  if (root.continue) throw new Error(`${base.namespace}/${base.name}: cannot have continue in root route`);
  if (root.matchers?.length) throw new Error(`${base.namespace}/${base.name}: 'matchers' not permitted on root route`);
  const baseRoute = convertRoute(root, base);
  const receivers = (base.spec.receivers ?? []).map((r) => convertReceiver(r, base, readSecret));
  const inhibit = (base.spec.inhibitRules ?? []).map((r) => convertInhibit(r));
  const subRoutes: Record<string, unknown>[] = [];
  for (const amc of [...others].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
    const ns = `namespace=${JSON.stringify(amc.namespace)}`;
    for (const r of amc.spec.inhibitRules ?? []) {
      const c = convertInhibit(r);
      inhibit.push({ ...c, source_matchers: [...(c.source_matchers as string[]), ns], target_matchers: [...(c.target_matchers as string[]), ns] });
    }
    if (!amc.spec.route) continue;
    const route = convertRoute(amc.spec.route, amc);
    subRoutes.push({ ...route, matchers: [...((route.matchers as string[] | undefined) ?? []), ns], continue: true });
    for (const r of amc.spec.receivers ?? []) receivers.push(convertReceiver(r, amc, readSecret));
  }
  return drop({ route: { ...baseRoute, routes: [...subRoutes, ...((baseRoute.routes as unknown[] | undefined) ?? [])] }, receivers, inhibit_rules: inhibit });
}

function convertRoute(r: Route, cr: AlertmanagerConfigObject): Record<string, unknown> {
  return drop({
    receiver: r.receiver ? `${cr.namespace}/${cr.name}/${r.receiver}` : undefined,
    group_by: r.groupBy,
    group_wait: r.groupWait,
    group_interval: r.groupInterval,
    repeat_interval: r.repeatInterval,
    continue: r.continue || undefined,
    matchers: r.matchers?.map(matcher),
    routes: r.routes?.map((c) => convertRoute(c, cr)),
  });
}

function convertReceiver(r: Receiver, cr: AlertmanagerConfigObject, readSecret: SecretReader): Record<string, unknown> {
  const secret = (s: SecretKeySelector) => readSecret(cr.namespace, s).trim();
  return drop({
    name: `${cr.namespace}/${cr.name}/${r.name}`,
    webhook_configs: r.webhookConfigs?.map((w) => drop({ url: w.urlSecret ? secret(w.urlSecret) : w.url, send_resolved: w.sendResolved })),
    slack_configs: r.slackConfigs?.map((s) => drop({ api_url: secret(s.apiURL), channel: s.channel, send_resolved: s.sendResolved })),
    pagerduty_configs: r.pagerdutyConfigs?.map((p) => drop({ routing_key: secret(p.routingKey), send_resolved: p.sendResolved })),
    email_configs: r.emailConfigs?.map((e) =>
      drop({ to: e.to, from: e.from, smarthost: e.smarthost, auth_username: e.authUsername, auth_password: e.authPassword ? secret(e.authPassword) : undefined, require_tls: e.requireTLS, send_resolved: e.sendResolved }),
    ),
  });
}

function convertInhibit(r: InhibitRule): Record<string, unknown> {
  return { source_matchers: (r.sourceMatch ?? []).map(matcher), target_matchers: (r.targetMatch ?? []).map(matcher), equal: r.equal ?? [] };
}
