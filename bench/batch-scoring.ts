// Batch-scoring benchmark: `mlops predict` end to end (process start to scored file written)
// over a generated CSV of cars features, per TensorFlow.js backend, timed with hyperfine when it
// is installed (else repeated timed runs). A second pass runs the same steps as `mlops predict`
// in one process and times each stage, to show where the time goes.
//
// usage: node bench/batch-scoring.ts [--rows 200000] [--runs 3] [--backends tfjs-node,wasm,cpu] [--registry <dir>]
import { createWriteStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import { MLOPS, MODEL, cpuBackends, loadCarRecords, flag, fmt, hasCommand, machineLine, markdownTable, run, runOk, tempDir, benchRegistry } from "./lib.ts";

const ROWS = Number(flag("rows", "200000"));
const RUNS = Number(flag("runs", "3"));
const SMALL = 100;

/** Writes `n` rows of cars features (the later model years, jittered by a seeded generator) with an id column. */
async function generateCsv(file: string, n: number): Promise<void> {
  const cars = (await loadCarRecords()).filter((c) => c.Horsepower !== null);
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, "drain");
  };
  await write("id,Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration,Origin\n");
  let chunk = "";
  for (let i = 0; i < n; i++) {
    const c = cars[i % cars.length]!;
    const j = (v: unknown, pct: number) => Math.round(Number(v) * (1 + (rand() - 0.5) * pct) * 10) / 10;
    chunk += `${i},${c.Cylinders},${j(c.Displacement, 0.1)},${j(c.Horsepower, 0.1)},${Math.round(j(c.Weight_in_lbs, 0.1))},${j(c.Acceleration, 0.1)},${c.Origin}\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(chunk);
  out.end();
  await once(out, "finish");
}

/** Child mode: the steps of `mlops predict`, each timed, on the backend MLOPS_BACKEND names. */
async function stages(registryDir: string, data: string, outFile: string): Promise<void> {
  const t = () => performance.now();
  const times: Record<string, number> = {};
  let t0 = t();
  const { initBackend } = await import("../runtime/src/model/backend.ts");
  const { ModelRegistry } = await import("../runtime/src/registry/index.ts");
  const { LoadedModel } = await import("../runtime/src/model/loaded-model.ts");
  const { readTable } = await import("../runtime/src/data/read-table.ts");
  const { renderTable } = await import("../runtime/src/data/write-table.ts");
  const { SCORE_FILE, encodeTable } = await import("../runtime/src/data/preprocessor.ts");
  const { writeFile } = await import("node:fs/promises");
  const backend = await initBackend();
  times["import + backend init"] = t() - t0;
  t0 = t();
  const registry = ModelRegistry.open(registryDir);
  const meta = await registry.resolve(MODEL, "champion");
  const loaded = await LoadedModel.load(registry, MODEL, meta.version);
  times["model load + warm-up"] = t() - t0;
  t0 = t();
  const table = await readTable(data);
  times["read + parse CSV (csv-parse)"] = t() - t0;
  // Same chunking as predict-command.ts.
  const CHUNK = 8192;
  let encode = 0;
  let predict = 0;
  let assemble = 0;
  const out: (string | number | boolean | null)[][] = [];
  for (let start = 0; start < table.rows.length; start += CHUNK) {
    let s = t();
    const idx = Array.from({ length: Math.min(CHUNK, table.rows.length - start) }, (_, i) => start + i);
    const x = encodeTable(loaded.preprocessor, table, idx, SCORE_FILE);
    encode += t() - s;
    s = t();
    const y = await loaded.predict(x, idx.length);
    predict += t() - s;
    s = t();
    idx.forEach((r, i) => {
      const row = [...table.rows[r]!];
      row.push(y[i]!);
      out.push(row);
    });
    assemble += t() - s;
  }
  times["encode features"] = encode;
  times["model predict (8192-row chunks)"] = predict;
  times["assemble output rows"] = assemble;
  t0 = t();
  const text = renderTable("csv", [...table.columns, "prediction"], out);
  times["render CSV (csv-stringify)"] = t() - t0;
  t0 = t();
  await writeFile(outFile, text);
  times["write file"] = t() - t0;
  loaded.dispose();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`RESULT ${JSON.stringify({ backend: backend.name, rows: table.rows.length, times, maxRssMb })}\n`);
}

interface Timing {
  backend: string;
  rows: number;
  meanS: number;
  sdS: number;
  minS: number;
}

/** Times `mlops predict` with hyperfine: per backend, the big file and a SMALL-row file (fixed cost). */
async function withHyperfine(backends: string[], registry: string, files: Record<number, string>, tmp: string): Promise<Timing[]> {
  const json = path.join(tmp, "hyperfine.json");
  const cmd = (rows: number) => `MLOPS_BACKEND={backend} ${process.execPath} ${MLOPS} predict --model ${MODEL} --registry ${registry} --data ${files[rows]} --out ${path.join(tmp, `out-{backend}-${rows}.csv`)}`;
  await runOk("hyperfine", ["--warmup", "1", "--runs", String(RUNS), "--style", "basic", "--export-json", json, "-L", "backend", backends.join(","), cmd(ROWS), cmd(SMALL)], {
    timeoutMs: 600_000,
  });
  const results = (JSON.parse(await readFile(json, "utf8")) as { results: { command: string; mean: number; stddev: number | null; min: number; parameters: { backend: string } }[] }).results;
  return results.map((r) => ({ backend: r.parameters.backend, rows: r.command.includes(`cars-${ROWS}.csv`) ? ROWS : SMALL, meanS: r.mean, sdS: r.stddev ?? 0, minS: r.min }));
}

/** Fallback without hyperfine: one warm-up and RUNS timed runs of each command. */
async function withSpawns(backends: string[], registry: string, files: Record<number, string>, tmp: string): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const backend of backends) {
    for (const rows of [ROWS, SMALL]) {
      const args = [MLOPS, "predict", "--model", MODEL, "--registry", registry, "--data", files[rows]!, "--out", path.join(tmp, `out-${backend}-${rows}.csv`)];
      const env = { ...process.env, MLOPS_BACKEND: backend };
      await runOk(process.execPath, args, { env, timeoutMs: 300_000 });
      const s: number[] = [];
      for (let i = 0; i < RUNS; i++) s.push((await runOk(process.execPath, args, { env, timeoutMs: 300_000 })).ms / 1000);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      out.push({ backend, rows, meanS: mean, sdS: Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length - 1)), minS: Math.min(...s) });
    }
  }
  return out;
}

if (import.meta.main) {
  if (process.argv[2] === "--stages") {
    await stages(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  } else {
    const backends = flag("backends", cpuBackends().join(",")).split(",");
    console.log(`# batch-scoring benchmark\n${machineLine()}\n`);
    const tmp = await tempDir("batch");
    try {
      const registry = await benchRegistry(tmp);
      const files: Record<number, string> = { [ROWS]: path.join(tmp, `cars-${ROWS}.csv`), [SMALL]: path.join(tmp, `cars-${SMALL}.csv`) };
      await generateCsv(files[ROWS]!, ROWS);
      await generateCsv(files[SMALL]!, SMALL);
      console.log(`input: ${files[ROWS]} (${fmt(ROWS)} rows, ${((await stat(files[ROWS]!)).size / 1e6).toFixed(1)} MB); model ${MODEL} from ${registry}`);
      const hyperfine = hasCommand("hyperfine");
      console.log(`timing: ${hyperfine ? `hyperfine --warmup 1 --runs ${RUNS}` : `1 warm-up + ${RUNS} timed runs (install hyperfine for better statistics: apt-get install -y hyperfine)`}\n`);
      const timings = hyperfine ? await withHyperfine(backends, registry, files, tmp) : await withSpawns(backends, registry, files, tmp);
      const rowsOut: (string | number)[][] = [];
      for (const b of backends) {
        const big = timings.find((x) => x.backend === b && x.rows === ROWS);
        const small = timings.find((x) => x.backend === b && x.rows === SMALL);
        if (!big || !small) continue;
        rowsOut.push([
          b,
          `${big.meanS.toFixed(2)} ± ${big.sdS.toFixed(2)}`,
          fmt(ROWS / big.meanS),
          `${small.meanS.toFixed(2)}`,
          big.meanS > small.meanS ? fmt((ROWS - SMALL) / (big.meanS - small.meanS)) : "n/a (within noise)",
        ]);
      }
      console.log(
        markdownTable([`backend`, `${fmt(ROWS)} rows: wall s (mean ± sd)`, "rows/s end to end", `${SMALL} rows: wall s (fixed cost)`, "rows/s excluding fixed cost"], rowsOut),
      );

      console.log(`\nwhere the time goes (the steps of mlops predict in one process, ms):`);
      const stageResults: { backend: string; times: Record<string, number>; maxRssMb: number }[] = [];
      for (const b of backends) {
        const r = await run(process.execPath, [import.meta.filename, "--stages", registry, files[ROWS]!, path.join(tmp, `stages-${b}.csv`)], { env: { ...process.env, MLOPS_BACKEND: b }, timeoutMs: 300_000 });
        const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (r.code !== 0 || !line) throw new Error(`stage timing on ${b} failed:\n${r.stderr.slice(-2000)}`);
        stageResults.push(JSON.parse(line.slice(7)));
      }
      const names = Object.keys(stageResults[0]!.times);
      console.log(
        markdownTable(
          ["stage", ...stageResults.map((s) => s.backend)],
          [
            ...names.map((n) => [n, ...stageResults.map((s) => fmt(s.times[n]!))]),
            ["total", ...stageResults.map((s) => fmt(Object.values(s.times).reduce((a, b) => a + b, 0)))],
            ["peak RSS (MB)", ...stageResults.map((s) => fmt(s.maxRssMb))],
          ],
        ),
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
