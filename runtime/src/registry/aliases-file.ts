import { z } from "zod";
import { mlopsError } from "../errors.ts";
import { REGISTRY_NAME } from "./registry-names.ts";
import { describeIssues } from "./version-metadata.ts";

/**
 * Schema of a model's `aliases.json`: `{ "aliases": { "<alias>": <version> } }`. Unknown top-level
 * fields are ignored (and dropped by the next write).
 */
export const aliasesFile = z.object({
  aliases: z.record(
    z.string().regex(REGISTRY_NAME).refine((s) => !/^[0-9]+$/.test(s), "an alias cannot be all digits"),
    z.number().int().positive(),
  ),
});

/** Parses the alias table stored at `key`; throws MLOPS_ERR_REGISTRY_CORRUPT naming the key. */
export function parseAliasesFile(data: Buffer, key: string): Record<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: `not valid JSON (${(err as Error).message})` }, { cause: err });
  }
  const parsed = aliasesFile.safeParse(json);
  if (!parsed.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: describeIssues(parsed.error) });
  return { ...parsed.data.aliases };
}

/** Serialises an alias table, aliases sorted by name so equal tables give equal bytes (and etags). */
export function formatAliasesFile(aliases: Record<string, number>): string {
  const sorted = Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({ aliases: sorted }, null, 2)}\n`;
}
