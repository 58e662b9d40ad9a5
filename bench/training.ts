// Training benchmark: samples/s of the runtime's training loop per TensorFlow.js backend, each
// backend in its own child process (MLOPS_BACKEND=...):
//   - the demo's cars-mpg model (6 features → 32-16-1, batch 16, 223 cars) through trainModel,
//   - a 784-64-10 softmax MLP on synthetic data (up to 20k rows × 784 features, 10 classes)
//     through fitNetwork, at batch sizes 32, 256 and 1024.
// Rates are steady state: cars skips its first epoch; each MLP batch size first runs a short
// calibration fit (warm-up, and sizes the timed run to about --seconds: fewer rows on slow
// backends, up to 5 epochs of 20k rows on fast ones), then the timed fit (its validation pass
// over 512 rows per epoch is included).
//
// usage: node bench/training.ts [--backends tfjs-node,wasm,cpu] [--seconds 3]
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { CAR_FEATURES, cpuBackends, loadCarRecords, flag, fmt, machineLine, markdownTable, run, tempDir } from "./lib.ts";

const BATCH_SIZES = [32, 256, 1024];
const MAX_ROWS = 20_000;
const MIN_ROWS = 2048;
const VAL_ROWS = 512;
const WIDTH = 784;
const CLASSES = 10;
const CARS_EPOCHS = 30;

/** One measurement, as the child reports it. */
interface Measurement {
  model: string;
  batchSize: number;
  /** Samples processed in the timed part. */
  rows: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Child mode: measures everything on the backend MLOPS_BACKEND names and prints one RESULT line. */
async function child(seconds: number): Promise<void> {
  const { initBackend } = await import("../runtime/src/model/backend.ts");
  const { trainModel } = await import("../runtime/src/model/train-model.ts");
  const { fitNetwork } = await import("../runtime/src/model/train-network.ts");
  const { modelConfig, networkConfig } = await import("../runtime/src/data/model-config.ts");
  const { readTable } = await import("../runtime/src/data/read-table.ts");
  const { writeTable } = await import("../runtime/src/data/write-table.ts");
  const backend = await initBackend();
  const out: Measurement[] = [];

  // The demo's cars-mpg model, with early stopping off so every run does CARS_EPOCHS epochs.
  const tmp = await tempDir("training");
  try {
    const cars = (await loadCarRecords()).filter((c) => Number(String(c.Year).slice(0, 4)) <= 1976);
    const columns = ["Name", ...CAR_FEATURES, "Miles_per_Gallon"];
    const file = path.join(tmp, "cars.csv");
    await writeTable(file, columns, cars.map((c) => columns.map((k) => c[k] ?? null)));
    const table = await readTable(file);
    const ends: number[] = [];
    const trained = await trainModel({
      table,
      config: modelConfig.parse({
        name: "cars-mpg",
        target: "Miles_per_Gallon",
        features: [...CAR_FEATURES],
        network: { hiddenLayers: [32, 16], epochs: CARS_EPOCHS, batchSize: 16, learningRate: 0.005, patience: 0 },
      }),
      defaultName: "cars-mpg",
      onEpoch: (p) => ends.push(p.elapsedMs),
    });
    const n = trained.report.split.train * (ends.length - 1);
    const s = (ends.at(-1)! - ends[0]!) / 1000;
    out.push({ model: "cars-mpg (demo: 6 features → 32-16-1)", batchSize: 16, rows: n, seconds: s, samplesPerSecond: n / s });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  // 784-64-10 MLP on synthetic data: labels from a random linear teacher, so the task is learnable.
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const make = (n: number) => {
    const x = new Float32Array(n * WIDTH);
    for (let i = 0; i < x.length; i++) x[i] = rand();
    return x;
  };
  const teacher = Float32Array.from({ length: WIDTH * CLASSES }, () => rand() - 0.5);
  const label = (x: Float32Array, n: number) => {
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < CLASSES; c++) {
        let v = 0;
        for (let k = 0; k < WIDTH; k++) v += x[r * WIDTH + k]! * teacher[k * CLASSES + c]!;
        if (v > bestV) [best, bestV] = [c, v];
      }
      y[r] = best;
    }
    return y;
  };
  const xTrain = make(MAX_ROWS);
  const yTrain = label(xTrain, MAX_ROWS);
  const xVal = make(VAL_ROWS);
  const validation = { x: xVal, y: label(xVal, VAL_ROWS), n: VAL_ROWS };
  /** Fits `epochs` epochs on the first n rows; returns the seconds they took. */
  const fit = async (n: number, batchSize: number, epochs: number) => {
    const result = await fitNetwork({
      task: "multiclass",
      classes: CLASSES,
      width: WIDTH,
      network: { ...networkConfig.parse({ hiddenLayers: [64], batchSize, learningRate: 0.001 }), epochs, patience: 0, weightDecay: 0 },
      train: { x: xTrain.subarray(0, n * WIDTH), y: yTrain.subarray(0, n), n },
      validation,
    });
    result.model.dispose();
    return result.history.at(-1)!.elapsedMs / 1000;
  };
  for (const batchSize of BATCH_SIZES) {
    const rate = MIN_ROWS / (await fit(MIN_ROWS, batchSize, 1));
    // Size the timed run to ~`seconds`: fewer rows on slow backends, extra epochs (up to 5) on fast ones.
    const n = Math.max(MIN_ROWS, Math.min(MAX_ROWS, Math.floor((rate * seconds) / batchSize) * batchSize));
    const epochs = Math.max(1, Math.min(5, Math.round((rate * seconds) / n)));
    const s = await fit(n, batchSize, epochs);
    out.push({ model: "784-64-10 MLP (synthetic)", batchSize, rows: n * epochs, seconds: s, samplesPerSecond: (n * epochs) / s });
  }
  process.stdout.write(`RESULT ${JSON.stringify({ backend: backend.name, results: out })}\n`);
}

if (import.meta.main) {
  const seconds = Number(flag("seconds", "3"));
  if (process.argv[2] === "--child") {
    await child(seconds);
  } else {
    const backends = flag("backends", cpuBackends().join(",")).split(",");
    console.log(`# training benchmark\n${machineLine()}\nbackends: ${backends.join(", ")} (each in its own process)\n`);
    const all: { backend: string; results: Measurement[] }[] = [];
    for (const b of backends) {
      const r = await run(process.execPath, [import.meta.filename, "--child", "--seconds", String(seconds)], { env: { ...process.env, MLOPS_BACKEND: b }, timeoutMs: 240_000 });
      const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (r.code !== 0 || !line) {
        console.log(`${b}: failed (exit ${r.code})\n${r.stderr.slice(-1500)}`);
        continue;
      }
      const parsed = JSON.parse(line.slice(7)) as { backend: string; results: Measurement[] };
      all.push(parsed);
      for (const m of parsed.results) console.error(`  ${parsed.backend.padEnd(9)} ${m.model.padEnd(40)} batch ${String(m.batchSize).padStart(4)}: ${fmt(m.samplesPerSecond)} samples/s (${fmt(m.rows)} samples in ${m.seconds.toFixed(2)} s)`);
    }
    if (all.length === 0) process.exit(1);
    const keys = all[0]!.results.map((m) => [m.model, m.batchSize] as const);
    console.log(
      markdownTable(
        ["model", "batch", ...all.map((a) => `${a.backend} samples/s`)],
        keys.map(([model, batch]) => [model, batch, ...all.map((a) => fmt(a.results.find((m) => m.model === model && m.batchSize === batch)?.samplesPerSecond ?? Number.NaN))]),
      ),
    );
    const out = flag("json");
    if (out) await writeFile(out, JSON.stringify(all, null, 2));
  }
}
