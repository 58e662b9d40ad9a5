import { MlopsError, describeError } from "../errors.ts";
import { type Io, processIo } from "./args.ts";

/** Top-level help. */
export const HELP = `usage: mlops <command> [flags]

The pulumi-mlops runtime: train TensorFlow.js models, keep them in a versioned registry,
serve them over TF Serving REST and the Open Inference Protocol v2, watch for drift and
retrain on its own. (Synthesizing stacks without a cloud is \`pulumi-mlops synth\`, in the
component library.)

commands:
  train     train a model on a CSV/JSONL file and register a new version
  tune      search hyperparameters (TPE or random, k-fold CV, successive halving); register the best
  serve     serve every model's champion over HTTP and gRPC (default 127.0.0.1:8501; gRPC 8500, 8001)
  models    list models, show versions and lineage, move aliases
  registry  gc: remove what writers that died mid-write left in the registry
  predict   score a CSV/JSONL file with a registered model
  explain   per-row feature attributions (Integrated Gradients or KernelSHAP) of a registered model
  experiment  A/B experiments: split traffic between versions by a sticky key, test, decide
  drift     compare a current CSV/JSONL file with a reference: per-column drift tests, a verdict
  controller  watch for drift, retrain, gate, canary and promote or roll back a model
  ui        a read-only web console over the registry (default http://127.0.0.1:8080/ui/)
  init      init ci: write a GitHub Actions or GitLab CI pipeline (train, gate, preview, deploy, approve)
  demo      train, register, serve and query a model end to end, on a bundled dataset

Run \`mlops <command> --help\` for a command's flags. Exit codes: 0 ok, 2 bad input or
usage (the message names what is wrong), 1 unexpected failure.
`;

type Command = (argv: string[], io: Io) => Promise<number>;
// Loaded on use: TensorFlow.js and fastify take most of a second to import.
const commands: Record<string, () => Promise<Command>> = {
  train: async () => (await import("./train-command.ts")).trainCommand,
  tune: async () => (await import("./tune-command.ts")).tuneCommand,
  // Internal: one trial of a search (mlops tune's worker processes and Indexed Job pods run it).
  "tune-trial": async () => (await import("./tune-command.ts")).tuneTrialCommand,
  serve: async () => (await import("./serve-command.ts")).serveCommand,
  models: async () => (await import("./models-command.ts")).modelsCommand,
  registry: async () => (await import("./registry-command.ts")).registryCommand,
  predict: async () => (await import("./predict-command.ts")).predictCommand,
  explain: async () => (await import("./explain-command.ts")).explainCommand,
  experiment: async () => (await import("./experiment-command.ts")).experimentCommand,
  drift: async () => (await import("./drift-command.ts")).driftCommand,
  controller: async () => (await import("./controller-command.ts")).controllerCommand,
  ui: async () => (await import("./ui-command.ts")).uiCommand,
  demo: async () => (await import("./demo-command.ts")).demoCommand,
  init: async () => (await import("./init-command.ts")).initCommand,
};

/** Exit code of a command that stopped because its parent process died. */
export const PARENT_GONE_EXIT_CODE = 129;

/**
 * Makes this process exit as soon as its parent is gone, kill -9 included: the parent (the
 * controller's local executor) gives it a pipe on stdin that only the parent writes to, so the
 * kernel ends it the moment the parent dies; a change of parent pid (re-parented to init or a
 * subreaper) is checked every second as a backstop. Node has no PR_SET_PDEATHSIG.
 */
export function exitWithParent(log: (text: string) => void = (t) => process.stderr.write(t)): void {
  const parent = process.ppid;
  const gone = (why: string) => {
    log(`mlops: ${why}; stopping (nothing half-written becomes visible)\n`);
    process.exit(PARENT_GONE_EXIT_CODE);
  };
  const stdin = process.stdin;
  stdin.on("end", () => gone("the parent process closed its pipe (it exited or was killed)"));
  stdin.on("error", () => gone("the pipe to the parent process broke"));
  stdin.on("data", () => undefined);
  stdin.resume();
  (stdin as unknown as { unref?: () => void }).unref?.();
  const timer = setInterval(() => {
    if (process.ppid !== parent) gone(`the parent process ${parent} is gone`);
  }, 1000);
  timer.unref();
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  if (process.env.MLOPS_EXIT_WITH_PARENT === "1") exitWithParent();
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.out("pulumi-mlops runtime\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    io.err(`mlops: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof MlopsError && err.status < 500) {
      io.err(`mlops ${name}: ${err.message} [${err.code}]\n`);
      return 2;
    }
    io.err(`mlops ${name}: ${err instanceof MlopsError ? `${err.message} [${err.code}]` : ((err as Error).stack ?? describeError(err))}\n`);
    return 1;
  }
}
