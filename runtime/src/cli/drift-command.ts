import { writeFile } from "node:fs/promises";
import { readTable } from "../data/read-table.ts";
import { DRIFT_TESTS, type DriftResult, type DriftTest, P_VALUE_TESTS, compareTables } from "../drift/index.ts";
import { MlopsError, mlopsError } from "../errors.ts";
import { type Io, parseFlags, required } from "./args.ts";

/** Help for `mlops drift`. */
export const DRIFT_HELP = `usage: mlops drift --reference <url> --current <url>
                  [--test ks|chisquare|z|wasserstein|jensenshannon|psi] [--threshold <x>]
                  [--categorical a,b] [--json] [--report <file.html>]

Compares every column of the current data with the reference, with Evidently's default tests:
reference <= 1000 rows: ks for numbers (drift if p <= 0.05), chisquare or z for categories
(p < 0.05); larger references: normed wasserstein for numbers and jensenshannon for categories
(drift if >= 0.1). The dataset drifts when at least half of the columns drift. Both files need
the same columns; missing values are ignored. Exit code 0 whether or not drift is found.

  --reference <url>    reference data, e.g. the training set: a path or file://, s3://, gs://,
                       az:// or https:// URL of a file, prefix or glob (.csv, .jsonl, .ndjson,
                       each optionally .gz, or .parquet)
  --current <url>      current data to check against it (same forms)
  --test <name>        run this test on every column instead of the default choice
  --threshold <x>      threshold for every column (p-value or distance, per test)
  --categorical a,b    treat these columns as categories even if every value is a number
  --json               print one JSON object: {drift: {...}, columns: [...]}
  --report <file>      also write a self-contained HTML report
`;

const flags = {
  reference: { type: "string" },
  current: { type: "string" },
  test: { type: "string" },
  threshold: { type: "string" },
  categorical: { type: "string" },
  json: { type: "boolean" },
  report: { type: "string" },
} as const;

/** `mlops drift`: per-column drift of --current against --reference, as a table or JSON. */
export async function driftCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(DRIFT_HELP);
    return 0;
  }
  const referencePath = required(values.reference, "reference");
  const currentPath = required(values.current, "current");
  const test = values.test === undefined ? undefined : testFlag(values.test);
  const threshold = values.threshold === undefined ? undefined : thresholdFlag(values.threshold, test);
  const categorical = (values.categorical ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  const [reference, current] = await Promise.all([readTable(referencePath, { role: "--reference" }), readTable(currentPath, { role: "--current" })]);
  const unknown = categorical.filter((c) => !reference.columns.includes(c));
  if (unknown.length) {
    throw mlopsError("MLOPS_ERR_CLI_USAGE", {
      reason: `--categorical names ${unknown.map((c) => JSON.stringify(c)).join(", ")}, not a column of ${referencePath} (columns: ${reference.columns.join(", ")})`,
    });
  }
  let result: DriftResult;
  try {
    result = compareTables(reference, current, { ...(test ? { test } : {}), ...(threshold === undefined ? {} : { threshold }), categorical });
  } catch (err) {
    if (err instanceof MlopsError && err.code === "MLOPS_ERR_DRIFT_TEST") {
      throw mlopsError("MLOPS_ERR_CLI_USAGE", {
        reason: `${err.message}${err.message.includes("categorical") ? " (a column is categorical when one of its values is not a number, or when --categorical lists it)" : ""}`,
      });
    }
    throw err;
  }
  if (values.report !== undefined) await writeReport(values.report, result, referencePath, currentPath);
  if (values.json) {
    io.out(`${JSON.stringify({ drift: result.drift, columns: result.columns.map(({ distribution: _, ...c }) => c) })}\n`);
  } else {
    io.out(renderTable(result));
    if (values.report !== undefined) io.out(`report    ${values.report}\n`);
  }
  return 0;
}

function testFlag(value: string): DriftTest {
  if (!(DRIFT_TESTS as readonly string[]).includes(value)) {
    throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--test must be one of ${DRIFT_TESTS.join(", ")}, got ${JSON.stringify(value)}` });
  }
  return value as DriftTest;
}

function thresholdFlag(value: string, test: DriftTest | undefined): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || x <= 0) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--threshold must be a positive number, got ${JSON.stringify(value)}` });
  if (test && P_VALUE_TESTS.has(test) && x > 1) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--threshold for ${test} is a p-value and must be at most 1, got ${JSON.stringify(value)}` });
  return x;
}

async function writeReport(file: string, result: DriftResult, reference: string, current: string): Promise<void> {
  // Loaded on use, like the commands: only --report needs the renderer.
  const { renderDriftReport } = await import("../drift/html-report.ts");
  const html = renderDriftReport(result, { reference, current, generatedAt: new Date().toISOString() });
  try {
    await writeFile(file, html);
  } catch (err) {
    throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `--report: cannot write ${file}: ${(err as Error).message}` });
  }
}

/** The human rendering: one line per column, then the dataset verdict. */
export function renderTable(result: DriftResult): string {
  const header = ["column", "type", "test", "statistic", "p-value", "threshold", "drift"];
  const rows = result.columns.map((c) => [c.name, c.type, c.test, num(c.statistic), c.pValue === null ? "-" : num(c.pValue), num(c.threshold), c.drifted ? "DRIFT" : "ok"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const d = result.drift;
  const verdict = `${d.detected ? "dataset drift DETECTED" : "no dataset drift"}: ${d.drifted} of ${d.columns} columns drifted (${pct(d.share)}; threshold ${pct(d.driftShare)})`;
  return `${[line(header), ...rows.map(line)].join("\n")}\n\n${verdict}\n`;
}

function num(x: number): string {
  if (x === Number.MAX_VALUE || x === Infinity) return "inf";
  if (Number.isNaN(x)) return "nan";
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential(2);
  return Number.isInteger(x) ? String(x) : x.toFixed(4);
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}
