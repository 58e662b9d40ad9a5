// Model-call benchmark: microseconds per LoadedModel.predict call (what the server's batcher
// runs) on the demo's cars-mpg model at 1 and 64 rows, per backend, next to two alternatives on
// the same weights: plain matMul + add + activation ops per dense layer ("unfused") and the
// layers model's own predict. Shows the fixed per-call cost that single-row serving pays.
//
// usage: node bench/model-call.ts [--backends tfjs-node,wasm,cpu] [--calls 2000] [--registry <dir>]
import { cpuBackends, flag, fmt, machineLine, markdownTable, run, tempDir, benchRegistry, MODEL } from "./lib.ts";
import { rm } from "node:fs/promises";

const ROWS = [1, 64];
const CALLS = Number(flag("calls", "2000"));

interface CallTimes {
  rows: number;
  loadedModel: number;
  unfused: number;
  layersPredict: number;
}

/** Child mode: times the three ways to run the model on the backend MLOPS_BACKEND names. */
async function child(registryDir: string): Promise<void> {
  const { initBackend, tf } = await import("../runtime/src/model/backend.ts");
  const { ModelRegistry } = await import("../runtime/src/registry/index.ts");
  const { LoadedModel } = await import("../runtime/src/model/loaded-model.ts");
  const { MODEL_JSON, WEIGHTS_BIN, deserializeModel } = await import("../runtime/src/model/artifacts.ts");
  const backend = await initBackend();
  const registry = ModelRegistry.open(registryDir);
  const meta = await registry.resolve(MODEL, "champion");
  const loaded = await LoadedModel.load(registry, MODEL, meta.version);
  const net = await deserializeModel(await registry.readFile(MODEL, meta.version, MODEL_JSON), await registry.readFile(MODEL, meta.version, WEIGHTS_BIN), MODEL);
  const width = loaded.preprocessor.width;
  const dense = net.layers
    .filter((l) => l.getClassName() === "Dense")
    .map((l) => {
      const [kernel, bias] = l.getWeights();
      return { kernel: kernel as import("../runtime/src/model/tf.ts").Tensor2D, bias: bias!, activation: (l.getConfig() as { activation?: string }).activation ?? "linear" };
    });
  const activate = (h: import("../runtime/src/model/tf.ts").Tensor2D, a: string) => (a === "relu" ? tf.relu(h) : a === "sigmoid" ? tf.sigmoid(h) : a === "softmax" ? tf.softmax(h) : a === "linear" ? h : tf.elu(h));
  const time = async (f: () => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await f();
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await f();
    return ((performance.now() - t0) / CALLS) * 1000;
  };
  const out: CallTimes[] = [];
  for (const n of ROWS) {
    const x = Float32Array.from({ length: n * width }, (_, i) => Math.sin(i));
    const read = async (y: import("../runtime/src/model/tf.ts").Tensor) => {
      await y.data();
      y.dispose();
    };
    out.push({
      rows: n,
      loadedModel: await time(() => loaded.predict(x, n)),
      unfused: await time(() =>
        read(
          tf.tidy(() => {
            let h = tf.tensor2d(x, [n, width]);
            for (const d of dense) h = activate(tf.add(tf.matMul(h, d.kernel), d.bias), d.activation);
            return h;
          }),
        ),
      ),
      layersPredict: await time(() => read(tf.tidy(() => net.predict(tf.tensor2d(x, [n, width])) as import("../runtime/src/model/tf.ts").Tensor))),
    });
  }
  loaded.dispose();
  net.dispose();
  process.stdout.write(`RESULT ${JSON.stringify({ backend: backend.name, out })}\n`);
}

if (import.meta.main) {
  if (process.argv[2] === "--child") {
    await child(process.argv[3]!);
  } else {
    const backends = flag("backends", cpuBackends().join(",")).split(",");
    console.log(`# model-call benchmark\n${machineLine()}\n${fmt(CALLS)} sequential awaited calls after 200 warm-up calls; µs per call\n`);
    const tmp = await tempDir("model-call");
    try {
      const registry = await benchRegistry(tmp);
      const rows: (string | number)[][] = [];
      for (const b of backends) {
        const r = await run(process.execPath, [import.meta.filename, "--child", registry, "--calls", String(CALLS)], { env: { ...process.env, MLOPS_BACKEND: b }, timeoutMs: 180_000 });
        const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (r.code !== 0 || !line) {
          console.log(`${b}: failed (exit ${r.code})\n${r.stderr.slice(-1500)}`);
          continue;
        }
        const { backend, out } = JSON.parse(line.slice(7)) as { backend: string; out: CallTimes[] };
        for (const t of out) rows.push([backend, t.rows, fmt(t.loadedModel), fmt(t.unfused), fmt(t.layersPredict)]);
      }
      console.log(markdownTable(["backend", "rows", "LoadedModel.predict (runtime)", "unfused matMul+add+act", "layers model.predict"], rows));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
