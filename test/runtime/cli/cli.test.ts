import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parseCsv } from "../../../runtime/src/data/read-table.ts";
import { MLOPS_BIN as bin, type Run, runMlops } from "../../helpers/run-cli.ts";

let dir: string;

const mlops = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> => runMlops(args, { cwd: dir, ...options });

/** A churn-like dataset: the label follows tenure and plan, with missing and dirty values. */
function churnCsv(n: number, seed: number): string {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32);
  const plans = ["basic", "plus", "pro"];
  const lines = ["customer_id,tenure_months,monthly_fee,plan,churned"];
  for (let i = 0; i < n; i++) {
    const tenure = Math.floor(rnd() * 60);
    const plan = plans[Math.floor(rnd() * 3)]!;
    const fee = (20 + rnd() * 80).toFixed(2);
    const churned = tenure < 12 || (plan === "basic" && rnd() < 0.5) ? "yes" : "no";
    const feeCell = i % 50 === 3 ? "" : i % 97 === 5 ? "n/a" : fee;
    lines.push(`c${i},${tenure},${feeCell},${plan},${churned}`);
  }
  return `${lines.join("\n")}\n`;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mlops-cli-"));
  await writeFile(path.join(dir, "churn.csv"), churnCsv(400, 1));
  await writeFile(path.join(dir, "model.yaml"), "target: churned\nexclude: [customer_id]\nnetwork:\n  epochs: 30\n  hiddenLayers: [16]\n");
});
after(() => rm(dir, { recursive: true, force: true }));

describe("help and usage", () => {
  test("prints help for the CLI and every command, exit 0", async () => {
    const top = await mlops(["--help"]);
    assert.equal(top.code, 0);
    for (const c of ["train", "serve", "models", "predict", "demo"]) {
      assert.match(top.stdout, new RegExp(`\\n  ${c} `));
      const r = await mlops([c, "--help"]);
      assert.equal(r.code, 0, c);
      assert.match(r.stdout, new RegExp(`^usage: mlops ${c}`), c);
    }
  });

  test("exits 2 with a message naming the problem for unknown commands and flags", async () => {
    const a = await mlops(["fly"]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown command "fly"/);
    const b = await mlops(["train", "--data", "churn.csv", "--epochs", "3"]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /Unknown option '--epochs'/);
    const c = await mlops(["train", "--target", "churned"]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--data is required/);
  });
});

describe("train, models, predict", () => {
  test("trains with only --data and --target, prints the version, and makes the first version champion", async () => {
    const r = await mlops(["train", "--data", "churn.csv", "--target", "churned", "--config", "model.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^registered churn version 1 \(champion\)/);
    assert.match(r.stdout, /task\s+binary on churned; backend (wasm|cpu|tfjs-node)/);
    assert.match(r.stdout, /features\s+tenure_months, monthly_fee, plan \(cat\)/);
    assert.match(r.stdout, /monthly_fee: \d+ missing \(imputed\)/);
    assert.match(r.stdout, /test\s+accuracy 0\.\d+\s+rocAuc 0\.\d+\s+logLoss \d/);
    // Not a terminal: one plain progress line per epoch on stderr.
    assert.match(r.stderr, /^epoch 1\/30 loss \d\.\d{4} val_loss \d\.\d{4} val_accuracy \d\.\d{4}/m);
  });

  test("a second training is registered as version 2 without taking the champion alias", async () => {
    const r = await mlops(["train", "--data", "churn.csv", "--target", "churned", "--config", "model.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /registered churn version 2\n/);
    assert.match(r.stdout, /promote\s+mlops models alias churn champion 2/);
    const list = await mlops(["models", "list", "--json"]);
    assert.deepEqual(JSON.parse(list.stdout), [{ name: "churn", versions: 2, latest: 2, aliases: { champion: 1 }, problems: [] }]);
  });

  test("models show lists versions with lineage; alias moves and deletes", async () => {
    const show = JSON.parse((await mlops(["models", "show", "churn", "--json"])).stdout);
    assert.equal(show.versions.length, 2);
    const v1 = show.versions[0];
    assert.equal(v1.dataset.source, "churn.csv");
    assert.equal(v1.dataset.rows, 400);
    assert.match(v1.dataset.digest, /^[0-9a-f]{64}$/);
    assert.equal(v1.config.task, "binary");
    assert.ok(v1.files["model.json"] && v1.files["weights.bin"] && v1.files["preprocessor.json"]);
    const moved = await mlops(["models", "alias", "churn", "champion", "2"]);
    assert.equal(moved.code, 0);
    assert.equal(moved.stdout, "churn: champion → version 2 (was 1)\n");
    await mlops(["models", "alias", "churn", "challenger", "1"]);
    const text = await mlops(["models", "show", "churn"]);
    assert.match(text.stdout, /^1\s+\S+\s+challenger\s/m);
    assert.match(text.stdout, /^2\s+\S+\s+champion\s/m);
    assert.equal((await mlops(["models", "alias", "churn", "challenger", "--delete"])).code, 0);
    const bad = await mlops(["models", "alias", "churn", "champion", "9"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no version "9"|has no version 9/);
  });

  test("predict scores a file to CSV with the prediction and a probability per class", async () => {
    const r = await mlops(["predict", "--model", "churn", "--data", "churn.csv", "--out", "scored.csv"]);
    assert.equal(r.code, 0, r.stderr);
    const scored = parseCsv(await readFile(path.join(dir, "scored.csv"), "utf8"), "scored.csv");
    assert.deepEqual(scored.columns, ["customer_id", "tenure_months", "monthly_fee", "plan", "churned", "prediction", "probability_no", "probability_yes"]);
    assert.equal(scored.rows.length, 400);
    // The label follows the decision threshold stored with the champion (version 1), not 0.5.
    const pre = JSON.parse(await readFile(path.join(dir, ".mlops", "registry", "models", "churn", "versions", "1", "preprocessor.json"), "utf8")) as { targetTransform: { threshold: number } };
    const threshold = pre.targetTransform.threshold;
    assert.ok(threshold > 0 && threshold < 1);
    let agree = 0;
    for (const row of scored.rows) {
      const pNo = Number(row[6]);
      const pYes = Number(row[7]);
      assert.ok(Math.abs(pNo + pYes - 1) < 1e-5);
      assert.equal(row[5], pYes >= threshold ? "yes" : "no");
      if (row[5] === row[4]) agree++;
    }
    assert.ok(agree / 400 > 0.75, `accuracy ${agree / 400}`);
  });

  test("predict to stdout keeps the input format (JSONL)", async () => {
    const jsonl = churnCsv(5, 2).trim().split("\n").slice(1).map((l) => {
      const [customer_id, tenure, fee, plan] = l.split(",");
      return JSON.stringify({ customer_id, tenure_months: Number(tenure), monthly_fee: fee === "" || fee === "n/a" ? null : Number(fee), plan });
    });
    await writeFile(path.join(dir, "new.jsonl"), `${jsonl.join("\n")}\n`);
    const r = await mlops(["predict", "--model", "churn", "--version", "1", "--data", "new.jsonl"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, 5);
    for (const row of rows) assert.ok(["yes", "no"].includes(row.prediction) && typeof row.probability_yes === "number");
  });

  test("predict rejects text in a numerical column with the line and feature, and leaves an existing output file intact", async () => {
    await writeFile(path.join(dir, "dirty.csv"), "customer_id,tenure_months,monthly_fee,plan\nc1,12,30,basic\nc2,twelve,30,pro\n");
    await writeFile(path.join(dir, "keep.csv"), "precious,data\n1,2\n");
    const r = await mlops(["predict", "--model", "churn", "--data", "dirty.csv", "--out", "keep.csv"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dirty\.csv:3: feature "tenure_months": expected a number, got "twelve"/);
    assert.equal(await readFile(path.join(dir, "keep.csv"), "utf8"), "precious,data\n1,2\n");
    const same = await mlops(["predict", "--model", "churn", "--data", "churn.csv", "--out", "churn.csv"]);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /--out must not be the input file/);
  });
});

describe("bad training input", () => {
  test("names the missing file, the unknown column, the bad config field and the bad task", async () => {
    const cases: [string[], RegExp][] = [
      [["train", "--data", "nope.csv", "--target", "y"], /dataset nope\.csv does not exist \[MLOPS_ERR_DATA_FILE_NOT_FOUND\]/],
      [["train", "--data", "churn.csv", "--target", "Churned"], /target column "Churned" is not in the dataset \(columns: customer_id, tenure_months, monthly_fee, plan, churned\)/],
      [["train", "--data", "churn.csv", "--target", "churned", "--task", "ranking"], /--task must be one of binary, multiclass, regression/],
      [["train", "--data", "churn.txt", "--target", "churned"], /cannot tell the format of churn\.txt/],
      [["train", "--data", "churn.csv", "--target", "plan", "--task", "binary"], /a binary task needs exactly 2 classes in the training split, found 3/],
    ];
    await writeFile(path.join(dir, "churn.txt"), "x");
    for (const [args, message] of cases) {
      const r = await mlops(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
    }
    await writeFile(path.join(dir, "bad.yaml"), "target: churned\nnetwork:\n  hiddenLayers: [16, -2]\n  dropout: 2\n  epoch: 5\n");
    const r = await mlops(["train", "--data", "churn.csv", "--config", "bad.yaml"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid bad\.yaml:/);
    assert.match(r.stderr, /network\.hiddenLayers\[1\]: /);
    assert.match(r.stderr, /network\.dropout: /);
    assert.match(r.stderr, /network: Unrecognized key: "epoch"/);
  });
});

describe("serve and demo", () => {
  test("serve answers over HTTP and gRPC and shuts down cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--grpc-port", "0", "--inference-grpc-port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      let stderr = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d) => {
          stderr += d;
          const m = /serving .* on (http:\/\/\S+) \(TF Serving gRPC 127\.0\.0\.1:\d+, inference gRPC 127\.0\.0\.1:\d+\)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`serve exited: ${stderr}`)));
      });
      const ready = await fetch(`${url}/v2/health/ready`);
      assert.equal(ready.status, 200);
      const meta = (await (await fetch(`${url}/v1/models/churn/metadata`)).json()) as { model_spec: { version: string } };
      assert.equal(meta.model_spec.version, "2");
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("npm run demo's command tells the whole drift → retrain → gate → canary → promote story, exit 0", async () => {
    const demoDir = path.join(dir, "demo");
    const r = await mlops(["demo", "--dir", demoDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cars-mpg v1 +regression, test RMSE \d+\.\d+ mpg → champion/);
    assert.match(r.stdout, /TF Serving  POST \/v1\/models\/cars-mpg:predict → 200/);
    assert.match(r.stdout, /OIP v2      POST \/v2\/models\/cars-origin\/infer +→ 200/);
    assert.match(r.stdout, /bad input .* → 400/);
    assert.match(r.stdout, /explain     POST \/v1\/models\/cars-mpg:explain +→ 200 [\d.]+ mpg vs [\d.]+ for the average car: \w+ [+-][\d.]+/);
    const order = ["drift-detected", "retrain-started", "gate-failed", "gate-passed", "canary-step", "promoted"].map((e) => r.stdout.indexOf(` ${e} `));
    assert.ok(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!)), `timeline order ${order}`);
    assert.match(r.stdout, /champion is now v(\d+); live RMSE v1 [\d.]+ mpg → v\1 [\d.]+ mpg/);
    const html = await readFile(path.join(demoDir, "drift-report.html"), "utf8");
    assert.match(html, /<title>[^<]*drift/i);
    assert.match(r.stdout, /model card: +\S*model-card\.html/);
    assert.match(r.stdout, /console: +npx mlops ui --registry \S+ +→ http:\/\/127\.0\.0\.1:8080\/ui\//);
    assert.match(await readFile(path.join(demoDir, "model-card.html"), "utf8"), /cars-mpg/);
    const history = await mlops(["models", "history", "cars-mpg", "--json", "--registry", path.join(demoDir, "registry")]);
    const types = (JSON.parse(history.stdout) as { type: string }[]).map((e) => e.type);
    assert.ok(types.includes("gate-failed") && types.at(-1) === "promoted", types.join(","));
    const refused = await mlops(["demo", "--dir", dir]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /exists and was not made by the demo/);
  });
});
