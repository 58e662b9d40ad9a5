// Drift benchmark: a 20-column current window of 100 000 rows (14 numerical, 6 categorical, 6 of
// them drifted) against its reference, the runtime's drift code next to scipy running the same
// tests the way Evidently does (bench/drift_scipy.py), in the same run on the same data.
//   - reference of 100 000 rows → the profile keeps quantile sketches of the continuous columns
//     (value counts for the discrete ones); defaults are wasserstein / jensenshannon; then ks
//     forced on the numerical columns;
//   - reference of 10 000 rows → the profile keeps every value (exact tests); same two runs.
// The runtime is timed through driftAgainstProfile (the monitor's entry point: plain JS arrays
// in, parsing included); scipy only for the statistics (numpy arrays already loaded). Medians of
// --repeats runs after a warm-up. Also: profile build time and JSON size for 100 000 and
// 1 000 000 training rows.
//
// usage: node bench/drift.ts [--rows 100000] [--repeats 5] [--python python3]
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Cell, Table } from "../runtime/src/data/table.ts";
import { type DriftResult, type DriftTest, type ReferenceProfile, buildReferenceProfile, driftAgainstProfile } from "../runtime/src/drift/index.ts";
import { ROOT, flag, fmt, machineLine, markdownTable, runOk, tempDir } from "./lib.ts";

const ROWS = Number(flag("rows", "100000"));
const REPEATS = Number(flag("repeats", "5"));
const PYTHON = flag("python", "python3");

type Kind = "numerical" | "categorical";
interface ColumnSpec {
  name: string;
  kind: Kind;
  /** One value from the generator; `drift` is 0 for the reference and 1 for the current window. */
  draw: (r: Random, drift: number) => number;
}

/** xorshift32 uniforms and Box–Muller normals: a fixed, seeded data set. */
class Random {
  private x: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  uniform(): number {
    this.x = (this.x ^ (this.x << 13)) >>> 0;
    this.x = (this.x ^ (this.x >>> 17)) >>> 0;
    this.x = (this.x ^ (this.x << 5)) >>> 0;
    return (this.x + 0.5) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
  category(weights: number[]): number {
    let u = this.uniform() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) <= 0) return i;
    return weights.length - 1;
  }
}

const zipf = (k: number, s: number) => Array.from({ length: k }, (_, i) => 1 / (i + 1) ** s);
const COLUMNS: ColumnSpec[] = [
  { name: "income", kind: "numerical", draw: (r) => Math.exp(10 + 0.5 * r.normal()) },
  { name: "age", kind: "numerical", draw: (r, d) => Math.round(40 + 12 * r.normal() + 3 * d) },
  { name: "score", kind: "numerical", draw: (r) => r.uniform() },
  { name: "balance", kind: "numerical", draw: (r, d) => (r.uniform() < 0.3 + 0.1 * d ? 0 : Math.round(r.normal() * 500 + 2000) / 100) },
  { name: "latency_ms", kind: "numerical", draw: (r) => -Math.log(r.uniform()) * 120 },
  { name: "temperature", kind: "numerical", draw: (r, d) => 20 + 5 * r.normal() + 1.5 * d },
  { name: "ratio", kind: "numerical", draw: (r, d) => Math.exp(r.normal() * (0.3 + 0.15 * d)) },
  { name: "items", kind: "numerical", draw: (r) => Math.floor(-Math.log(r.uniform()) * 3) },
  { name: "is_member", kind: "numerical", draw: (r) => (r.uniform() < 0.4 ? 1 : 0) },
  { name: "rating", kind: "numerical", draw: (r) => Math.min(5, Math.max(1, Math.round(3.6 + r.normal()))) },
  { name: "weight_kg", kind: "numerical", draw: (r) => Math.round((70 + 15 * r.normal()) * 10) / 10 },
  { name: "heavy_tail", kind: "numerical", draw: (r) => r.normal() / Math.max(0.05, r.uniform()) },
  { name: "bimodal", kind: "numerical", draw: (r) => (r.uniform() < 0.5 ? -2 : 2) + 0.7 * r.normal() },
  { name: "sensor", kind: "numerical", draw: (r) => (r.uniform() < 0.05 ? Number.NaN : 100 + r.normal()) },
  { name: "country", kind: "categorical", draw: (r) => r.category([5, 3, 2]) },
  { name: "device", kind: "categorical", draw: (r, d) => r.category(d ? [3, 3, 2, 2, 1, 1, 1, 1, 1, 1] : zipf(10, 1)) },
  { name: "city", kind: "categorical", draw: (r) => r.category(zipf(50, 1.1)) },
  { name: "plan", kind: "categorical", draw: (r) => r.category([7, 3]) },
  { name: "channel", kind: "categorical", draw: (r, d) => r.category(d ? [...zipf(19, 0.8), 4] : [...zipf(19, 0.8), 0.01]) },
  { name: "weekday", kind: "categorical", draw: (r) => r.category([1, 1, 1, 1, 1, 0.8, 0.6]) },
];

/** Column-major data: numbers (NaN = missing) for numerical columns, category codes otherwise. */
function dataset(rows: number, seed: number, drift: number): Float64Array[] {
  return COLUMNS.map((c, j) => {
    const r = new Random(seed * 1000 + j + 1);
    return Float64Array.from({ length: rows }, () => c.draw(r, drift));
  });
}

const label = (code: number) => `c${code}`;

function toTable(data: Float64Array[], rows: number): Table {
  const out: Cell[][] = [];
  for (let i = 0; i < rows; i++) out.push(COLUMNS.map((c, j) => (c.kind === "numerical" ? (Number.isNaN(data[j]![i]!) ? null : data[j]![i]!) : label(data[j]![i]!))));
  return { source: "bench", columns: COLUMNS.map((c) => c.name), rows: out, digest: "bench" };
}

function currentColumns(data: Float64Array[], columns: ColumnSpec[]) {
  return columns.map((c) => {
    const j = COLUMNS.indexOf(c);
    const values = c.kind === "numerical" ? Array.from(data[j]!, (v) => (Number.isNaN(v) ? null : v)) : Array.from(data[j]!, label);
    return { name: c.name, values };
  });
}

async function writeColumns(dir: string, set: string, data: Float64Array[]): Promise<void> {
  for (const [j, c] of COLUMNS.entries()) {
    if (c.kind === "numerical") {
      const present = data[j]!.filter((v) => !Number.isNaN(v));
      await writeFile(path.join(dir, `${set}_${c.name}.f64`), Buffer.from(present.buffer));
    } else {
      await writeFile(path.join(dir, `${set}_${c.name}.i32`), Buffer.from(Int32Array.from(data[j]!).buffer));
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface ScipyColumn {
  name: string;
  test: DriftTest;
  statistic: number;
  pValue: number | null;
}

console.log(`${machineLine()}\n`);
const dir = await tempDir("drift");
try {
  const t0 = performance.now();
  const current = dataset(ROWS, 2, 1);
  const references: Record<string, Float64Array[]> = { ref100k: dataset(100_000, 1, 0), ref10k: dataset(10_000, 3, 0) };
  await mkdir(dir, { recursive: true });
  await writeColumns(dir, "current", current);
  for (const [set, data] of Object.entries(references)) await writeColumns(dir, set, data);
  console.log(`generated data in ${fmt((performance.now() - t0) / 1000, 1)} s (${dir})\n`);

  const profiles: Record<string, ReferenceProfile> = {};
  const buildRows: (string | number)[][] = [];
  for (const [set, data] of Object.entries(references)) {
    const rows = data[0]!.length;
    const table = toTable(data, rows);
    const t = performance.now();
    profiles[set] = buildReferenceProfile(table, Object.fromEntries(COLUMNS.map((c) => [c.name, c.kind])));
    const ms = performance.now() - t;
    const sketched = profiles[set]!.columns.filter((c) => c.kind === "numerical" && c.sketch).length;
    buildRows.push([fmt(rows), fmt(ms), fmt(JSON.stringify(profiles[set]).length / 1024, 1), `${sketched} of 14`]);
  }
  {
    const rows = 1_000_000;
    const big = dataset(rows, 4, 0);
    const table = toTable(big, rows);
    const t = performance.now();
    const p = buildReferenceProfile(table, Object.fromEntries(COLUMNS.map((c) => [c.name, c.kind])));
    const ms = performance.now() - t;
    const sketched = p.columns.filter((c) => c.kind === "numerical" && c.sketch);
    buildRows.push([fmt(rows), fmt(ms), fmt(JSON.stringify(p).length / 1024, 1), `${sketched.length} of 14`]);
    const worst = Math.max(...sketched.map((c) => (c.kind === "numerical" ? c.sketch!.ksError : 0)));
    console.log(`1 M-row profile: largest sketch ksError ${worst.toExponential(2)}\n`);
  }
  console.log("Reference profile (20 columns), built once at training time:\n");
  console.log(markdownTable(["training rows", "build ms", "profile JSON KiB", "columns sketched"], buildRows));

  const numerical = COLUMNS.filter((c) => c.kind === "numerical");
  const scenarios = [
    { name: "100k reference (sketches), defaults", reference: "ref100k", test: "default", columns: COLUMNS },
    { name: "100k reference (sketches), ks forced", reference: "ref100k", test: "ks", columns: numerical },
    { name: "10k reference (exact), defaults", reference: "ref10k", test: "default", columns: COLUMNS },
    { name: "10k reference (exact), ks forced", reference: "ref10k", test: "ks", columns: numerical },
  ];
  const job = {
    dir,
    repeats: REPEATS,
    scenarios: scenarios.map((s) => ({ ...s, current: "current", columns: s.columns.map((c) => ({ name: c.name, kind: c.kind })) })),
  };
  await writeFile(path.join(dir, "job.json"), JSON.stringify(job));

  const ours: { ms: number; result: DriftResult }[] = [];
  for (const s of scenarios) {
    const cols = currentColumns(current, s.columns);
    const options = s.test === "default" ? {} : { test: s.test as DriftTest };
    let result = driftAgainstProfile(profiles[s.reference]!, cols, options);
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      result = driftAgainstProfile(profiles[s.reference]!, cols, options);
      times.push(performance.now() - t);
    }
    ours.push({ ms: median(times), result });
  }
  // scipy runs after the runtime, not beside it, so the two never share the cores.
  const scipyRun = await runOk(PYTHON, [path.join(ROOT, "bench", "drift_scipy.py"), path.join(dir, "job.json")], { timeoutMs: 600_000 });
  const scipy = JSON.parse(scipyRun.stdout) as { scenarios: { name: string; seconds: number; columns: ScipyColumn[] }[] };

  const notes: string[] = [];
  const rows = scenarios.map((s, i) => {
    const mine = ours[i]!;
    const theirs = scipy.scenarios[i]!;
    let maxDiff = 0;
    let maxAbs = 0;
    let maxP = 0;
    let agree = 0;
    let sameTests = 0;
    mine.result.columns.forEach((c, k) => {
      const o = theirs.columns[k]!;
      if (o.test === c.test) sameTests++;
      maxAbs = Math.max(maxAbs, Math.abs(c.statistic - o.statistic));
      maxDiff = Math.max(maxDiff, Math.abs(c.statistic - o.statistic) / Math.max(Math.abs(o.statistic), 1e-12));
      if (c.pValue !== null && o.pValue !== null && Math.abs(c.pValue - o.pValue) > maxP) {
        maxP = Math.abs(c.pValue - o.pValue);
        notes[i] = `${s.name}: largest |Δp| on ${c.name}, p = ${c.pValue.toPrecision(3)} (scipy ${o.pValue.toPrecision(3)})`;
      }
      const oDrift = o.pValue !== null ? (o.test === "ks" ? o.pValue <= c.threshold : o.pValue < c.threshold) : o.statistic >= c.threshold;
      if (oDrift === c.drifted) agree++;
    });
    const n = mine.result.columns.length;
    const tests = [...new Set(mine.result.columns.map((c) => c.test))].join("/");
    return [
      s.name,
      `${n} (${tests})`,
      fmt(mine.ms, 0),
      fmt(theirs.seconds * 1000, 0),
      `${sameTests}/${n}`,
      `${agree}/${n}`,
      `${maxAbs.toExponential(1)} (${maxDiff.toExponential(1)})`,
      maxP ? maxP.toExponential(1) : "-",
      `${mine.result.drift.drifted}/${n}`,
    ];
  });
  console.log(`\nDrift of a ${fmt(ROWS)}-row current window (median of ${REPEATS}):\n`);
  console.log(
    markdownTable(["scenario", "columns (tests)", "runtime ms", "scipy ms", "same test", "same verdict", "max |Δ statistic| (rel.)", "max |Δp|", "drifted"], rows),
  );
  for (const note of notes.filter(Boolean)) console.log(`- ${note}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
