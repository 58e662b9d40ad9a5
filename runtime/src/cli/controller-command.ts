import { RetrainingController } from "../controller/controller.ts";
import { LocalProcessExecutor } from "../controller/local-process-executor.ts";
import { loadPolicy } from "../controller/policy.ts";
import { createLog } from "../log.ts";
import { ModelRegistry } from "../registry/index.ts";
import { type Io, parseFlags, required } from "./args.ts";

/** Help for `mlops controller`. */
export const CONTROLLER_HELP = `usage: mlops controller --policy <file> [--registry <dir>] [--once] [--work-dir <dir>]

Keeps a model fresh: watches the champion's monitoring snapshots for drift (or a quality
drop), retrains on the reference data plus labelled feedback, gates the new version against
the champion on the most recent labels, rolls it out (shadow, then canary steps with health
checks) and promotes it or rolls it back. Every decision lands in \`mlops models history\`.
Runs until SIGINT/SIGTERM; a restarted controller resumes a rollout left in progress.

  --policy <file>     controller policy, JSON or YAML (model, trigger, training, gate, rollout, executor)
  --registry <dir>    registry location (default: .mlops/registry)
  --once              one pass (a trigger check, and the whole cycle when it fires), then exit
  --work-dir <dir>    where training tables and configs are written and kept; retrained
                      versions' lineage points here (default: .mlops/controller)

Logs are JSON lines on stderr (MLOPS_LOG_LEVEL=debug shows every check).
`;

const flags = { policy: { type: "string" }, registry: { type: "string" }, once: { type: "boolean" }, "work-dir": { type: "string" } } as const;

/** `mlops controller`. */
export async function controllerCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(CONTROLLER_HELP);
    return 0;
  }
  const policy = await loadPolicy(required(values.policy, "policy"));
  const registry = ModelRegistry.open(values.registry);
  const log = createLog("controller");
  const controller = new RetrainingController({
    registry,
    policy,
    executor: new LocalProcessExecutor(),
    log,
    ...(values["work-dir"] === undefined ? {} : { workDir: values["work-dir"] }),
  });
  if (values.once) {
    const pass = await controller.runOnce();
    for (const action of pass.reconciled) io.out(`${policy.model}: ${action}\n`);
    const check = pass.check;
    const trigger = check ? `; trigger ${check.consecutive}/${check.persistChecks} checks${check.signal.reasons.length ? ` (${check.signal.reasons.join("; ")})` : ""}` : "";
    io.out(`${policy.model}: ${pass.outcome}${trigger}\n`);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = (name: string) => {
    log.info({ signal: name }, "stopping");
    stop.abort(new Error(`received ${name}`));
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.once("SIGINT", onInt);
  process.once("SIGTERM", onTerm);
  log.info({ model: policy.model, registry: registry.storage.url, intervalSeconds: policy.intervalSeconds }, "controller started");
  try {
    await controller.run(stop.signal);
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
  log.info({}, "controller stopped");
  return 0;
}
