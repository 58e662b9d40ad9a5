import { setTimeout as delay } from "node:timers/promises";

/** Time as the controller sees it; injected so tests run dwell and cooldown periods in milliseconds. */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : {});
  },
};
