/**
 * The waits on cloud-side readiness signals a first `pulumi up` needs (a role assignment or IAM grant
 * reaching the service that enforces it), polled the same way everywhere.
 */

/** How a wait polls; tests pass their own clock. */
export interface PollTiming {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Pause between tries. */
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** An attempt's answer when the signal is not there yet: why, for the final error. */
export interface NotReady {
  notReady: string;
}

export const notReady = (why: string): NotReady => ({ notReady: why });

const isNotReady = (v: unknown): v is NotReady => typeof v === "object" && v !== null && typeof (v as NotReady).notReady === "string";

/**
 * Calls `attempt` until it returns a value, pausing `intervalMs` between tries. An attempt that
 * answers {@link notReady} or throws (the service may not answer yet either) is tried again; once
 * the next try would pass `timeoutMs`, throws `fail(last reason)`. `defaults` fills what `timing`
 * leaves out.
 */
export async function pollUntilReady<T>(
  attempt: () => Promise<T | NotReady>,
  timing: PollTiming,
  defaults: { timeoutMs: number; intervalMs: number },
  fail: (last: string) => Error,
): Promise<T> {
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = timing.now ?? Date.now;
  const intervalMs = timing.intervalMs ?? defaults.intervalMs;
  const deadline = now() + (timing.timeoutMs ?? defaults.timeoutMs);
  let last = "no answer yet";
  for (;;) {
    try {
      const answer = await attempt();
      if (!isNotReady(answer)) return answer;
      last = answer.notReady;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (now() + intervalMs > deadline) throw fail(last);
    await sleep(intervalMs);
  }
}
