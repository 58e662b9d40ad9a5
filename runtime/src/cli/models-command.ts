import { mlopsError } from "../errors.ts";
import { ModelRegistry, type VersionMetadata } from "../registry/index.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops models`. */
export const MODELS_HELP = `usage: mlops models list [--json] [--registry <dir>]
       mlops models show <model> [--json] [--registry <dir>]
       mlops models alias <model> <alias> <version> [--registry <dir>]
       mlops models alias <model> <alias> --delete [--registry <dir>]

Lists models, shows a model's versions with lineage and metrics, and moves aliases
(champion, challenger or any name). A running server picks up a moved alias by itself.
`;

const flags = { json: { type: "boolean" }, registry: { type: "string" }, delete: { type: "boolean" } } as const;

/** `mlops models ...`. */
export async function modelsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, 4);
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    io.out(MODELS_HELP);
    return values.help ? 0 : 2;
  }
  const registry = ModelRegistry.open(values.registry);
  const emit = (json: unknown, text: () => string) => io.out(values.json ? `${JSON.stringify(json, null, 2)}\n` : text());
  if (sub === "list") {
    const models: { name: string; versions: number; latest: number | null; aliases: Record<string, number> }[] = [];
    for (const name of await registry.listModels()) {
      const versions = await registry.listVersions(name);
      models.push({ name, versions: versions.length, latest: versions.at(-1)?.version ?? null, aliases: await registry.getAliases(name) });
    }
    emit(models, () =>
      models.length === 0
        ? "no models in the registry; train one with `mlops train --data <file> --target <column>`\n"
        : table(
            ["MODEL", "VERSIONS", "LATEST", "ALIASES"],
            models.map((m) => [m.name, String(m.versions), String(m.latest ?? "-"), Object.entries(m.aliases).map(([a, v]) => `${a}=${v}`).join(" ") || "-"]),
          ),
    );
    return 0;
  }
  if (sub === "show") {
    const model = rest[0];
    if (!model) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models show needs a model name" });
    const versions = await registry.listVersions(model);
    if (versions.length === 0) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    const aliases = await registry.getAliases(model);
    emit({ model, aliases, versions }, () => {
      const byVersion = (v: number) => Object.entries(aliases).filter(([, n]) => n === v).map(([a]) => a).join(",");
      return `${model}\n${table(
        ["VERSION", "CREATED", "ALIASES", "PARENT", "ROWS", "DATA SHA256", "BACKEND", "METRICS"],
        versions.map((v: VersionMetadata) => [
          String(v.version),
          v.createdAt.replace(/\.\d+Z$/, "Z"),
          byVersion(v.version) || "-",
          v.parent === null ? "-" : String(v.parent),
          String(v.dataset.rows),
          v.dataset.digest.slice(0, 12),
          v.backend,
          Object.entries(v.metrics).map(([k, x]) => `${k}=${x.toFixed(4)}`).join(" "),
        ]),
      )}`;
    });
    return 0;
  }
  if (sub === "alias") {
    const [model, alias, version] = rest;
    if (!model || !alias) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models alias needs <model> <alias> and a <version> (or --delete)" });
    if (values.delete) {
      await registry.deleteAlias(model, alias);
      io.out(`${model}: removed alias ${alias}\n`);
      return 0;
    }
    if (version === undefined || !/^\d+$/.test(version)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `models alias needs a version number, got ${JSON.stringify(version ?? "")}` });
    const before = (await registry.getAliases(model))[alias];
    await registry.setAlias(model, alias, Number(version));
    io.out(`${model}: ${alias} → version ${version}${before !== undefined && before !== Number(version) ? ` (was ${before})` : ""}\n`);
    return 0;
  }
  throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unknown models subcommand ${JSON.stringify(sub)}; use list, show or alias` });
}

/** Renders rows as aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
