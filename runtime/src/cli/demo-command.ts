import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { modelConfig } from "../data/model-config.ts";
import { readTable } from "../data/read-table.ts";
import type { Cell, Table } from "../data/table.ts";
import { writeTable } from "../data/write-table.ts";
import { describeError, mlopsError } from "../errors.ts";
import { attachImportance } from "../explain/importance.ts";
import { silentLog } from "../log.ts";
import { CAR_FEATURES, type CarRecord, loadCars, modelYear } from "../demo/cars-dataset.ts";
import { LocalProcessExecutor, RetrainingController, parsePolicy } from "../controller/index.ts";
import { UnitBugExecutor } from "../demo/unit-bug-executor.ts";
import { compareTables, renderDriftReport } from "../drift/index.ts";
import { renderModelCard } from "../governance/model-card.ts";
import { registerModel, trainModel } from "../model/train-model.ts";
import { ModelRegistry, listEvents } from "../registry/index.ts";
import { parseJson } from "../serve/json.ts";
import { createModelServer } from "../serve/server.ts";
import { type Io, parseFlags } from "./args.ts";

/** Help for `mlops demo`. */
export const DEMO_HELP = `usage: mlops demo [--dir <dir>]

Runs the whole loop on one machine, no cloud, on the Auto MPG data shipped in
vega-datasets: trains models on the early model years (1970-1975), registers them, serves
them on a free localhost port (TF Serving REST and Open Inference Protocol v2), then replays
the later years (1976-1982) as live traffic with their true mpg sent back as feedback. The
retraining controller notices the drift, retrains, rejects a candidate ruined by a unit bug
in its training labels, retrains again, rolls the good one out as a canary and promotes it.
Prints the timeline, writes an HTML drift report and leaves the registry for
\`mlops models history\`.

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
  const clock = () => `+${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const cars = await loadCars();
  const early = cars.filter((c) => modelYear(c) <= 1975);
  const later = cars.filter((c) => modelYear(c) >= 1976 && c.Miles_per_Gallon !== null && c.Horsepower !== null);
  const columns = ["Name", "model_year", ...CAR_FEATURES, "Miles_per_Gallon"];
  const trainFile = path.join(dir, "cars-1970-1975.csv");
  const liveFile = path.join(dir, "cars-1976-1982.csv");
  await writeTable(trainFile, columns, early.map((c) => columns.map((k) => (c[k] ?? null) as Cell)));
  await writeTable(liveFile, columns, later.map((c) => columns.map((k) => (c[k] ?? null) as Cell)));
  const rel = (p: string) => path.relative(process.cwd(), p) || ".";
  say(`pulumi-mlops demo — Auto MPG (vega-datasets): ${cars.length} cars, model years 1970-1982`);

  // 1. Train and register.
  const registryDir = path.join(dir, "registry");
  const registry = ModelRegistry.open(registryDir);
  const table = await readTable(trainFile);
  const network = { hiddenLayers: [32, 16], epochs: 300, batchSize: 32, learningRate: 0.01, patience: 15 };
  const mpg = await trainModel({ table, config: modelConfig.parse({ name: "cars-mpg", target: "Miles_per_Gallon", features: [...CAR_FEATURES], network }), defaultName: "cars-mpg" });
  await attachImportance(mpg, table);
  const mpgReg = await registerModel(registry, mpg, table);
  const origin = await trainModel({ table, config: modelConfig.parse({ name: "cars-origin", target: "Origin", features: ORIGIN_FEATURES, network }), defaultName: "cars-origin" });
  await attachImportance(origin, table);
  await registerModel(registry, origin, table);
  const testRmse = (mpg.metrics as { rmse: number }).rmse;
  const om = origin.metrics as { accuracy: number };
  say(`\n1. Train on ${early.length} cars from 1970-1975 (${rel(trainFile)}), backend ${mpg.backend.name}`);
  say(`   cars-mpg v${mpgReg.metadata.version}     regression, test RMSE ${testRmse.toFixed(2)} mpg → champion`);
  say(`   cars-origin v1  classifier (${(origin.preprocessor.targetTransform as { classes: string[] }).classes.join("/")}), test accuracy ${om.accuracy.toFixed(2)} → champion`);

  // 2. Serve, and show both protocols.
  const server = createModelServer(registry, { port: 0, grpcPort: null, inferenceGrpcPort: null, pollIntervalMs: 200, monitorIntervalMs: 500, driftWindowRows: 150, minDriftRows: 60 }, silentLog);
  const base = await server.listen();
  const controllerStop = new AbortController();
  let controllerRun: Promise<void> | undefined;
  try {
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${base}${url}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
      return { status: res.status, body: parseJson(await res.text()) as Record<string, unknown>, version: res.headers.get("x-mlops-model-version") };
    };
    const features = (c: CarRecord) => Object.fromEntries(CAR_FEATURES.map((f) => [f, c[f] ?? null]));
    say(`\n2. Serve on ${base}`);
    const sample = later[0]!;
    const tfs = await call("POST", "/v1/models/cars-mpg:predict", { instances: [features(sample)] });
    say(`   TF Serving  POST /v1/models/cars-mpg:predict → ${tfs.status} ${JSON.stringify((tfs.body.predictions as number[][])[0]!.map((v) => Number(v.toFixed(1))))} (${String(sample.Name)}, actual ${sample.Miles_per_Gallon})`);
    const oip = await call("POST", "/v2/models/cars-origin/infer", {
      inputs: ORIGIN_FEATURES.map((f) => ({ name: f, shape: [1], datatype: f === "Origin" ? "BYTES" : "FP32", data: [sample[f] ?? null] })),
      outputs: [{ name: "label" }],
    });
    say(`   OIP v2      POST /v2/models/cars-origin/infer   → ${oip.status} label ${JSON.stringify((oip.body.outputs as { data: string[] }[])[0]?.data)} (actual ${sample.Origin})`);
    const bad = await call("POST", "/v1/models/cars-mpg:predict", { instances: [{ ...features(sample), Horsepower: "fast" }] });
    say(`   bad input   Horsepower "fast" → ${bad.status} ${JSON.stringify(bad.body)}`);
    const why = await call("POST", "/v1/models/cars-mpg:explain", { instances: [features(sample)] });
    const ex = (why.body.explanations as { prediction: number; baseline: number; attributions: Record<string, number> }[])[0]!;
    const top = Object.entries(ex.attributions).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1])).slice(0, 3);
    say(`   explain     POST /v1/models/cars-mpg:explain    → ${why.status} ${ex.prediction.toFixed(1)} mpg vs ${ex.baseline.toFixed(1)} for the average car: ${top.map(([f, v]) => `${f} ${v >= 0 ? "+" : ""}${v.toFixed(1)}`).join(", ")} (Integrated Gradients)`);

    // 3. Live traffic with feedback; the controller watches, retrains, gates, canaries, promotes.
    const policy = parsePolicy(
      {
        model: "cars-mpg",
        intervalSeconds: 0.5,
        cooldownSeconds: 1,
        trigger: { persistChecks: 2, minWindowRows: 60, maxSnapshotAgeSeconds: 30 },
        training: { holdoutRows: 40 },
        gate: { metric: "rmse", minImprovement: 0.5, minHoldoutRows: 30 },
        rollout: { steps: [0.1, 0.5, 1], dwellSeconds: 2, minRequestsPerStep: 10, health: { maxP99LatencyMs: 1000, maxQualityDrop: 2 } },
        executor: { timeoutSeconds: 240, retries: 1, backoffSeconds: 1 },
      },
      "demo policy",
    );
    const executor = new UnitBugExecutor(new LocalProcessExecutor(), "Miles_per_Gallon");
    const controller = new RetrainingController({ registry, policy, executor, workDir: path.join(dir, "controller") });
    controllerRun = controller.run(controllerStop.signal).catch((err) => say(`   controller stopped: ${describeError(err)}`));
    say(`\n3. Live traffic: ${later.length} cars from 1976-1982, sent at random with their true mpg as feedback;`);
    say("   the controller watches the server's drift and quality snapshots. Timeline (the model's history):");
    const errors = new Map<string, number[]>();
    let printed = (await listEvents(registry, "cars-mpg")).length;
    let outcome: string | undefined;
    let flagged = false;
    let sent = 0;
    let state = 42;
    const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const deadline = performance.now() + 300_000;
    while (outcome === undefined && performance.now() < deadline) {
      for (let i = 0; i < 10; i++) {
        const car = later[Math.floor(random() * later.length)]!;
        const r = await call("POST", "/v1/models/cars-mpg:predict", { instances: [features(car)] });
        if (r.status !== 200) throw new Error(`live request failed: ${r.status} ${JSON.stringify(r.body)}`);
        const predicted = (r.body.predictions as number[][])[0]![0]!;
        const list = errors.get(r.version ?? "?") ?? [];
        list.push(predicted - (car.Miles_per_Gallon as number));
        errors.set(r.version ?? "?", list);
        await call("POST", "/v1/models/cars-mpg/feedback", { feedback: [{ id: r.body.id, label: car.Miles_per_Gallon }] });
        sent++;
      }
      await new Promise((r) => setTimeout(r, 40));
      const events = await listEvents(registry, "cars-mpg");
      for (const e of events.slice(printed)) {
        say(`   ${clock()}  ${e.type.padEnd(16)} ${e.version === undefined ? "   " : `v${e.version}`.padEnd(3)}  ${e.reason}`);
        if (e.type === "retrain-finished" && executor.corrupted === 1 && !flagged) {
          flagged = true;
          say("                              ↳ the demo's broken upstream step turned this run's mpg labels into L/100km");
        }
        if (e.type === "promoted") outcome = "promoted";
      }
      printed = events.length;
    }
    controllerStop.abort();
    await controllerRun;
    if (outcome === undefined) throw new Error("the controller did not promote a new version within 300 s");

    // 4. What changed.
    const aliases = await registry.getAliases("cars-mpg");
    const rmse = (v: string) => {
      const e = errors.get(v) ?? [];
      return e.length ? Math.sqrt(e.reduce((s, d) => s + d * d, 0) / e.length).toFixed(2) : "-";
    };
    say(`\n4. ${sent} live requests. cars-mpg champion is now v${aliases.champion}; live RMSE v1 ${rmse("1")} mpg → v${aliases.champion} ${rmse(String(aliases.champion))} mpg`);
    say(`   (v1 scored ${testRmse.toFixed(2)} on held-out 1970-1975 cars; later cars are lighter and more efficient)`);
    const keep = [...CAR_FEATURES, "Miles_per_Gallon"];
    const only = (t: Table): Table => {
      const idx = keep.map((c) => t.columns.indexOf(c));
      return { ...t, columns: keep, rows: t.rows.map((r) => idx.map((j) => r[j] ?? null)) };
    };
    const report = compareTables(only(await readTable(trainFile)), only(await readTable(liveFile)), { categorical: ["Origin"] });
    const reportFile = path.join(dir, "drift-report.html");
    await writeFile(reportFile, renderDriftReport(report, { reference: rel(trainFile), current: rel(liveFile), generatedAt: new Date().toISOString() }));
    const drifted = report.columns.filter((c) => c.drifted).map((c) => c.name);
    say(`   drift report: ${rel(reportFile)} (${drifted.length} of ${report.columns.length} columns drifted: ${drifted.join(", ")})`);
    say(`   history:      npx mlops models history cars-mpg --registry ${rel(registryDir)}`);
    const cardFile = path.join(dir, "model-card.html");
    await writeFile(cardFile, await renderModelCard(registry, "cars-mpg", "champion", "html"));
    say(`   model card:   ${rel(cardFile)} (the champion's lineage, metrics with baselines, explanations, history)`);
    say(`   console:      npx mlops ui --registry ${rel(registryDir)}   → http://127.0.0.1:8080/ui/`);
  } finally {
    controllerStop.abort();
    await controllerRun;
    await server.close();
  }
  say(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return 0;
}
