import {
  type EnforcementLevel,
  type Policies,
  type PolicyPackConfig,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { mlopsPolicies } from "./mlops-policies.ts";

/** One resource as `pulumi-mlops synth` writes it to resources.json (`parent` is the parent's logical name). */
export interface PolicyInputResource {
  /** Pulumi type token, e.g. `aws:s3/bucket:Bucket`. */
  type: string;
  /** Logical name. */
  name: string;
  /** The parent's logical name; null or absent at the top of the stack. @default null */
  parent?: string | null;
  /** The resource's inputs. */
  inputs: Record<string, unknown>;
}

/** One violation reported by a rule. */
export interface PolicyViolation {
  /** The rule's name, e.g. `no-public-buckets`. */
  policy: string;
  /** Logical name of the offending resource; absent when a stack rule blames the stack as a whole. */
  resource?: string;
  /** What is wrong: the resource, the property, its value and what the rule wants. */
  message: string;
}

/** Options of {@link evaluatePolicies}. */
export interface EvaluatePoliciesOptions {
  /** Stack name used in the URNs handed to the rules. @default "synth" */
  stack?: string;
  /** Project name used in the URNs. @default "pulumi-mlops" */
  project?: string;
  /** Stack tags (`pulumi stack tag`), e.g. `{ "mlops-profile": "production" }`. @default {} */
  stackTags?: Record<string, string>;
  /** The rules to run. @default mlopsPolicies */
  policies?: Policies;
}

class NotApplicableError extends Error {}

const NO_OPTIONS: PolicyResourceOptions = Object.freeze({ protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] });

/**
 * Runs every rule over a list of resources (resources.json from `pulumi-mlops synth`, or any
 * `{ type, name, inputs }` list) the way the Pulumi engine runs the pack, so the same rule code
 * judges both: each resource rule gets the `ResourceValidationArgs` @pulumi/policy builds (type,
 * props behind its unknown-checking proxy, name, URN, options, stack tags, `getConfig`,
 * `notApplicable`, `isType`/`asType` by type token) and each stack rule gets every resource as a
 * `PolicyResource`. Synchronous: the rules are.
 *
 * @param resources the stack's resources, in registration order
 * @param config policy config keyed by rule name, the shape of a `--policy-pack-config` file:
 *   `{ "no-public-endpoint-in-production": { production: true } }`, or `"disabled"` /
 *   `{ enforcementLevel: "disabled" }` to skip a rule. Defaults from each rule's config schema apply.
 * @returns every violation of every rule that is not disabled, in rule order; empty when the stack complies
 */
export function evaluatePolicies(resources: readonly PolicyInputResource[], config: PolicyPackConfig = {}, options: EvaluatePoliciesOptions = {}): PolicyViolation[] {
  const stack = options.stack ?? "synth";
  const project = options.project ?? "pulumi-mlops";
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
  const urns = resourceUrns(resources, stack, project);
  const nameByUrn = new Map(resources.map((r, i) => [urns[i]!.urn, r.name]));
  const violations: PolicyViolation[] = [];

  for (const policy of options.policies ?? mlopsPolicies) {
    const policyConfig = config[policy.name];
    const level: EnforcementLevel | undefined = typeof policyConfig === "string" ? policyConfig : policyConfig?.enforcementLevel;
    if ((level ?? policy.enforcementLevel) === "disabled") continue;
    const settings = { ...schemaDefaults(policy), ...(typeof policyConfig === "object" ? withoutLevel(policyConfig) : {}) };
    const getConfig = <T extends object>() => settings as T;
    const notApplicable = (reason?: string): never => {
      throw new NotApplicableError(reason);
    };

    if ("validateStack" in policy) {
      const stackPolicy = policy as StackValidationPolicy;
      const policyResources = resources.map((r, i): PolicyResource => {
        const props = unknownCheckingProxy(r.inputs) as Record<string, unknown>;
        return { type: r.type, name: r.name, urn: urns[i]!.urn, props, opts: resourceOptions(urns[i]!.parentUrn), dependencies: [], propertyDependencies: {}, isType: typeIs(r.type), asType: ((c: unknown) => (typeIs(r.type)(c) ? props : undefined)) as PolicyResource["asType"] };
      });
      policyResources.forEach((pr, i) => {
        const parentUrn = urns[i]!.parentUrn;
        const parent = parentUrn === undefined ? undefined : policyResources.find((x) => x.urn === parentUrn);
        if (parent) pr.parent = parent;
      });
      const args: StackValidationArgs = { resources: policyResources, stackTags, getConfig, notApplicable };
      run(policy.name, undefined, () =>
        stackPolicy.validateStack(args, (message, urn) => {
          const resource = urn === undefined ? undefined : nameByUrn.get(urn);
          violations.push(resource === undefined ? { policy: policy.name, message } : { policy: policy.name, resource, message });
        }),
      );
      continue;
    }

    const resourcePolicy = policy as ResourceValidationPolicy;
    const validations = resourcePolicy.validateResource === undefined ? [] : Array.isArray(resourcePolicy.validateResource) ? resourcePolicy.validateResource : [resourcePolicy.validateResource];
    resources.forEach((r, i) => {
      const props = unknownCheckingProxy(r.inputs) as Record<string, unknown>;
      const args = {
        type: r.type,
        name: r.name,
        urn: urns[i]!.urn,
        props,
        opts: resourceOptions(urns[i]!.parentUrn),
        stackTags,
        isType: typeIs(r.type),
        asType: (c: unknown) => (typeIs(r.type)(c) ? props : undefined),
        getConfig,
        notApplicable,
      } as unknown as ResourceValidationArgs;
      for (const validate of validations) run(policy.name, r.name, () => validate(args, (message) => violations.push({ policy: policy.name, resource: r.name, message })));
    });
  }
  return violations;
}

function run(policy: string, resource: string | undefined, validate: () => unknown): void {
  try {
    const result = validate();
    if (result instanceof Promise) throw new Error("evaluatePolicies runs rules synchronously; this rule returned a Promise");
  } catch (err) {
    if (err instanceof NotApplicableError) return;
    throw new Error(`policy ${policy}${resource === undefined ? "" : ` on ${resource}`} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** URNs as the engine forms them: `urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>`. */
function resourceUrns(resources: readonly PolicyInputResource[], stack: string, project: string): { urn: string; parentUrn?: string }[] {
  const out: { urn: string; parentUrn?: string; chain: string }[] = [];
  resources.forEach((r, i) => {
    let parentIndex = -1;
    if (r.parent) for (let j = i - 1; j >= 0 && parentIndex < 0; j--) if (resources[j]!.name === r.parent) parentIndex = j;
    if (parentIndex < 0 && r.parent) parentIndex = resources.findIndex((x) => x.name === r.parent);
    const parent = parentIndex >= 0 && parentIndex < out.length ? out[parentIndex] : undefined;
    const chain = parent ? `${parent.chain}$${r.type}` : r.type;
    out.push(parent ? { urn: `urn:pulumi:${stack}::${project}::${chain}::${r.name}`, parentUrn: parent.urn, chain } : { urn: `urn:pulumi:${stack}::${project}::${chain}::${r.name}`, chain });
  });
  return out;
}

function resourceOptions(parentUrn: string | undefined): PolicyResourceOptions {
  return parentUrn === undefined ? { ...NO_OPTIONS } : { ...NO_OPTIONS, parent: parentUrn };
}

function typeIs(type: string): (resourceClass: unknown) => boolean {
  return (resourceClass) => typeof resourceClass === "function" && (resourceClass as { __pulumiType?: unknown }).__pulumiType === type;
}

function schemaDefaults(policy: { configSchema?: { properties: Record<string, unknown> } }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (schema !== null && typeof schema === "object" && "default" in schema) out[key] = (schema as { default: unknown }).default;
  }
  return out;
}

function withoutLevel(c: Record<string, unknown>): Record<string, unknown> {
  const { enforcementLevel: _level, ...rest } = c;
  return rest;
}
