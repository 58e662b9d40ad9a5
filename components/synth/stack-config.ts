import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/** A stack's configuration as the Pulumi SDK expects it: `<namespace>:<key>` → string value. */
export interface StackConfig {
  /** Project name from Pulumi.yaml. */
  project: string;
  /** Absolute path of the program's entry point (Pulumi.yaml `main`, default index.ts). */
  main: string;
  /** Every config value, keys namespaced, values as strings (objects as JSON), as the CLI passes them. */
  config: Record<string, string>;
  /** Keys whose value was `secure:` in the stack file (replaced by a placeholder: synth has no passphrase). */
  secretKeys: string[];
}

/** Raised when the stack has no Pulumi.<stack>.yaml; lists the stacks that exist. */
export class UnknownStackError extends Error {
  /** The stack asked for. */
  readonly stackName: string;
  /** Stacks that do exist. */
  readonly available: string[];
  constructor(stack: string, available: string[]) {
    super(`unknown stack ${JSON.stringify(stack)}: no Pulumi.${stack}.yaml (stacks: ${available.join(", ") || "none"})`);
    this.name = "UnknownStackError";
    this.stackName = stack;
    this.available = available;
  }
}

/** Placeholder value synth gives secret config (it cannot decrypt `secure:` values). */
export const SECRET_PLACEHOLDER = "synth-secret-placeholder";

const asString = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Finds the directory holding Pulumi.yaml at or above `from`. */
export function findProjectDir(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Stacks that have a Pulumi.<stack>.yaml in the project's stack config directory. */
export function listStacks(projectDir: string): string[] {
  const project = parse(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string };
  const dir = path.join(projectDir, project.stackConfigDir ?? ".");
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Reads Pulumi.yaml and stacks/Pulumi.<stack>.yaml like the Pulumi CLI: project-level `config`
 * defaults first (unqualified keys get the project's namespace, `{default: v}` forms unwrapped),
 * then the stack's values; `{secure: ...}` values become {@link SECRET_PLACEHOLDER} and are listed
 * as secret keys.
 */
export function readStackConfig(projectDir: string, stack: string): StackConfig {
  const projectFile = parse(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    stackConfigDir?: string;
    config?: Record<string, unknown>;
  };
  const project = projectFile.name;
  const stackFile = path.join(projectDir, projectFile.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
  if (!/^[\w.-]+$/.test(stack) || !existsSync(stackFile)) throw new UnknownStackError(stack, listStacks(projectDir));
  let main = path.resolve(projectDir, projectFile.main ?? ".");
  if (!/\.[cm]?[jt]s$/.test(main)) main = path.join(main, existsSync(path.join(main, "index.ts")) ? "index.ts" : "index.js");
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const qualify = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  for (const [k, v] of Object.entries(projectFile.config ?? {})) {
    const value = v !== null && typeof v === "object" && !Array.isArray(v) && ("default" in v || "type" in v || "value" in v) ? ((v as { default?: unknown; value?: unknown }).value ?? (v as { default?: unknown }).default) : v;
    if (value !== undefined) config[qualify(k)] = asString(value);
  }
  const doc = (parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    const key = qualify(k);
    if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v && Object.keys(v).length === 1) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else config[key] = asString(v);
  }
  return { project, main, config, secretKeys };
}
