import path from "node:path";
import { mlopsError } from "../errors.ts";
import { MOCKED_INVOKES } from "../synth/synth-mocks.ts";
import { UnknownStackError, findProjectDir } from "../synth/stack-config.ts";
import { StackProgramError, synthesize } from "../synth/synthesize.ts";
import { writeSynthOutput } from "../synth/write-synth-output.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops synth`. */
export const SYNTH_HELP = `usage: mlops synth <stack> [--out <dir>] [--project <dir>]

Runs the Pulumi program with stacks/Pulumi.<stack>.yaml's config under Pulumi's mocks (no
engine, no cloud credentials) and writes what it would create:
  <dir>/resources.json     one {"type", "name", "parent", "inputs"} per resource
  <dir>/manifests/*.yaml   every Kubernetes object, as kubectl would take it
then prints the resource count per type, the Helm charts (not rendered) and any invoke the
mocks could not answer. Secret config values are replaced by a placeholder.

  --out <dir>       output directory (default: out/synth/<stack>)
  --project <dir>   directory of Pulumi.yaml (default: the nearest at or above the working directory)

Exit codes: 0 ok, 2 unknown stack or invalid stack config (the message names the key), 1 the
program failed unexpectedly.
`;

const flags = { out: { type: "string" }, project: { type: "string" } } as const;

/** `mlops synth`. */
export async function synthCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, 1);
  if (values.help) {
    io.out(SYNTH_HELP);
    return 0;
  }
  const stack = positionals[0];
  if (!stack) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "the stack name is required: mlops synth <stack>" });
  const projectDir = values.project ? path.resolve(values.project) : findProjectDir(process.cwd());
  if (!projectDir) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `no Pulumi.yaml at or above ${process.cwd()}; pass --project <dir>` });
  let result;
  try {
    result = await synthesize(projectDir, stack);
  } catch (err) {
    if (err instanceof UnknownStackError) {
      io.err(`mlops synth: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StackProgramError) {
      io.err(`mlops synth: stack ${stack}: ${err.message}\n`);
      return err.invalidInput ? 2 : 1;
    }
    throw err;
  }
  const out = path.resolve(values.out ?? path.join("out", "synth", stack));
  const written = await writeSynthOutput(result, out);
  const width = Math.max(4, ...written.counts.map(([t]) => t.length));
  io.out(`synthesized ${result.project}/${stack}: ${result.resources.length} resources, ${written.manifests.length} Kubernetes manifests → ${path.relative(process.cwd(), out) || "."}\n`);
  for (const [type, n] of written.counts) io.out(`  ${type.padEnd(width)}  ${n}\n`);
  if (written.charts.length) {
    io.out("charts (not rendered):\n");
    for (const c of written.charts) io.out(`  ${c.name}: ${String(c.chart)} ${String(c.version ?? "(unpinned)")}${c.repository ? ` from ${String(c.repository)}` : ""}; values ${JSON.stringify(c.values ?? {})}\n`);
  }
  if (result.unknownInvokes.length) io.out(`invokes without a mock (answered {}): ${result.unknownInvokes.join(", ")}\n(mocked: ${Object.keys(MOCKED_INVOKES).join(", ")})\n`);
  return 0;
}
