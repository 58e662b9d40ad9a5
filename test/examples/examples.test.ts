import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { modelConfig } from "../../runtime/src/data/model-config.ts";
import { type Run, runSynth } from "../helpers/run-cli.ts";
import { embeddedJobs, readSynthOutput, type ResourceRecord } from "../components/synth/synth-output.ts";

// The examples are separate Pulumi projects importing "pulumi-mlops" as a user would. Each is
// synthesized (`pulumi-mlops synth dev --project examples/<x>`) with the package name resolved to this
// checkout's sources, then checked for what its README promises.
const root = fileURLToPath(new URL("../../", import.meta.url));
const examplesDir = path.join(root, "examples");
const componentsVersion = (JSON.parse(readFileSync(path.join(root, "components", "package.json"), "utf8")) as { version: string }).version;
const examples = readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

const dirs: string[] = [];
const runs = new Map<string, { run: Run; out: string }>();
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
before(async () => {
  await Promise.all(
    examples.map(async (name) => {
      const out = await mkdtemp(path.join(tmpdir(), `mlops-example-${name}-`));
      dirs.push(out);
      // In the checkout "pulumi-mlops" is the components/ workspace, resolved to its sources.
      const run = await runSynth(["dev", "--project", path.join(examplesDir, name), "--out", out], { cwd: root });
      runs.set(name, { run, out });
    }),
  );
});

function synth(name: string): ResourceRecord[] {
  const r = runs.get(name)!;
  assert.equal(r.run.code, 0, `${name}: ${r.run.stderr}`);
  return readSynthOutput(r.out).resources;
}
const ofType = (resources: ResourceRecord[], type: string) => resources.filter((r) => r.type === type);

test("there are the three documented examples, each a Pulumi project with a README, a stack and a model config", () => {
  assert.deepEqual(examples, ["churn-gcp", "fraud-detection-aws", "spam-azure"]);
  for (const name of examples) {
    const files = readdirSync(path.join(examplesDir, name));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "README.md", "index.ts", "package.json", "model.yaml"]) assert.ok(files.includes(f), `${name}/${f}`);
    const pkg = JSON.parse(readFileSync(path.join(examplesDir, name, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    assert.equal(pkg.dependencies["pulumi-mlops"], `^${componentsVersion}`, `${name} depends on the component library's version`);
    // Copied out of the repository, an example brings the TypeScript toolchain Pulumi runs it with
    // (without, Pulumi falls back to its bundled TypeScript 3.8, which cannot read the package's types).
    for (const dev of ["typescript", "ts-node", "@types/node"]) assert.ok(pkg.devDependencies?.[dev], `${name} devDependencies.${dev}`);
    const result = modelConfig.safeParse(parse(readFileSync(path.join(examplesDir, name, "model.yaml"), "utf8")));
    assert.ok(result.success, `${name}/model.yaml: ${JSON.stringify(result.error?.issues)}`);
  }
});

test("fraud detection on AWS: GPU training Jobs on a scale-to-zero spot pool, CPU-only serving", () => {
  const resources = synth("fraud-detection-aws");
  const pools = ofType(resources, "aws:eks/nodeGroup:NodeGroup").filter((r) => JSON.stringify(r.inputs).includes("NVIDIA"));
  assert.equal(pools.length, 1);
  const pool = pools[0]!.inputs as { scalingConfig: { minSize: number }; capacityType: string; instanceTypes: string[] };
  assert.equal(pool.scalingConfig.minSize, 0);
  assert.equal(pool.capacityType, "SPOT");
  assert.deepEqual(pool.instanceTypes, ["g5.xlarge"]);
  const serving = ofType(resources, "kubernetes:apps/v1:Deployment").find((r) => r.name.endsWith("-serving-deployment"))!;
  const servingPod = (serving.inputs as any).spec.template.spec;
  assert.equal(servingPod.tolerations, undefined, "serving stays off the GPU nodes");
  assert.equal(servingPod.containers[0].resources.limits["nvidia.com/gpu"], undefined);
  const configMaps = ofType(resources, "kubernetes:core/v1:ConfigMap").map((r) => ({ ...(r.inputs as any), file: r.name }));
  const jobs = embeddedJobs(configMaps);
  assert.equal(jobs.length, 1);
  const jobPod = (jobs[0] as any).spec.template.spec;
  assert.equal(jobPod.containers[0].resources.limits["nvidia.com/gpu"], "1");
  assert.ok(jobPod.tolerations.some((t: any) => t.key === "nvidia.com/gpu" && t.effect === "NoSchedule"));
  assert.deepEqual(jobPod.volumes.map((v: any) => v.name), ["tmp"], "the Job reads its data from the bucket, through no shared claim");
  assert.deepEqual(jobPod.nodeSelector, { "mlops.dev/gpu": "true" });
  const policy = JSON.parse((configMaps.find((m: any) => m.data?.["policy.json"] !== undefined) as any).data["policy.json"]);
  assert.equal(policy.executor.kind, "kubernetes", "the controller trains in Jobs on the GPU pool");
});

test("churn on GCP: no GPU pool, the canary policy reaches the controller as written", () => {
  const resources = synth("churn-gcp");
  assert.equal(ofType(resources, "gcp:container/nodePool:NodePool").filter((r) => JSON.stringify(r.inputs).includes("guestAccelerators")).length, 0);
  const policyMap = ofType(resources, "kubernetes:core/v1:ConfigMap").find((r) => (r.inputs as any).data?.["policy.json"] !== undefined)!;
  const policy = JSON.parse((policyMap.inputs as any).data["policy.json"]);
  assert.equal(policy.model, "churn");
  assert.equal(policy.rollout.shadowSeconds, 3600);
  assert.deepEqual(policy.rollout.steps, [0.05, 0.2, 0.5, 1]);
});

test("spam on Azure: a nightly retraining CronJob and a spot T4 pool from zero", () => {
  const resources = synth("spam-azure");
  const cron = ofType(resources, "kubernetes:batch/v1:CronJob");
  assert.equal(cron.length, 1);
  assert.equal((cron[0]!.inputs as any).spec.schedule, "0 2 * * *");
  const pools = ofType(resources, "azure-native:containerservice:AgentPool");
  assert.equal(pools.length, 1);
  const pool = pools[0]!.inputs as any;
  assert.equal(pool.minCount, 0);
  assert.equal(pool.scaleSetPriority, "Spot");
  assert.ok(pool.nodeTaints.includes("nvidia.com/gpu=present:NoSchedule"));
});
