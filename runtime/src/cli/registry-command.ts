import { mlopsError } from "../errors.ts";
import { collectGarbage, DEFAULT_GC_AGE_MS, ModelRegistry } from "../registry/index.ts";
import { type Io, intFlag, parseFlags } from "./args.ts";

/** Help for `mlops registry`. */
export const REGISTRY_HELP = `usage: mlops registry gc [--model <name>] [--older-than <seconds>] [--dry-run] [--json] [--registry <loc>]

Removes what writers that died mid-write left behind: the artifacts of versions whose manifest
never landed (no reader sees them) once their claim is older than --older-than or names a dead
process on this host, and on a filesystem registry stale .tmp-* and .lock-* files. Complete
versions and claims (version numbers are never reused) are never touched. A controller does the
same for its model whenever it takes the lead.

  --model <name>          only this model (default: every model)
  --older-than <seconds>  leave younger half-written versions alone (default: ${DEFAULT_GC_AGE_MS / 1000})
  --dry-run               list what would be removed, remove nothing
  --json                  print the report as JSON
  --registry <loc>        directory, s3://, gs:// or az:// URL (default: .mlops/registry)
`;

const flags = { model: { type: "string" }, "older-than": { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" }, registry: { type: "string" } } as const;

/** `mlops registry gc`. */
export async function registryCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, 1);
  if (values.help || positionals[0] === undefined) {
    io.out(REGISTRY_HELP);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== "gc") throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unknown registry subcommand ${JSON.stringify(positionals[0])}; use gc` });
  const olderThan = intFlag(values["older-than"], "older-than", 0, 10 * 365 * 86_400);
  const registry = ModelRegistry.open(values.registry);
  const report = await collectGarbage(registry, {
    ...(values.model === undefined ? {} : { model: values.model }),
    ...(olderThan === undefined ? {} : { olderThanMs: olderThan * 1000 }),
    dryRun: values["dry-run"] === true,
  });
  if (values.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const verb = values["dry-run"] ? "would remove" : "removed";
  const lines: string[] = [];
  for (const o of report.orphanVersions) lines.push(`${verb} ${o.model} version ${o.version}: ${o.keys.length} artifact(s) of a version that never completed (${o.why})`);
  for (const f of report.internalFiles) lines.push(`${verb} ${f}`);
  for (const k of report.kept) lines.push(`kept ${k.model} version ${k.version}: ${k.why}`);
  io.out(lines.length ? `${lines.join("\n")}\n` : `nothing to clean in ${registry.storage.url}\n`);
  return 0;
}
