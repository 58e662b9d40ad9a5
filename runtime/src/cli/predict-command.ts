import path from "node:path";
import { SCORE_FILE, encodeTable } from "../data/preprocessor.ts";
import { readTable, tableFormat } from "../data/read-table.ts";
import type { Cell } from "../data/table.ts";
import { renderTable, writeTable } from "../data/write-table.ts";
import { MlopsError, mlopsError } from "../errors.ts";
import { initBackend } from "../model/backend.ts";
import { LoadedModel } from "../model/loaded-model.ts";
import { classScores, predictedLabel } from "../model/outputs.ts";
import { ModelRegistry } from "../registry/index.ts";
import { type Io, parseFlags, required } from "./args.ts";

/** Help for `mlops predict`. */
export const PREDICT_HELP = `usage: mlops predict --model <name> --data <file> [--version <n> | --label <alias>]
                    [--out <file>] [--registry <loc>]

Scores a CSV or JSONL file with a registered model (the champion unless --version or
--label says otherwise). Output: the input columns plus "prediction" and, for classifiers,
"probability_<class>" per class; written atomically to --out (format from its extension)
or to stdout in the input's format.
`;

const flags = {
  model: { type: "string" },
  data: { type: "string" },
  version: { type: "string" },
  label: { type: "string" },
  out: { type: "string" },
  registry: { type: "string" },
} as const;

/** Rows scored per model call. */
const CHUNK = 8192;

/** `mlops predict`: batch scoring. */
export async function predictCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(PREDICT_HELP);
    return 0;
  }
  const model = required(values.model, "model");
  const data = required(values.data, "data");
  if (values.version !== undefined && values.label !== undefined) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "give --version or --label, not both" });
  if (values.out !== undefined) {
    tableFormat(values.out);
    if (path.resolve(values.out) === path.resolve(data)) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: "--out must not be the input file" });
  }
  const registry = ModelRegistry.open(values.registry);
  const ref = values.version ?? values.label ?? "champion";
  const meta = await registry.resolve(model, /^\d+$/.test(ref) ? Number(ref) : ref);
  await initBackend();
  const table = await readTable(data);
  const loaded = await LoadedModel.load(registry, model, meta.version);
  try {
    const pre = loaded.preprocessor;
    const t = pre.targetTransform;
    const extra = t.task === "regression" ? ["prediction"] : ["prediction", ...t.classes.map((c) => `probability_${c}`)];
    const columns = [...table.columns, ...extra.map((c) => (table.columns.includes(c) ? `${c}_v${meta.version}` : c))];
    const out: Cell[][] = [];
    const csv = tableFormat(data) === "csv";
    for (let start = 0; start < table.rows.length; start += CHUNK) {
      const idx = Array.from({ length: Math.min(CHUNK, table.rows.length - start) }, (_, i) => start + i);
      let x: Float32Array;
      try {
        x = encodeTable(pre, table, idx, SCORE_FILE);
      } catch (err) {
        if (err instanceof MlopsError && err.code === "MLOPS_ERR_INFER_FEATURE") {
          const row = start + (err.params.row as number);
          const line = csv ? row + 2 : undefined;
          throw mlopsError("MLOPS_ERR_DATA_PARSE", { path: data, line: line ?? row + 1, reason: `feature ${JSON.stringify(err.params.feature)}: ${String(err.params.reason)}` });
        }
        throw err;
      }
      const y = await loaded.predict(x, idx.length);
      idx.forEach((r, i) => {
        const row = [...table.rows[r]!] as Cell[];
        if (t.task === "regression") row.push(y[i]!);
        else row.push(predictedLabel(t, y, i), ...classScores(t, y, i).map(([, p]) => p));
        out.push(row);
      });
    }
    if (values.out) {
      await writeTable(values.out, columns, out);
      io.err(`scored ${out.length} rows with ${model} version ${meta.version} → ${values.out}\n`);
    } else io.out(renderTable(tableFormat(data), columns, out));
    return 0;
  } finally {
    loaded.dispose();
  }
}
