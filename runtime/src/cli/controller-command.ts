import { AlertWebhook } from "../controller/alert-webhook.ts";
import { RetrainingController } from "../controller/controller.ts";
import { KubernetesJobExecutor, loadJobTemplate } from "../controller/kubernetes-job-executor.ts";
import { LocalProcessExecutor } from "../controller/local-process-executor.ts";
import { loadPolicy } from "../controller/policy.ts";
import { MlopsError, describeError, mlopsError } from "../errors.ts";
import { createLog } from "../log.ts";
import { ModelRegistry } from "../registry/index.ts";
import { type Io, intFlag, parseFlags, required } from "./args.ts";

/** Help for `mlops controller`. */
export const CONTROLLER_HELP = `usage: mlops controller --policy <file> [--registry <loc>] [--once | --roll-out <version>] [--work-dir <dir>]

Keeps a model fresh: watches the champion's monitoring snapshots for drift (or a quality
drop), retrains on the reference data plus labelled feedback, gates the new version against
the champion on the most recent labels, rolls it out (shadow, then canary steps with health
checks) and promotes it or rolls it back. Every decision lands in \`mlops models history\`.
Runs until SIGINT/SIGTERM; a restarted controller resumes a rollout left in progress.
Several replicas may run for one model: only the holder of the model's lease in the registry
acts (policy leadership.leaseSeconds, default 15), the others stand by and take over when it
stops renewing; --once stands by too when another controller leads.

  --policy <file>     controller policy, JSON or YAML (model, trigger, training, gate, rollout, executor)
  --registry <loc>    directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --once              one pass (a trigger check, and the whole cycle when it fires), then exit;
                      with a version awaiting approval, the pass finishes its rollout once approved
  --roll-out <version>  take a registered version (a CI pipeline's candidate) through the gate
                      (when the labelled feedback holds gate.minHoldoutRows) and the canary now,
                      then exit: promoted, rolled-back, gate-failed or awaiting-approval
  --work-dir <dir>    where each run's training log is kept (the training table and config are
                      staged in the model store) (default: .mlops/controller)
  --listen <host:port>  serve the Alertmanager webhook (POST /alerts): a firing alert whose
                      \`model\` label names this controller's model starts a pass at once
                      (default: 0.0.0.0:$MLOPS_ALERT_WEBHOOK_PORT when that is set; not with --once)
  --job-template <file> the batch/v1 Job (JSON; the Retraining component mounts it from a
                      ConfigMap) each training run is built from when the policy's executor.kind
                      is "kubernetes"; Jobs run in $MLOPS_NAMESPACE (default: $MLOPS_JOB_TEMPLATE)

The policy's executor.kind decides where training runs: "local" (a child process) or
"kubernetes" (a Job per run, reading its data and config from the model store).

Logs are JSON lines on stderr (MLOPS_LOG_LEVEL=debug shows every check).
`;

const flags = {
  policy: { type: "string" },
  registry: { type: "string" },
  once: { type: "boolean" },
  "work-dir": { type: "string" },
  listen: { type: "string" },
  "job-template": { type: "string" },
  "roll-out": { type: "string" },
} as const;

/** Parses `--listen host:port` (`[::1]:9000` for IPv6). */
function hostPort(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port > 65535) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--listen must be <host>:<port>, got ${JSON.stringify(value)}` });
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** A wait between passes that {@link Waker.wake} ends early; a wake during a pass ends the next wait at once. */
interface Waker {
  wake(): void;
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

function waker(): Waker {
  let pending = false;
  let current: (() => void) | undefined;
  return {
    wake() {
      if (current) current();
      else pending = true;
    },
    wait(ms, signal) {
      return new Promise((resolve) => {
        if (pending || signal.aborted) {
          pending = false;
          return resolve();
        }
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          current = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        current = done;
      });
    },
  };
}

/** `mlops controller`. */
export async function controllerCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(CONTROLLER_HELP);
    return 0;
  }
  const policy = await loadPolicy(required(values.policy, "policy"));
  const registry = ModelRegistry.open(values.registry);
  // The Retraining component configures the pod through these variables; the policy decides the executor.
  const jobTemplate = values["job-template"] ?? (process.env.MLOPS_JOB_TEMPLATE || undefined);
  if (policy.executor.kind === "kubernetes" && jobTemplate === undefined) {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: values.policy!, issues: ['executor.kind: "kubernetes" needs a Job template: pass --job-template <file> or set MLOPS_JOB_TEMPLATE (the Retraining component mounts one)'] });
  }
  const listenOn = values.listen ?? (process.env.MLOPS_ALERT_WEBHOOK_PORT ? `0.0.0.0:${process.env.MLOPS_ALERT_WEBHOOK_PORT}` : undefined);
  const listen = listenOn === undefined ? undefined : hostPort(listenOn);
  const log = createLog("controller");
  const controller = new RetrainingController({
    registry,
    policy,
    executor:
      policy.executor.kind === "kubernetes"
        ? new KubernetesJobExecutor({ template: loadJobTemplate(jobTemplate!), ...(process.env.MLOPS_NAMESPACE ? { namespace: process.env.MLOPS_NAMESPACE } : {}) })
        : new LocalProcessExecutor(),
    log,
    ...(values["work-dir"] === undefined ? {} : { workDir: values["work-dir"] }),
    // The webhook loop below runs its own passes: the lease must outlive the waits between them.
    holdLeaseBetweenPasses: !values.once,
  });
  if (values["roll-out"] !== undefined) {
    if (values.once) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--roll-out runs once by itself; drop --once" });
    const version = intFlag(values["roll-out"], "roll-out", 1, Number.MAX_SAFE_INTEGER)!;
    try {
      const r = await controller.gateAndRollOut(version);
      io.out(`${policy.model}: version ${version} ${r.outcome}${r.gated ? ` (gated on ${r.holdout} labelled rows)` : ` (gate skipped: ${r.holdout} labelled rows, the policy's gate needs ${policy.gate.minHoldoutRows})`}\n`);
      return r.outcome === "promoted" || r.outcome === "awaiting-approval" ? 0 : 1;
    } finally {
      await controller.release();
    }
  }
  if (values.once) {
    try {
      const pass = await controller.runOnce();
      for (const action of pass.reconciled) io.out(`${policy.model}: ${action}\n`);
      const check = pass.check;
      const trigger = check ? `; trigger ${check.consecutive}/${check.persistChecks} checks${check.signal.reasons.length ? ` (${check.signal.reasons.join("; ")})` : ""}` : "";
      io.out(`${policy.model}: ${pass.outcome}${trigger}${pass.standby ? ` (${pass.standby})` : ""}\n`);
      return 0;
    } finally {
      // Hand the lead straight back to a long-running controller waiting for it.
      await controller.release();
    }
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
  let webhook: AlertWebhook | undefined;
  try {
    if (listen === undefined) await controller.run(stop.signal);
    else {
      const { host, port } = listen;
      const wakeUp = waker();
      webhook = new AlertWebhook({
        wake: (model, alertnames) => {
          if (model !== policy.model) return log.debug({ alertModel: model, alertnames }, "alert for another model ignored");
          log.info({ alertnames }, "alert received; running a pass now");
          wakeUp.wake();
        },
      });
      const address = await webhook.listen(host, port);
      log.info({ host: address.address, port: address.port }, "alert webhook listening on POST /alerts");
      // RetrainingController.run's loop, with a wait between passes that an alert ends early.
      while (!stop.signal.aborted) {
        try {
          await controller.runOnce(stop.signal);
        } catch (err) {
          if (stop.signal.aborted) break;
          if (err instanceof MlopsError && err.code === "MLOPS_ERR_CONFIG_INVALID") throw err;
          log.error({ err: describeError(err) }, "controller pass failed; trying again next interval");
        }
        await wakeUp.wait(policy.intervalSeconds * 1000, stop.signal);
      }
    }
  } finally {
    await controller.release();
    await webhook?.close();
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
  log.info({}, "controller stopped");
  return 0;
}
