import { pino, type Logger } from "pino";

/** The runtime's structured logger type. */
export type Log = Logger;

/**
 * Creates a JSON logger on stderr (stdout stays free for command output). Level from
 * MLOPS_LOG_LEVEL. @default "info"
 */
export function createLog(name: string, level: string = process.env.MLOPS_LOG_LEVEL ?? "info"): Log {
  return pino({ name, level, base: { name } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for tests and embedding. */
export const silentLog: Log = pino({ level: "silent" });
