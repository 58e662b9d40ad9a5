// Batch-scoring benchmark: `mlops predict` (streaming) next to a pandas + LightGBM batch job
// (bench/batch_scoring_peer.py) on the same files: a generated 200,000-row CSV of cars features
// and the same rows as Parquet (written by pyarrow with its defaults), read from and written to
// the local disk and an S3 bucket (moto on 127.0.0.1), plus a 2,000,000-row CSV to show how
// memory grows with the input. Wall time is process start to output written; peak RSS is the
// process's maximum resident set (GNU time's %M, else the kernel's VmHWM polled).
//
// usage: node bench/batch-scoring.ts [--rows 200000] [--big-rows 2000000] [--runs 3] [--registry <dir>]
// Needs python3 with pandas, pyarrow and lightgbm (pip install pandas pyarrow lightgbm) for the
// peer, and moto (pip install "moto[server]") for the S3 rows; missing ones are skipped and said so.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { MLOPS, MODEL, ROOT, benchRegistry, flag, fmt, loadCarRecords, machineLine, markdownTable, runOk, tempDir, trainCarsRegistry } from "./lib.ts";

const ROWS = Number(flag("rows", "200000"));
const BIG_ROWS = Number(flag("big-rows", "2000000"));
const RUNS = Number(flag("runs", "3"));
const PEER = path.join(ROOT, "bench", "batch_scoring_peer.py");

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

/** One measured process: wall seconds and peak RSS in MB. */
interface Sample {
  seconds: number;
  rssMb: number;
}

const GNU_TIME = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"], { encoding: "utf8" }).status === 0;

/** Runs a command to completion and measures it; fails with its output on a non-zero exit. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = GNU_TIME ? spawn("/usr/bin/time", ["-f", "MLOPS_BENCH_TIME %M", cmd, ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] }) : spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let hwm = 0;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Without GNU time: poll the kernel's high-water mark of the child.
    const poll = GNU_TIME
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            // exited
          }
        }, 20);
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}\n${stderr.slice(-2000)}`));
      const kb = GNU_TIME ? Number(/MLOPS_BENCH_TIME (\d+)/.exec(stderr)?.[1] ?? 0) : hwm;
      resolve({ seconds, rssMb: kb / 1024 });
    });
  });
}

const summarize = (s: Sample[]) => {
  const mean = s.reduce((a, b) => a + b.seconds, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b.seconds - mean) ** 2, 0) / Math.max(1, s.length - 1));
  return { mean, sd, rss: Math.max(...s.map((x) => x.rssMb)) };
};

function pythonPeerMissing(): string | undefined {
  const r = spawnSync("python3", ["-c", "import pandas, pyarrow, lightgbm"], { encoding: "utf8" });
  if (r.error) return `python3 not found (${r.error.message})`;
  return r.status === 0 ? undefined : `python3 cannot import pandas, pyarrow and lightgbm (pip install pandas pyarrow lightgbm): ${r.stderr.trim().split("\n").at(-1)}`;
}

if (import.meta.main) {
  console.log(`# batch-scoring benchmark\n${machineLine()}\n`);
  const tmp = await tempDir("batch");
  let moto: { endpoint: string; stop(): Promise<void> } | undefined;
  try {
    const registry = await benchRegistry(tmp);
    const csv = path.join(tmp, `cars-${ROWS}.csv`);
    const parquet = path.join(tmp, `cars-${ROWS}.parquet`);
    const big = path.join(tmp, `cars-${BIG_ROWS}.csv`);
    await generateCsv(csv, ROWS);
    await generateCsv(big, BIG_ROWS);
    const peerMissing = pythonPeerMissing();
    if (peerMissing) console.log(`peer skipped: ${peerMissing}`);
    // Parquet as a pandas user writes it: pyarrow's defaults (snappy, dictionary pages, 1Mi-row groups).
    if (!peerMissing) await runOk("python3", ["-c", "import sys, pandas as pd; pd.read_csv(sys.argv[1]).to_parquet(sys.argv[2], index=False)", csv, parquet]);
    const peerModel = path.join(tmp, "lightgbm.txt");
    // trainCarsRegistry leaves the training file in tmp; with --registry the peer trains on the same years' data written here.
    const train = path.join(tmp, "cars-1970-1976.csv");
    if (!peerMissing) {
      if (!existsSync(train)) {
        await mkdir(path.join(tmp, "peer-train"));
        await trainCarsRegistry(path.join(tmp, "peer-train"));
      }
      await runOk("python3", [PEER, "train", existsSync(train) ? train : path.join(tmp, "peer-train", "cars-1970-1976.csv"), peerModel]);
    }
    console.log(`inputs: ${fmt(ROWS)} rows as CSV (${((await stat(csv)).size / 1e6).toFixed(1)} MB)${existsSync(parquet) ? ` and Parquet (${((await stat(parquet)).size / 1e6).toFixed(1)} MB)` : ""}; ${fmt(BIG_ROWS)} rows as CSV (${((await stat(big)).size / 1e6).toFixed(1)} MB); model ${MODEL} (runtime) / LightGBM 100 rounds (peer)`);
    console.log(`timing: ${RUNS} runs each after one warm-up, mlops and the peer alternating; RSS: ${GNU_TIME ? "GNU time %M" : "VmHWM polled every 20 ms"}\n`);

    let s3env: NodeJS.ProcessEnv | undefined;
    const { motoUnavailable, startMoto } = await import("../test/helpers/object-store-servers.ts");
    const motoMissing = motoUnavailable();
    if (motoMissing) console.log(`S3 rows skipped: ${motoMissing}`);
    else {
      moto = await startMoto();
      s3env = { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: moto.endpoint, MLOPS_S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_EC2_METADATA_DISABLED: "true" };
      const { S3Client, CreateBucketCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
      const s3 = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
      await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
      for (const f of [csv, parquet].filter(existsSync)) await s3.send(new PutObjectCommand({ Bucket: "bench", Key: `in/${path.basename(f)}`, Body: await readFile(f) }));
      s3.destroy();
    }

    const cases: { label: string; input: string; output: string; env: NodeJS.ProcessEnv }[] = [
      { label: `local CSV, ${fmt(ROWS)} rows`, input: csv, output: path.join(tmp, "out.csv"), env: {} },
      ...(existsSync(parquet) ? [{ label: `local Parquet, ${fmt(ROWS)} rows`, input: parquet, output: path.join(tmp, "out.parquet"), env: {} }] : []),
      ...(s3env
        ? [
            { label: `S3 (moto) CSV, ${fmt(ROWS)} rows`, input: `s3://bench/in/${path.basename(csv)}`, output: "s3://bench/out/out.csv", env: s3env },
            ...(existsSync(parquet) ? [{ label: `S3 (moto) Parquet, ${fmt(ROWS)} rows`, input: `s3://bench/in/${path.basename(parquet)}`, output: "s3://bench/out/out.parquet", env: s3env }] : []),
          ]
        : []),
      { label: `local CSV, ${fmt(BIG_ROWS)} rows`, input: big, output: path.join(tmp, "out-big.csv"), env: {} },
    ];
    const rows: (string | number)[][] = [];
    for (const c of cases) {
      const env = { ...process.env, ...c.env };
      const mlopsArgs = [MLOPS, "predict", "--model", MODEL, "--registry", registry, "--data", c.input, "--out", c.output];
      const peerArgs = [PEER, "score", peerModel, c.input, c.output.replace(/(\.\w+)$/, "-peer$1")];
      await measure(process.execPath, mlopsArgs, env);
      if (!peerMissing) await measure("python3", peerArgs, env);
      const m: Sample[] = [];
      const p: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        m.push(await measure(process.execPath, mlopsArgs, env));
        if (!peerMissing) p.push(await measure("python3", peerArgs, env));
      }
      const ms = summarize(m);
      const ps = p.length ? summarize(p) : undefined;
      rows.push([c.label, `${ms.mean.toFixed(2)} ± ${ms.sd.toFixed(2)}`, fmt(ms.rss), ps ? `${ps.mean.toFixed(2)} ± ${ps.sd.toFixed(2)}` : "-", ps ? fmt(ps.rss) : "-"]);
      console.error(`done: ${c.label}`);
    }
    console.log(markdownTable(["input → output", "mlops predict: wall s", "mlops peak RSS MB", "pandas + LightGBM: wall s", "pandas + LightGBM peak RSS MB"], rows));
  } finally {
    await moto?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
