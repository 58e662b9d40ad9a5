import { mlopsError } from "../errors.ts";
import { rollback } from "../controller/rollback.ts";
import { type ModelEvent, ModelRegistry, type VersionMetadata, appendEvent, listEvents } from "../registry/index.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops models`. */
export const MODELS_HELP = `usage: mlops models list [--json] [--registry <loc>]
       mlops models show <model> [--json] [--registry <loc>]
       mlops models alias <model> <alias> <version> [--registry <loc>]
       mlops models alias <model> <alias> --delete [--registry <loc>]
       mlops models history <model> [--json] [--registry <loc>]
       mlops models rollback <model> [--registry <loc>]

Lists models, shows a model's versions with lineage and metrics, and moves aliases
(champion, challenger or any name). A running server picks up a moved alias by itself.
history prints the model's timeline (registrations, alias moves, drift, retraining, gate,
canary, promotions, rollbacks) with the reason for each; --json prints the events.
rollback puts the previous champion back, stops any canary and records why.

list checks every aliased version's artifacts against their sha256 and show checks every
version: a corrupt object is named on stderr, marked CORRUPT in the STATUS column, and the
command exits 1. alias also repairs a corrupt aliases.json (the old bytes are kept under
models/<model>/quarantine/).
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
  const corrupt: string[] = [];
  const registry = ModelRegistry.open(values.registry, { onCorrupt: (err) => corrupt.push(err.message) });
  const emit = (json: unknown, text: () => string) => io.out(values.json ? `${JSON.stringify(json, null, 2)}\n` : text());
  /** Prints every corruption found on stderr; a corrupt registry is a failure (exit 1), though the rest was listed. */
  const verdict = (problems: readonly string[]): number => {
    for (const p of problems) io.err(`mlops models: ${p} [MLOPS_ERR_REGISTRY_CORRUPT]\n`);
    return problems.length > 0 ? 1 : 0;
  };
  const readAliases = async (model: string): Promise<{ aliases: Record<string, number>; problem?: string }> => {
    try {
      return { aliases: await registry.getAliases(model) };
    } catch (err) {
      if ((err as { code?: string }).code !== "MLOPS_ERR_REGISTRY_CORRUPT") throw err;
      return { aliases: {}, problem: (err as Error).message };
    }
  };
  if (sub === "list") {
    const models: { name: string; versions: number; latest: number | null; aliases: Record<string, number>; problems: string[] }[] = [];
    for (const name of await registry.listModels()) {
      corrupt.length = 0;
      const versions = await registry.listVersions(name).catch((err: { code?: string }) => {
        if (err.code === "MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND") return [];
        throw err;
      });
      const problems = [...corrupt];
      const { aliases, problem } = await readAliases(name);
      if (problem) problems.push(problem);
      // The versions a server would load: every artifact checked against its sha256.
      const intact = new Set(versions.map((v) => v.version));
      for (const v of new Set(Object.values(aliases))) {
        if (!intact.has(v)) continue;
        problems.push(...(await registry.verifyVersion(name, v)));
      }
      models.push({ name, versions: versions.length, latest: versions.at(-1)?.version ?? null, aliases, problems });
    }
    emit(models, () =>
      models.length === 0
        ? "no models in the registry; train one with `mlops train --data <file> --target <column>`\n"
        : table(
            ["MODEL", "VERSIONS", "LATEST", "ALIASES", "STATUS"],
            models.map((m) => [
              m.name,
              String(m.versions),
              String(m.latest ?? "-"),
              Object.entries(m.aliases).map(([a, v]) => `${a}=${v}`).join(" ") || (m.problems.some((p) => p.includes("aliases.json")) ? "?" : "-"),
              m.problems.length ? `CORRUPT (${m.problems.length})` : "ok",
            ]),
          ),
    );
    return verdict(models.flatMap((m) => m.problems));
  }
  if (sub === "show") {
    const model = rest[0];
    if (!model) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models show needs a model name" });
    const numbers = await registry.versionNumbers(model);
    if (numbers.length === 0) throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    const versions = await registry.listVersions(model);
    const problems = [...corrupt];
    const { aliases, problem } = await readAliases(model);
    if (problem) problems.push(problem);
    const status = new Map<number, string[]>();
    for (const n of numbers) {
      const found = await registry.verifyVersion(model, n);
      status.set(n, found);
      for (const f of found) if (!problems.includes(f)) problems.push(f);
    }
    const listed = new Map(versions.map((v) => [v.version, v]));
    emit({ model, aliases, versions, corrupt: Object.fromEntries([...status].filter(([, p]) => p.length > 0)) }, () => {
      const byVersion = (v: number) => Object.entries(aliases).filter(([, n]) => n === v).map(([a]) => a).join(",");
      return `${model}\n${table(
        ["VERSION", "CREATED", "ALIASES", "PARENT", "ROWS", "DATA SHA256", "BACKEND", "METRICS", "STATUS"],
        numbers.map((n) => {
          const v = listed.get(n);
          const st = status.get(n)!.length ? "CORRUPT" : "ok";
          if (v === undefined) return [String(n), "-", byVersion(n) || "-", "-", "-", "-", "-", "-", st];
          return [
            String(v.version),
            v.createdAt.replace(/\.\d+Z$/, "Z"),
            byVersion(v.version) || "-",
            v.parent === null ? "-" : String(v.parent),
            String(v.dataset.rows),
            v.dataset.digest.slice(0, 12),
            v.backend,
            Object.entries(v.metrics).map(([k, x]) => `${k}=${x.toFixed(4)}`).join(" "),
            st,
          ];
        }),
      )}\nlineage\n${versions.map(lineageLines).join("")}`;
    });
    return verdict(problems);
  }
  if (sub === "alias") {
    const [model, alias, version] = rest;
    if (!model || !alias) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models alias needs <model> <alias> and a <version> (or --delete)" });
    const champion = async () => (await registry.getAliases(model)).champion;
    if (values.delete) {
      await registry.deleteAlias(model, alias);
      const c = await champion();
      await appendEvent(registry, model, { type: "alias-removed", ...(c === undefined ? {} : { champion: c }), actor: "cli", reason: `alias ${alias} removed by hand`, details: { alias } });
      io.out(`${model}: removed alias ${alias}\n`);
      return 0;
    }
    if (version === undefined || !/^\d+$/.test(version)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `models alias needs a version number, got ${JSON.stringify(version ?? "")}` });
    const before = (await readAliases(model)).aliases[alias];
    // A corrupt aliases.json is repaired by setting an alias: its bytes are kept in quarantine.
    const { replacedCorrupt } = await registry.setAlias(model, alias, Number(version), { replaceCorrupt: { actor: "cli" } });
    if (replacedCorrupt) {
      io.err(
        `mlops models: aliases.json of ${model} was corrupt (${replacedCorrupt.reason}); replaced it with ${alias}=${version} and kept the old bytes as ${replacedCorrupt.copy}. Set any other alias it held again (\`mlops models history ${model}\` shows the last moves).\n`,
      );
    }
    const c = await champion();
    await appendEvent(registry, model, {
      type: "alias-moved",
      version: Number(version),
      ...(c === undefined ? {} : { champion: c }),
      actor: "cli",
      reason: `${alias} moved by hand to version ${version}${before !== undefined && before !== Number(version) ? ` (was ${before})` : ""}`,
      details: { alias, from: before ?? null, ...(replacedCorrupt ? { repaired: replacedCorrupt } : {}) },
    });
    io.out(`${model}: ${alias} → version ${version}${before !== undefined && before !== Number(version) ? ` (was ${before})` : ""}\n`);
    return 0;
  }
  if (sub === "history") {
    const model = rest[0];
    if (!model || rest.length > 1) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models history needs exactly one model name" });
    if ((await registry.versionNumbers(model)).length === 0 && (await registry.storage.list(`models/${model}/events/`)).length === 0) {
      throw mlopsError("MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND", { model });
    }
    const skipped: string[] = [];
    const events = await listEvents(registry, model, { onSkip: (p) => skipped.push(`${p.key}: ${p.reason}`) });
    emit(events, () => (events.length === 0 ? `${model}: no history recorded\n` : `${model}\n${historyTable(events)}`));
    // Unreadable events are left out, not fatal: say which, and that the controller quarantines them.
    for (const s of skipped) io.err(`mlops models: skipped unreadable history event ${s} (a running controller sets it aside under quarantine/)\n`);
    return 0;
  }
  if (sub === "rollback") {
    const model = rest[0];
    if (!model || rest.length > 1) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models rollback needs exactly one model name" });
    const r = await rollback(registry, model, "cli");
    const extra = [r.clearedRollout ? "rollout stopped" : "", r.removedChallenger !== null ? `challenger alias removed from version ${r.removedChallenger}` : ""].filter(Boolean);
    io.out(`${model}: champion rolled back from version ${r.from} to version ${r.to}${extra.length ? ` (${extra.join(", ")})` : ""}\n`);
    return 0;
  }
  throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unknown models subcommand ${JSON.stringify(sub)}; use list, show, alias, history or rollback` });
}

/** A version's dataset lineage: where the data came from, its digest, rows, schema and snapshot. */
export function lineageLines(v: VersionMetadata): string {
  const d = v.dataset;
  const files = d.files ?? [];
  const lines = [`  version ${v.version}: ${d.source}${d.format ? ` (${d.format}${files.length > 1 ? `, ${files.length} files` : ""})` : ""}`];
  lines.push(`    sha256    ${d.digest}`);
  lines.push(`    rows      ${d.rowsRead === undefined ? "" : `${d.rowsRead} read, `}${d.rows} used`);
  if (files.length > 1) for (const f of files) lines.push(`    file      ${f.url} ${f.bytes} bytes sha256 ${f.sha256.slice(0, 12)}`);
  if (d.schema) lines.push(`    schema    ${d.schema.map((c) => `${c.name}:${c.type}`).join(", ")}`);
  if (d.snapshot) {
    lines.push(`    snapshot  ${d.snapshot.url} (${d.snapshot.rows} rows, ${d.snapshot.bytes} bytes)`);
    lines.push(`    retrain   mlops train --from ${v.model}@${v.version}`);
  } else lines.push("    snapshot  none (train with --snapshot to keep a copy of the rows)");
  if (v.tuning) {
    const t = v.tuning;
    lines.push(`    tuning    search ${t.searchId} trial ${t.trial} of ${t.trials} (${t.sampler}, ${t.folds}-fold CV ${t.objective} ${t.value.toFixed(4)}): models/${v.model}/tuning/${t.searchId}/`);
    lines.push(`    params    ${Object.entries(t.params).map(([k, x]) => `${k}=${typeof x === "number" && !Number.isInteger(x) ? x.toPrecision(3) : x}`).join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A model's events as a timeline: time, event, version, champion, actor, reason. */
export function historyTable(events: readonly ModelEvent[]): string {
  return table(
    ["TIME", "EVENT", "VERSION", "CHAMPION", "ACTOR", "REASON"],
    events.map((e) => [e.time.replace(/\.\d+Z$/, "Z"), e.type, e.version === undefined ? "-" : String(e.version), e.champion === undefined ? "-" : String(e.champion), e.actor, e.reason]),
  );
}

/** Renders rows as aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
