import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./stack-config.ts";
import { SynthMocks } from "./synth-mocks.ts";

/** One resource the program registered, as written to resources.json. */
export interface SynthResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Logical name. */
  name: string;
  /** The parent's logical name; null at the top (the stack). */
  parent: string | null;
  /** Inputs as the program passed them (secrets revealed, resource references as URNs). */
  inputs: Record<string, unknown>;
}

/** What synthesizing a stack produced. */
export interface SynthResult {
  project: string;
  stack: string;
  /** Every resource, in registration order. */
  resources: SynthResource[];
  /** Custom (not component) resource flags, parallel to {@link resources}. */
  custom: boolean[];
  /** Invokes the mocks had no answer for (they returned `{}`). */
  unknownInvokes: string[];
}

/** The stack program failed: a configuration or input error (RunError, InputPropertiesError, ResourceError) or an unexpected one. */
export class StackProgramError extends Error {
  /** True for errors the program raises on purpose about its inputs (exit 2); false for crashes (exit 1). */
  readonly invalidInput: boolean;
  constructor(message: string, invalidInput: boolean, cause: unknown) {
    super(message, { cause });
    this.name = "StackProgramError";
    this.invalidInput = invalidInput;
  }
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** Turns a serialized property struct into plain JSON: secrets unwrapped, resource references as their URN. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === pulumi.runtime.unknownValue) return null;
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  switch (o[pulumi.runtime.specialSigKey]) {
    case pulumi.runtime.specialSecretSig:
    case pulumi.runtime.specialOutputValueSig:
      return plain(o.value);
    case pulumi.runtime.specialResourceSig:
      return o.urn;
    case pulumi.runtime.specialAssetSig:
    case pulumi.runtime.specialArchiveSig: {
      const { [pulumi.runtime.specialSigKey]: _sig, ...rest } = o;
      return plain(rest);
    }
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): unknown } | undefined;
}
interface Callback {
  (err: unknown, resp: { getUrn(): string } | undefined): void;
}
interface Monitor {
  registerResource(req: RegisterRequest, cb: Callback): unknown;
}

const isInputError = (err: unknown): boolean =>
  pulumi.RunError.isInstance(err) || pulumi.InputPropertiesError.isInstance(err) || pulumi.ResourceError.isInstance(err);

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs the Pulumi program of `projectDir` for `stack` in this process under mocks (no engine, no
 * credentials) with the stack's config and records every resource it registers.
 *
 * Parents: the SDK's mock monitor only hands `newResource` the type, name and inputs, so synth
 * wraps the monitor's `registerResource` gRPC handler and reads each request's parent URN and the
 * URN the monitor assigns; parents are resolved from URN to logical name at the end. The stack
 * resource itself (`pulumi:pulumi:Stack`, from `runInPulumiStack`) counts as "no parent".
 *
 * A process can synthesize once: the SDK's settings and the program's modules are global.
 */
export async function synthesize(projectDir: string, stack: string): Promise<SynthResult> {
  const cfg = readStackConfig(projectDir, stack);
  const mocks = new SynthMocks(cfg.config);
  // Not a preview (outputs the mocks do not return would be unknown), but reported like one: what
  // `pulumi up` refuses (placeholder CIDRs) is a warning here (components/network SYNTH_ENV).
  process.env.PULUMI_MLOPS_SYNTH = "1";
  await pulumi.runtime.setMocks(mocks, cfg.project, stack, false);
  pulumi.runtime.setAllConfig(cfg.config, cfg.secretKeys);

  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const records: { urn?: string; parentUrn: string; type: string; name: string; custom: boolean; inputs: Record<string, unknown> }[] = [];
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const record = { parentUrn: req.getParent(), type: req.getType(), name: req.getName(), custom: req.getCustom(), inputs: (plain(req.getObject()?.toJavaScript() ?? {}) ?? {}) as Record<string, unknown> } as (typeof records)[number];
    records.push(record);
    return original(req, (err, resp) => {
      if (resp) record.urn = resp.getUrn();
      cb(err, resp);
    });
  };

  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  // Without an engine the SDK prints pulumi.log.info through console.log; keep stdout for synth's summary.
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      await import(pathToFileURL(cfg.main).href);
      return undefined;
    });
    // Resources created inside apply callbacks register later; wait until the RPC queue stays empty.
    const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    for (let seen = -1; seen !== records.length; ) {
      seen = records.length;
      await settings.waitForRPCs?.();
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    failures.unshift(err);
  } finally {
    console.log = log;
  }
  // On failure the SDK keeps rejecting the failed stack's outputs after this returns; the
  // listener stays so they do not crash the process (a process synthesizes once anyway).
  if (failures.length === 0) process.off("unhandledRejection", onRejection);
  if (failures.length > 0) {
    const first = failures.find(isInputError) ?? failures[0];
    throw new StackProgramError(isInputError(first) ? describe(first) : first instanceof Error ? (first.stack ?? first.message) : String(first), isInputError(first), first);
  }

  const byUrn = new Map(records.filter((r) => r.urn).map((r) => [r.urn!, r]));
  const kept = records.filter((r) => r.type !== STACK_TYPE);
  return {
    project: cfg.project,
    stack,
    resources: kept.map((r) => {
      const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
      return { type: r.type, name: r.name, parent: parent && parent.type !== STACK_TYPE ? parent.name : null, inputs: r.inputs };
    }),
    custom: kept.map((r) => r.custom),
    unknownInvokes: [...mocks.unknownInvokes],
  };
}
