import path from "node:path";
import { parseArgs } from "node:util";
import { MOCKED_INVOKES } from "./synth-mocks.ts";
import { UnknownStackError, findProjectDir } from "./stack-config.ts";
import { StackProgramError, synthesize } from "./synthesize.ts";
import { writeSynthOutput } from "./write-synth-output.ts";

/** Where a command writes: stdout and stderr, injectable for tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A bad command line: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Help for `pulumi-mlops synth`. */
export const SYNTH_HELP = `usage: pulumi-mlops synth <stack> [--out <dir>] [--project <dir>]

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

const flags = { out: { type: "string" }, project: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

function parseSynthArgs(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[1])}: one stack name only`);
  return parsed;
}

/** `pulumi-mlops synth`. */
export async function synthCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseSynthArgs(argv);
  if (values.help) {
    io.out(SYNTH_HELP);
    return 0;
  }
  const stack = positionals[0];
  if (!stack) throw new UsageError("the stack name is required: pulumi-mlops synth <stack>");
  const projectDir = values.project ? path.resolve(values.project) : findProjectDir(process.cwd());
  if (!projectDir) throw new UsageError(`no Pulumi.yaml at or above ${process.cwd()}; pass --project <dir>`);
  let result;
  try {
    result = await synthesize(projectDir, stack);
  } catch (err) {
    if (err instanceof UnknownStackError) {
      io.err(`pulumi-mlops synth: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StackProgramError) {
      io.err(`pulumi-mlops synth: stack ${stack}: ${err.message}\n`);
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

/** Help for the `pulumi-mlops` command. */
export const MAIN_HELP = `usage: pulumi-mlops <command> [flags]

Tools of the pulumi-mlops component library (the model runtime's CLI is \`mlops\`, in the
@pulumi-mlops/runtime package and the runtime image).

  synth     run a stack program under Pulumi's mocks; write resources.json and Kubernetes manifests

pulumi-mlops <command> --help documents its flags.
`;

/** The `pulumi-mlops` command line: exit code 0 ok, 2 bad usage or stack config, 1 unexpected failure. */
export async function main(argv: string[], io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command !== "synth") throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: synth`);
    return await synthCommand(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pulumi-mlops: ${err.message}\nRun pulumi-mlops --help for usage.\n`);
      return 2;
    }
    io.err(`pulumi-mlops: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
