import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { mlopsError } from "./errors.ts";

/** Renders a zod issue path as `network.hiddenLayers[1]`. */
export function formatPath(issuePath: readonly PropertyKey[]): string {
  let out = "";
  for (const p of issuePath) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

/** One line per problem: `path: message`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** Parses `value` with `schema`, reporting every problem at once with its path (MLOPS_ERR_CONFIG_INVALID). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source, issues: formatIssues(result.error) });
  return result.data;
}

/** Reads a JSON or YAML file (by extension; YAML otherwise) and validates it with `schema`. */
export async function readConfigFile<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw mlopsError("MLOPS_ERR_CONFIG_READ", { path: file, reason: (err as NodeJS.ErrnoException).code === "ENOENT" ? "file does not exist" : (err as Error).message });
  }
  let value: unknown;
  try {
    value = path.extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw mlopsError("MLOPS_ERR_CONFIG_READ", { path: file, reason: (err as Error).message.split("\n")[0] ?? "parse error" });
  }
  return parseWith(schema, value ?? {}, file);
}
