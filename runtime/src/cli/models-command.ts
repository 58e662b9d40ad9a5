import { writeFile } from "node:fs/promises";
import { mlopsError } from "../errors.ts";
import { approve, reject } from "../controller/approval.ts";
import { rollback } from "../controller/rollback.ts";
import { compareVersions } from "../governance/compare-versions.ts";
import { type ModelCardFormat, renderModelCard } from "../governance/model-card.ts";
import { type ModelEvent, ModelRegistry, type VersionMetadata, appendEvent, listEvents, verifyHistory } from "../registry/index.ts";
import { LEARNING_CURVE_JSON, type LearningCurve } from "../model/learning-curve.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops models`. */
export const MODELS_HELP = `usage: mlops models list [--json] [--registry <loc>]
       mlops models show <model> [--json] [--registry <loc>]
       mlops models alias <model> <alias> <version> [--registry <loc>]
       mlops models alias <model> <alias> --delete [--registry <loc>]
       mlops models history <model> [--verify] [--json] [--registry <loc>]
       mlops models rollback <model> [--registry <loc>]
       mlops models approve <model> <version> --by <name> --reason <text> [--registry <loc>]
       mlops models reject <model> <version> --by <name> --reason <text> [--registry <loc>]
       mlops models card <model> [<version|alias>] [--format md|html] [--out <file>] [--registry <loc>]
       mlops models compare <model> --candidate <version|alias> [--candidate-registry <loc>]
                            [--against <version|alias>] [--metric <name>] [--min-improvement <x>]
                            [--fail-if-worse] [--out <file>] [--json] [--registry <loc>]

Lists models, shows a model's versions with lineage and metrics, and moves aliases
(champion, challenger or any name). A running server picks up a moved alias by itself.
history prints the model's timeline (registrations, alias moves, drift, retraining, gate,
canary, promotions, rollbacks) with the reason for each; --json prints the events.
rollback puts the previous champion back, stops any canary and records why.

history --verify checks the history's hash chain (each event carries the hash of the one
before it): a changed, deleted or inserted event exits 1 naming the first broken seq; events
written before the chain existed are reported as unchained legacy, not failures.
approve / reject answer a controller whose policy has promotion.requireApproval: approve lets
the held canary finish and promote; reject rolls the version back at once. Both are recorded.
card writes a version's model card (default the champion) as Markdown or HTML: lineage,
features, metrics with baselines and intervals, explanations, drift, who trained it, parents.
compare is the quality gate of a CI pipeline: the candidate's recorded test metric against the
champion's (or --against), a Markdown report (for a pull-request comment) on stdout and in
--out; with --fail-if-worse it exits 1 when the candidate is not better by --min-improvement.

list checks every aliased version's artifacts against their sha256 and show checks every
version: a corrupt object is named on stderr, marked CORRUPT in the STATUS column, and the
command exits 1. alias also repairs a corrupt aliases.json (the old bytes are kept under
models/<model>/quarantine/).
`;

const flags = {
  json: { type: "boolean" },
  registry: { type: "string" },
  delete: { type: "boolean" },
  verify: { type: "boolean" },
  by: { type: "string" },
  reason: { type: "string" },
  format: { type: "string" },
  out: { type: "string" },
  candidate: { type: "string" },
  "candidate-registry": { type: "string" },
  against: { type: "string" },
  metric: { type: "string" },
  "min-improvement": { type: "string" },
  "fail-if-worse": { type: "boolean" },
} as const;

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
    const curves: Record<string, LearningCurve> = {};
    for (const v of versions) {
      if (!v.files[LEARNING_CURVE_JSON] || status.get(v.version)!.length) continue;
      try {
        curves[String(v.version)] = JSON.parse((await registry.readFile(model, v.version, LEARNING_CURVE_JSON)).toString("utf8")) as LearningCurve;
      } catch (err) {
        problems.push(`models/${model}/versions/${v.version}/${LEARNING_CURVE_JSON}: ${(err as Error).message}`);
      }
    }
    emit({ model, aliases, versions, learningCurves: curves, corrupt: Object.fromEntries([...status].filter(([, p]) => p.length > 0)) }, () => {
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
      )}\nlineage\n${versions.map(lineageLines).join("")}${learningCurveLines(curves)}`;
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
    if (values.verify) {
      const r = await verifyHistory(registry, model);
      const legacy = r.findings.filter((f) => f.kind === "legacy");
      emit(r, () => {
        const lines = [`${model}: ${r.events} events; ${r.chained} chained${r.chainStart !== null ? ` (seq ${r.chainStart}-${r.chainEnd})` : ""}${legacy.length ? `; ${legacy.length} unchained legacy (seq ${legacy[0]!.seq}${legacy.length > 1 ? `-${legacy.at(-1)!.seq}` : ""}, written before the history carried hashes)` : ""}`];
        for (const f of r.findings) if (f.kind !== "legacy") lines.push(`  ${f.kind === "broken" ? "BROKEN" : "set aside"}  ${f.message}`);
        lines.push(r.firstBroken ? `chain broken: first at seq ${r.firstBroken.seq}` : `chain intact; head ${r.head ?? "none"} (keep it elsewhere: a deleted tail leaves a shorter valid chain)`);
        return `${lines.join("\n")}\n`;
      });
      if (r.firstBroken) {
        io.err(`mlops models: history of model ${JSON.stringify(model)} fails its hash chain at seq ${r.firstBroken.seq}: ${r.firstBroken.message} [MLOPS_ERR_REGISTRY_HISTORY_BROKEN]\n`);
        return 1;
      }
      return 0;
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
  if (sub === "approve" || sub === "reject") {
    const [model, version] = rest;
    if (!model || version === undefined || !/^\d+$/.test(version) || rest.length > 2) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `models ${sub} needs <model> <version>` });
    if (values.by === undefined || values.reason === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `models ${sub} needs --by <name> and --reason <text>: the history records who decided and why` });
    const decision = { by: values.by, reason: values.reason };
    const event = sub === "approve" ? await approve(registry, model, Number(version), decision) : await reject(registry, model, Number(version), decision);
    io.out(`${model}: ${event.reason} (history seq ${event.seq})${sub === "approve" ? "; the controller promotes it on its next pass" : "; traffic is back on the champion"}\n`);
    return 0;
  }
  if (sub === "card") {
    const [model, ref] = rest;
    if (!model || rest.length > 2) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models card needs <model> and optionally a <version> or alias" });
    const text = await renderModelCard(registry, model, ref ?? "champion", (values.format ?? "md") as ModelCardFormat);
    if (values.out) {
      await writeFile(values.out, text);
      io.out(`${model}: model card written to ${values.out}\n`);
    } else io.out(text);
    return 0;
  }
  if (sub === "compare") {
    const model = rest[0];
    if (!model || rest.length > 1) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models compare needs exactly one model name" });
    if (values.candidate === undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "models compare needs --candidate <version|alias> (with --candidate-registry for a scratch registry)" });
    const minImprovement = values["min-improvement"] === undefined ? undefined : Number(values["min-improvement"]);
    if (minImprovement !== undefined && !Number.isFinite(minImprovement)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--min-improvement must be a number, got ${JSON.stringify(values["min-improvement"])}` });
    const candidateRegistry = values["candidate-registry"] === undefined ? registry : ModelRegistry.open(values["candidate-registry"]);
    const c = await compareVersions(registry, model, { registry: candidateRegistry, ref: values.candidate }, values.against ?? "champion", {
      ...(values.metric === undefined ? {} : { metric: values.metric }),
      ...(minImprovement === undefined ? {} : { minImprovement }),
    });
    if (values.out) await writeFile(values.out, c.markdown);
    io.out(values.json ? `${JSON.stringify(c, null, 2)}\n` : c.markdown);
    if (!c.passed) io.err(`mlops models: candidate version ${c.candidate.version} is not better than ${c.baseline.ref} (version ${c.baseline.version}) on ${c.metric}: improvement ${c.improvement.toFixed(4)} < ${c.minImprovement}\n`);
    return !c.passed && values["fail-if-worse"] ? 1 : 0;
  }
  throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `unknown models subcommand ${JSON.stringify(sub)}; use list, show, alias, history, rollback, approve, reject, card or compare` });
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

const SPARKS = "▁▂▃▄▅▆▇█";

/** A text sparkline of `values` (NaN as a space), at most `width` characters, each the mean of its bucket. */
export function sparkline(values: readonly number[], width = 60): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return "";
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const buckets = Math.min(width, values.length);
  let out = "";
  for (let b = 0; b < buckets; b++) {
    const part = values.slice(Math.floor((b * values.length) / buckets), Math.floor(((b + 1) * values.length) / buckets)).filter((v) => Number.isFinite(v));
    if (part.length === 0) {
      out += " ";
      continue;
    }
    const v = part.reduce((a, c) => a + c, 0) / part.length;
    out += SPARKS[hi > lo ? Math.min(SPARKS.length - 1, Math.floor(((v - lo) / (hi - lo)) * SPARKS.length)) : 0];
  }
  return out;
}

/** The learning-curve section of `models show`: per version, sparklines of the losses and a few epochs as a table. */
export function learningCurveLines(curves: Record<string, LearningCurve>): string {
  const entries = Object.entries(curves);
  if (entries.length === 0) return "";
  const lines = ["learning curves"];
  for (const [version, c] of entries) {
    const cap = c.bestEpoch === c.epochCap && !c.stoppedEarly ? " — best epoch is the cap: raise network.epochs" : "";
    lines.push(`  version ${version}: best epoch ${c.bestEpoch} of ${c.epochs.length} run (cap ${c.epochCap}, patience ${c.patience})${c.refit ? `; refit ${c.refit.epochs} epochs on ${c.refit.rows} rows` : ""}${cap}`);
    lines.push(`    loss      ${sparkline(c.epochs.map((e) => e.loss))}`);
    lines.push(`    valLoss   ${sparkline(c.epochs.map((e) => e.valLoss))}`);
    const n = c.epochs.length;
    const picks = [...new Set([0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), c.bestEpoch - 1, n - 1].filter((i) => i >= 0 && i < n))].sort((a, b) => a - b);
    lines.push(`    ${"EPOCH".padEnd(7)}${"LOSS".padEnd(12)}${"VAL LOSS".padEnd(12)}VAL ${c.metric.toUpperCase()}`);
    for (const i of picks) {
      const e = c.epochs[i]!;
      const f = (v: number) => (Number.isFinite(v) ? v.toFixed(5) : "-");
      lines.push(`    ${String(e.epoch).padEnd(7)}${f(e.loss).padEnd(12)}${f(e.valLoss).padEnd(12)}${f(e.valMetric)}${e.epoch === c.bestEpoch ? "  ← best" : ""}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
