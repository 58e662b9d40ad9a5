import type * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import type { CloudSynth } from "../platform/cloud-module.ts";
import { CLOUD_MODULES } from "../platform/clouds.ts";

const CLOUD_SYNTHS: readonly CloudSynth[] = Object.values(CLOUD_MODULES).map((m) => m.synth);
const cloudOf = (token: string): CloudSynth | undefined => CLOUD_SYNTHS.find((c) => token.startsWith(c.prefix));

/** Invoke tokens {@link SynthMocks} answers, with what it answers. */
export const MOCKED_INVOKES: Readonly<Record<string, string>> = {
  ...Object.assign({}, ...CLOUD_SYNTHS.map((c) => c.invokes)),
  "kubernetes:yaml:decode": "the YAML text's documents, parsed",
  "kubernetes:helm:template": "no objects (synth does not fetch charts)",
};

/**
 * Pulumi mocks for synth: every resource's state is its inputs (plus a deterministic id, a
 * `metadata.name` for Kubernetes objects that leave it to auto-naming, the outputs the cloud
 * would compute, from the cloud's CloudSynth), and
 * the invokes in {@link MOCKED_INVOKES} get plausible answers; any other invoke returns `{}` and
 * is remembered in {@link unknownInvokes}.
 */
export class SynthMocks implements pulumi.runtime.Mocks {
  /** Invoke tokens the mocks had no answer for, in first-call order. */
  readonly unknownInvokes: string[] = [];
  readonly #config: Record<string, string>;

  constructor(config: Record<string, string>) {
    this.#config = config;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const state: Record<string, unknown> = { ...args.inputs, ...cloudOf(args.type)?.outputs(args.type, args.name, args.inputs, this.#config) };
    if (args.type.startsWith("kubernetes:") && args.custom) {
      const metadata = (state.metadata ?? {}) as Record<string, unknown>;
      state.metadata = { ...metadata, name: metadata.name ?? args.name };
    }
    return { id: args.custom ? args.id || `${args.name}-id` : undefined, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    const answer = cloudOf(args.token)?.call(args.token, inputs, this.#config);
    if (answer !== undefined) return answer;
    switch (args.token) {
      case "kubernetes:yaml:decode":
        return { result: parseAllDocuments(String(inputs.text ?? "")).map((d) => d.toJS()).filter((d) => d !== null && d !== undefined) };
      case "kubernetes:helm:template":
        return { result: [] };
      default:
        if (!this.unknownInvokes.includes(args.token)) this.unknownInvokes.push(args.token);
        return {};
    }
  }
}
