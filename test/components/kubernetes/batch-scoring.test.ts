import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { setupPulumiMocks, testClusterHandle } from "../../helpers/pulumi-mocks.ts";
import { validateManifest } from "../../components/synth/synth-output.ts";

const mocks = setupPulumiMocks();
const { BatchScoring } = await import("../../../components/kubernetes/batch-scoring.ts");

beforeEach(() => mocks.reset());

async function deploy(args: Record<string, unknown> = {}) {
  const cluster = await testClusterHandle();
  const b = new BatchScoring("score", {
    cluster,
    namespace: "mlops",
    image: "registry.example.com/mlops/runtime:1",
    model: "churn",
    input: "s3://data/in/",
    output: "s3://data/scored/",
    shards: 8,
    ...args,
  });
  await mocks.settle();
  return b;
}

test("an Indexed Job with one index per shard runs mlops predict on its share of the prefix", async () => {
  await deploy({ onError: "skip", version: 3 });
  const job = mocks.named("score-job").inputs;
  assert.equal(job.spec.completionMode, "Indexed");
  assert.equal(job.spec.completions, 8);
  assert.equal(job.spec.parallelism, 8);
  assert.equal(job.metadata.annotations["pulumi.com/skipAwait"], "true", "pulumi up does not block on a long batch");
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.serviceAccountName, "mlops-retraining", "the runtime identity that may read and write the model store");
  assert.equal(job.spec.template.metadata.labels["azure.workload.identity/use"], "true");
  const c = pod.containers[0];
  assert.deepEqual(c.args, [
    "predict", "--model", "churn", "--version", "3", "--data", "s3://data/in/", "--out", "s3://data/scored/", "--on-error", "skip",
    "--shard-index", "$(JOB_COMPLETION_INDEX)", "--shard-count", "8", "--registry", "s3://models-bucket",
  ]);
  assert.deepEqual(c.env.find((e: any) => e.name === "JOB_COMPLETION_INDEX"), {
    name: "JOB_COMPLETION_INDEX",
    valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
  });
  assert.deepEqual(c.resources, { requests: { cpu: "1", memory: "512Mi" }, limits: { cpu: "2", memory: "1Gi" } });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(pod.automountServiceAccountToken, false);
  await validateManifest({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "score", namespace: "mlops" }, spec: job.spec, file: "score-job" });
});

test("a schedule makes it a CronJob of the same Indexed Job; parallelism defaults to at most 10", async () => {
  await deploy({ shards: 40, schedule: "0 2 * * *" });
  assert.equal(mocks.ofType("kubernetes:batch/v1:Job").length, 0);
  const cron = mocks.named("score-schedule").inputs.spec;
  assert.equal(cron.schedule, "0 2 * * *");
  assert.equal(cron.concurrencyPolicy, "Forbid");
  assert.equal(cron.jobTemplate.spec.completionMode, "Indexed");
  assert.equal(cron.jobTemplate.spec.completions, 40);
  assert.equal(cron.jobTemplate.spec.parallelism, 10);
  assert.ok(cron.jobTemplate.spec.template.spec.containers[0].args.includes("--label"));
  await validateManifest({ apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "score", namespace: "mlops" }, spec: cron, file: "score-schedule" });
});

test("bad arguments are all reported at once with their paths", async () => {
  await assert.rejects(
    deploy({ input: "data/in.csv", output: "s3://data/in", shards: 0, parallelism: 3, onError: "maybe", model: "bad name" }),
    (err: Error) => {
      for (const re of [/input: must be an s3:\/\/, gs:\/\/ or az:\/\/ URL or an absolute path/, /output: must be a prefix ending in \//, /shards: /, /onError: /, /model: /]) assert.match(err.message, re);
      return true;
    },
  );
  await assert.rejects(deploy({ output: "s3://data/in/" }), /output: must not be the input's own prefix s3:\/\/data\/in\//);
  await assert.rejects(deploy({ parallelism: 9 }), /parallelism: must be at most shards \(8\)/);
});
