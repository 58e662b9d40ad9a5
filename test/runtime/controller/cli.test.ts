import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { BIN, MODEL, type Sandbox, mlops, sandbox, writePolicy } from "./setup.ts";

const boxes: Sandbox[] = [];
after(() => Promise.all(boxes.map((b) => rm(b.dir, { recursive: true, force: true }))));

test("controller and models history/rollback document their flags", async () => {
  const top = await mlops(["--help"]);
  assert.match(top.stdout, /\n {2}controller {2}watch for drift, retrain, gate, canary and promote or roll back a model\n/);
  const help = await mlops(["controller", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: mlops controller --policy <file> \[--registry <loc>\] \[--once \| --roll-out <version>\] \[--work-dir <dir>\]\n/);
  for (const flag of ["--policy", "--registry", "--once", "--roll-out", "--work-dir"]) assert.match(help.stdout, new RegExp(`\\n {2}${flag} `));
  const models = await mlops(["models", "--help"]);
  assert.match(models.stdout, /mlops models history <model> \[--verify\] \[--json\] \[--registry <loc>\]\n/);
  assert.match(models.stdout, /mlops models rollback <model> \[--registry <loc>\]\n/);
});

test("a bad policy, a missing flag or an unknown model exits 2 with a message naming the problem", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const bad = path.join(box.dir, "bad.yaml");
  await writeFile(bad, "model: tiny-regression\nrollout:\n  steps: [0.5, 0.1]\nexecutor:\n  kind: docker\n");
  const r = await mlops(["controller", "--policy", bad, "--registry", box.registryDir, "--once"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid .*bad\.yaml:\n {2}- rollout\.steps: steps must increase\n {2}- executor\.kind: Invalid option: expected one of "local"\|"kubernetes" \[MLOPS_ERR_CONFIG_INVALID\]/);
  const k8s = await mlops(["controller", "--policy", await writePolicy(box, { model: MODEL, executor: { kind: "kubernetes" } }), "--registry", box.registryDir, "--once"], { env: { MLOPS_JOB_TEMPLATE: "" } });
  assert.equal(k8s.code, 2);
  assert.match(k8s.stderr, /executor\.kind: "kubernetes" needs a Job template: pass --job-template <file> or set MLOPS_JOB_TEMPLATE/);
  const missing = await mlops(["controller", "--once"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--policy is required/);
  const unknown = await mlops(["controller", "--policy", await writePolicy(box, { model: "nope" }), "--registry", box.registryDir, "--once"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /model "nope" is not in the registry \[MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND\]/);
  const history = await mlops(["models", "history", "--registry", box.registryDir]);
  assert.equal(history.code, 2);
  assert.match(history.stderr, /models history needs exactly one model name/);
});

test("the controller runs until SIGTERM, logging JSON, and exits 0", async () => {
  const box = await sandbox({ trained: false });
  boxes.push(box);
  const file = await writePolicy(box, { model: MODEL, intervalSeconds: 0.2 });
  const child = spawn(process.execPath, [BIN, "controller", "--policy", file, "--registry", box.registryDir, "--work-dir", box.workDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MLOPS_LOG_LEVEL: "debug" } });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  await new Promise<void>((resolve) => {
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      if ((stderr.match(/"msg":"trigger check"/g) ?? []).length >= 2) resolve();
    });
  });
  child.kill("SIGTERM");
  const [code] = await once(child, "close");
  assert.equal(code, 0, stderr);
  const lines = stderr.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg: string; name: string });
  assert.equal(lines[0]?.msg, "controller started");
  assert.equal(lines.at(-1)?.msg, "controller stopped");
  assert.ok(lines.every((l) => l.name === "controller"));
});
