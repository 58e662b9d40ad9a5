import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { modelConfig } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import type { Cell } from "../data/table.ts";
import { writeTable } from "../data/write-table.ts";
import { mlopsError } from "../errors.ts";
import { silentLog } from "../log.ts";
import { CAR_FEATURES, type CarRecord, loadCars, modelYear } from "../demo/cars-dataset.ts";
import { regressionMetrics } from "../model/metrics.ts";
import { registerModel, trainModel } from "../model/train-model.ts";
import { ModelRegistry } from "../registry/index.ts";
import { parseJson } from "../serve/json.ts";
import { createModelServer } from "../serve/server.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops demo`. */
export const DEMO_HELP = `usage: mlops demo [--dir <dir>]

Runs the product end to end on one machine, no cloud: trains two models on the early
model years (1970-1976) of the Auto MPG data shipped in vega-datasets, registers them,
starts the server on a free localhost port and queries it through TF Serving REST and
the Open Inference Protocol v2, then scores the later years (1977-1982) as live traffic.

  --dir <dir>   working directory, recreated on each run (default: .mlops/demo)
`;

const MARKER = ".mlops-demo";
/** The second demo model tells where a car was made from its specs and fuel economy. */
const ORIGIN_FEATURES: string[] = [...CAR_FEATURES.filter((f) => f !== "Origin"), "Miles_per_Gallon"];

/** `mlops demo`. */
export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" } });
  if (values.help) {
    io.out(DEMO_HELP);
    return 0;
  }
  const dir = path.resolve(values.dir ?? ".mlops/demo");
  if (existsSync(dir)) {
    if (!existsSync(path.join(dir, MARKER))) throw mlopsError("MLOPS_ERR_CLI_USAGE", { reason: `${dir} exists and was not made by the demo; pass another --dir` });
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MARKER), "created by `mlops demo`; the demo deletes and recreates this directory\n");
  const started = performance.now();
  const say = (text: string) => io.out(`${text}\n`);
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;

  const cars = await loadCars();
  const early = cars.filter((c) => modelYear(c) <= 1976);
  const later = cars.filter((c) => modelYear(c) >= 1977 && c.Miles_per_Gallon !== null && c.Horsepower !== null);
  const columns = ["Name", "model_year", ...CAR_FEATURES, "Miles_per_Gallon"];
  const trainFile = path.join(dir, "cars-1970-1976.csv");
  await writeTable(trainFile, columns, early.map((c) => columns.map((k) => (c[k] ?? null) as Cell)));
  say(`pulumi-mlops demo — Auto MPG (vega-datasets), ${cars.length} cars, model years 1970-1982`);
  say(`  training data: ${early.length} cars from 1970-1976 → ${path.relative(process.cwd(), trainFile)}`);

  const registry = ModelRegistry.open(path.join(dir, "registry"));
  const table = await readTable(trainFile);
  const network = { hiddenLayers: [32, 16], epochs: 400, batchSize: 16, learningRate: 0.005, patience: 25 };
  const mpg = await trainModel({
    table,
    config: modelConfig.parse({ name: "cars-mpg", target: "Miles_per_Gallon", features: [...CAR_FEATURES], network }),
    defaultName: "cars-mpg",
  });
  const mpgReg = await registerModel(registry, mpg, table);
  say(`\n1. trained ${mpgReg.metadata.model} v${mpgReg.metadata.version} (regression, backend ${mpg.backend.name}) in ${mpg.fit.history.length} epochs: test RMSE ${mpg.metrics && "rmse" in mpg.metrics ? mpg.metrics.rmse.toFixed(2) : "?"} mpg`);
  const origin = await trainModel({
    table,
    config: modelConfig.parse({ name: "cars-origin", target: "Origin", features: ORIGIN_FEATURES, network }),
    defaultName: "cars-origin",
  });
  const originReg = await registerModel(registry, origin, table);
  const om = origin.metrics as { accuracy: number; rocAuc: number };
  say(`   trained ${originReg.metadata.model} v${originReg.metadata.version} (multiclass: ${(origin.preprocessor.targetTransform as { classes: string[] }).classes.join("/")}): test accuracy ${om.accuracy.toFixed(2)}, AUC ${om.rocAuc.toFixed(2)}`);
  say(`   both are champions in ${path.relative(process.cwd(), path.join(dir, "registry"))} (dataset sha256 ${table.digest.slice(0, 12)}…)`);

  const server = createModelServer(registry, { port: 0 }, silentLog);
  const base = await server.listen();
  try {
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${base}${url}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
      return { status: res.status, body: parseJson(await res.text()) as Record<string, unknown> };
    };
    say(`\n2. serving on ${base}`);
    const sample = later.slice(0, 3);
    const features = (c: CarRecord) => Object.fromEntries(CAR_FEATURES.map((f) => [f, c[f] ?? null]));
    const tfs = await call("POST", "/v1/models/cars-mpg:predict", { instances: sample.map(features) });
    const preds = (tfs.body.predictions as number[][]).map((p) => p[0]!);
    say(`   TF Serving  POST /v1/models/cars-mpg:predict → ${tfs.status}`);
    sample.forEach((c, i) => say(`     ${String(c.Name).padEnd(28)} ${modelYear(c)}  predicted ${preds[i]!.toFixed(1)} mpg, actual ${c.Miles_per_Gallon}`));
    const oip = await call("POST", "/v2/models/cars-origin/infer", {
      inputs: ORIGIN_FEATURES.map((f) => ({
        name: f,
        shape: [sample.length],
        datatype: "FP32",
        data: sample.map((c) => c[f] ?? null),
      })),
      outputs: [{ name: "label" }],
    });
    const labels = ((oip.body.outputs as { data: string[] }[])[0]?.data ?? []).join(", ");
    say(`   OIP v2      POST /v2/models/cars-origin/infer → ${oip.status}: ${labels} (actual ${sample.map((c) => c.Origin).join(", ")})`);
    const { Origin: _origin, ...specs } = features(sample[0]!);
    const cls = await call("POST", "/v1/models/cars-origin:classify", { examples: [{ ...specs, Miles_per_Gallon: sample[0]!.Miles_per_Gallon }] });
    if (cls.status !== 200) throw new Error(`classify failed: ${JSON.stringify(cls.body)}`);
    const top = ((cls.body.results as [string, number][][])[0] ?? []).map(([l, p]) => `${l} ${p.toFixed(2)}`).join(", ");
    say(`   TF Serving  POST /v1/models/cars-origin:classify → ${cls.status}: ${top}`);
    const bad = await call("POST", "/v1/models/cars-mpg:predict", { instances: [{ ...features(sample[0]!), Horsepower: "fast" }] });
    say(`   bad input   Horsepower "fast" → ${bad.status} ${JSON.stringify(bad.body)}`);
    const status = await call("GET", "/v1/models/cars-mpg");
    say(`   status      GET /v1/models/cars-mpg → ${JSON.stringify(status.body)}`);

    const t0 = performance.now();
    const replies = await Promise.all(later.map((c) => call("POST", "/v1/models/cars-mpg:predict", { instances: [features(c)] })));
    const ms = performance.now() - t0;
    const served = replies.map((r) => (r.body.predictions as number[][])[0]![0]!);
    const live = regressionMetrics(later.map((c) => c.Miles_per_Gallon as number), served);
    const metricsText = await (await fetch(`${base}/metrics`)).text();
    const batches = sumMetric(metricsText, "mlops_batch_size_requests_count", "cars-mpg");
    const requests = sumMetric(metricsText, "mlops_batch_size_requests_sum", "cars-mpg");
    say(`\n3. replayed ${later.length} cars from 1977-1982 as concurrent single-row requests in ${ms.toFixed(0)} ms`);
    say(`   dynamic batching merged ${requests} requests into ${batches} model calls (see /metrics)`);
    const testRmse = (mpg.metrics as { rmse: number }).rmse;
    say(`   RMSE on 1977-1982 traffic: ${live.rmse.toFixed(2)} mpg vs ${testRmse.toFixed(2)} on held-out 1970-1976 cars`);
    say(live.rmse > testRmse ? "   → later cars differ from the training years (lighter, more efficient): the drift the retraining loop is for" : "   → the model holds up on later years");
  } finally {
    await server.close();
  }
  say(`\ndone in ${elapsed()}. Try: npx mlops models show cars-mpg --registry ${path.relative(process.cwd(), path.join(dir, "registry"))}`);
  return 0;
}

function sumMetric(text: string, name: string, model: string): number {
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) && line.includes(`model="${model}"`)) total += Number(line.split(" ").at(-1));
  return total;
}
