import { type ParseArgsConfig, parseArgs } from "node:util";
import { mlopsError } from "../errors.ts";

/** Flag definitions for node:util parseArgs. */
export type Flags = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's flags strictly; unknown flags and stray arguments are usage errors naming them. */
export function parseFlags<F extends Flags>(argv: string[], flags: F, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" }, ...flags }, allowPositionals: true, strict: true });
    if (parsed.positionals.length > positionals) {
      throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unexpected argument ${JSON.stringify(parsed.positionals[positionals])}` });
    }
    return parsed;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: (err as Error).message });
    throw err;
  }
}

/** Reads a flag as an integer within bounds, or throws a usage error naming the flag. */
export function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}` });
  return n;
}

/** Fails with a usage error when a required flag is missing. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--${name} is required` });
  return value;
}

/** Where command output goes; injectable for tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars) or a pipe/file (plain lines). */
  isTTY: boolean;
}

/** The process's own stdout/stderr. */
export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};
