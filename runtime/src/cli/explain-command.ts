import { writeFile } from "node:fs/promises";
import { SCORE_FILE, encodeTable } from "../data/preprocessor.ts";
import { readTable } from "../data/read-table.ts";
import { mlopsError } from "../errors.ts";
import { type ExplainReference, type RowExplanation, explainRows, referenceFromRows } from "../explain/index.ts";
import { initBackend } from "../model/backend.ts";
import { LoadedModel } from "../model/loaded-model.ts";
import { ModelRegistry } from "../registry/index.ts";
import { explainOptions, versionReference } from "../serve/explain-route.ts";
import { type Io, intFlag, parseFlags, required } from "./args.ts";

/** Help for `mlops explain`. */
export const EXPLAIN_HELP = `usage: mlops explain --model <name> --data <url> [--version <n> | --label <alias>]
                    [--method ig|kernelshap] [--out <file.jsonl>] [--limit <rows>]
                    [--steps <n>] [--samples <n>] [--background <n>] [--class <label>]
                    [--reference <url>] [--registry <loc>] [--json]

Per-row feature attributions of a registered model (the champion unless --version or --label
says otherwise) over its original features: a categorical feature's one-hot columns are
summed back into one attribution.

  --method ig           Integrated Gradients (default): the network's gradients along the path
                        from the baseline (the mean training row) to the row, trapezoid rule
                        over --steps intervals (default 64); each row reports its completeness
                        error |Σ attributions - (f(x) - f(baseline))|
  --method kernelshap   model-agnostic KernelSHAP against --background training rows (default
                        50): every coalition when the model has at most 12 features, else
                        --samples coalitions (default 2048)
  --class <label>       the class whose probability a multiclass model's attributions explain
                        (default: each row's predicted class)
  --reference <url>     rows to explain against instead of the version's training reference
                        (needed for versions trained before explanations existed)
  --out <file>          one JSON object per row (row, output, prediction, baseline,
                        completenessError, attributions); default: a summary only
  --limit <rows>        explain the first rows only (default: every row)

The summary prints mean |attribution| per feature and the largest completeness error.
`;

const flags = {
  model: { type: "string" },
  data: { type: "string" },
  version: { type: "string" },
  label: { type: "string" },
  method: { type: "string" },
  out: { type: "string" },
  limit: { type: "string" },
  steps: { type: "string" },
  samples: { type: "string" },
  background: { type: "string" },
  class: { type: "string" },
  reference: { type: "string" },
  registry: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Rows explained per call. */
const CHUNK = 100;

/** `mlops explain`. */
export async function explainCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(EXPLAIN_HELP);
    return 0;
  }
  const model = required(values.model, "model");
  const data = required(values.data, "data");
  if (values.version !== undefined && values.label !== undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "give --version or --label, not both" });
  const num = (name: "steps" | "samples" | "background", min: number, max: number) => intFlag(values[name], name, min, max);
  const options = explainOptions({
    method: values.method ?? "ig",
    ...(values.steps === undefined ? {} : { steps: num("steps", 1, 1024) }),
    ...(values.samples === undefined ? {} : { samples: num("samples", 16, 65_536) }),
    ...(values.background === undefined ? {} : { background: num("background", 1, 500) }),
    ...(values.class === undefined ? {} : { class: values.class }),
  });
  const limit = intFlag(values.limit, "limit", 1, Number.MAX_SAFE_INTEGER);
  await initBackend();
  const registry = ModelRegistry.open(values.registry);
  const meta = await registry.resolve(model, values.version ?? values.label ?? "champion");
  const loaded = await LoadedModel.load(registry, model, meta.version);
  try {
    const pre = loaded.preprocessor;
    const table = await readTable(data, { role: "--data" });
    let reference: ExplainReference;
    if (values.reference !== undefined) {
      const refTable = await readTable(values.reference, { role: "--reference" });
      const rows = refTable.rows.map((_, i) => i).slice(0, 500);
      reference = referenceFromRows(encodeTable(pre, refTable, rows, SCORE_FILE), rows.length, pre.width, values.reference);
    } else reference = versionReference(loaded);
    const n = Math.min(table.rows.length, limit ?? Number.POSITIVE_INFINITY);
    const all: RowExplanation[] = [];
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const rows = Array.from({ length: Math.min(CHUNK, n - r0) }, (_, i) => r0 + i);
      all.push(...(await explainRows(loaded, encodeTable(pre, table, rows, SCORE_FILE), rows.length, reference, options)));
    }
    if (values.out !== undefined) await writeFile(values.out, all.map((e, row) => `${JSON.stringify({ row, ...e })}\n`).join(""));
    const features = pre.features.map((f) => ({ name: f.name, meanAbsAttribution: all.reduce((s, e) => s + Math.abs(e.attributions[f.name]!), 0) / Math.max(1, all.length) }));
    features.sort((a, b) => b.meanAbsAttribution - a.meanAbsAttribution);
    const maxCompletenessError = all.reduce((m, e) => Math.max(m, e.completenessError), 0);
    const summary = { model, version: loaded.version, method: options.method, rows: all.length, reference: { source: reference.source, rows: reference.rows }, maxCompletenessError, features, ...(values.out ? { out: values.out } : {}) };
    if (values.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const w = Math.max(7, ...features.map((f) => f.name.length));
      io.out(
        `${model} version ${loaded.version}: ${options.method} attributions of ${all.length} rows (reference: ${reference.source}, ${reference.rows} rows)\n` +
          `${"FEATURE".padEnd(w)}  MEAN |ATTRIBUTION|\n` +
          features.map((f) => `${f.name.padEnd(w)}  ${f.meanAbsAttribution.toPrecision(4)}\n`).join("") +
          `largest completeness error: ${maxCompletenessError.toExponential(2)}\n` +
          (values.out ? `wrote ${values.out}\n` : ""),
      );
    }
    return 0;
  } finally {
    loaded.dispose();
  }
}
