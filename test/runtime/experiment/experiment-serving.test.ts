import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { main } from "../../../runtime/src/cli/main.ts";
import { listEvents, readExperiment, readExperimentTraffic, readFeedback, writeRollout } from "../../../runtime/src/registry/index.ts";
import { createModelServer } from "../../../runtime/src/serve/server.ts";
import { tinyRows, tinyTargets, trainAnotherVersion } from "../../helpers/tiny-models.ts";
import { type TinyServer, startTinyServer, waitFor } from "../../helpers/tiny-server.ts";

let tiny: TinyServer;
let model: string;
before(async () => {
  tiny = await startTinyServer("mlops-experiment-", { pollIntervalMs: 50, monitorIntervalMs: 100 });
  model = tiny.names.binary;
  assert.equal(await trainAnotherVersion(tiny.registryDir, model), 2);
});
after(() => tiny?.stop());

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main([...args, "--registry", tiny.registryDir], { out: (t) => (out += t), err: (t) => (err += t), isTTY: false });
  return { code, out, err };
}

async function predict(base: string, row: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v1/models/${model}:predict`, { method: "POST", body: JSON.stringify({ instances: [row] }), headers: { "content-type": "application/json", ...headers } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { id: string; predictions: number[][] };
  return { id: body.id, variant: res.headers.get("x-mlops-variant"), experiment: res.headers.get("x-mlops-experiment"), version: res.headers.get("x-mlops-model-version") };
}

describe("an A/B experiment through a real server", () => {
  test("start refuses bad variants and a running canary, with coded errors", async () => {
    const bad = await cli(["experiment", "start", model, "--variants", "1=50,9=50"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND/);
    const one = await cli(["experiment", "start", model, "--variants", "1=100"]);
    assert.match(one.err, /needs two or more versions, got 1 \[MLOPS_ERR_EXPERIMENT_INVALID\]/);
    const key = await cli(["experiment", "start", model, "--variants", "1,2", "--key", "cookie"]);
    assert.match(key.err, /header:<name> or feature:<name>/);
    await writeRollout(tiny.registry, model, { mode: "canary", challenger: 2, weight: 0.1, reason: "test" });
    const conflict = await cli(["experiment", "start", model, "--variants", "1=50,2=50"]);
    assert.equal(conflict.code, 2);
    assert.match(conflict.err, /a canary rollout of version 2 routes its traffic .*MLOPS_ERR_EXPERIMENT_CONFLICT/);
    await writeRollout(tiny.registry, model, { mode: "none", challenger: null, weight: 0, reason: "test" });
    const none = await cli(["experiment", "status", model]);
    assert.match(none.err, /has no running experiment|MLOPS_ERR_EXPERIMENT_NOT_FOUND/);
  });

  test("keys stick to variants across servers, feedback grades them, and status concludes at the sample budget", async () => {
    const start = await cli(["experiment", "start", model, "--variants", "1=50,2=50", "--key", "header:x-user", "--min-samples", "15", "--id", "exp-e2e"]);
    assert.equal(start.code, 0, start.err);
    // A canary cannot start while the experiment routes the model.
    await assert.rejects(writeRollout(tiny.registry, model, { mode: "canary", challenger: 2, weight: 0.5, reason: "x" }), /MLOPS_ERR_EXPERIMENT_CONFLICT|while an experiment routes/);
    await waitFor(async () => (await predict(tiny.base, tinyRows(1, 2)[0]!, { "x-user": "probe" })).experiment === "exp-e2e");

    const rows = tinyRows(80, 9);
    const assigned = new Map<string, string>();
    const feedback: { id: string; index: number; label: string }[] = [];
    for (const [i, row] of rows.entries()) {
      const r = await predict(tiny.base, row, { "x-user": `user-${i}` });
      assert.equal(r.experiment, "exp-e2e");
      assert.equal(r.variant, r.version);
      assigned.set(`user-${i}`, r.variant!);
      feedback.push({ id: r.id, index: 0, label: tinyTargets(row).label });
    }
    const counts = [...assigned.values()].reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());
    assert.ok((counts.get("1") ?? 0) >= 20 && (counts.get("2") ?? 0) >= 20, JSON.stringify([...counts]));
    // Same key, same variant: again on this server, and on a second server over the same registry.
    const second = createModelServer(tiny.registry, { port: 0, grpcPort: null, inferenceGrpcPort: null, feedbackLogDir: path.join(tiny.dir, "feedback-log-2"), pollIntervalMs: 50 });
    const base2 = await second.listen();
    try {
      for (let i = 0; i < 20; i++) {
        assert.equal((await predict(tiny.base, rows[i]!, { "x-user": `user-${i}` })).variant, assigned.get(`user-${i}`));
        assert.equal((await predict(base2, rows[i]!, { "x-user": `user-${i}` })).variant, assigned.get(`user-${i}`));
      }
    } finally {
      await second.close();
    }
    // Without the key a request is outside the experiment: the champion answers.
    const plain = await predict(tiny.base, rows[0]!);
    assert.equal(plain.experiment, null);
    assert.equal(plain.version, "1");

    const fb = await fetch(`${tiny.base}/v1/models/${model}/feedback`, { method: "POST", body: JSON.stringify({ feedback }), headers: { "content-type": "application/json" } });
    assert.equal(fb.status, 200);
    await tiny.server.monitor.flushFeedback();
    await waitFor(async () => (await readFeedback(tiny.registry, model)).filter((r) => r.experiment === "exp-e2e").length === 80);
    // Traffic counts reach the registry on the monitor tick.
    await waitFor(async () => [...(await readExperimentTraffic(tiny.registry, model, "exp-e2e")).values()].reduce((n, t) => n + t.requests, 0) >= 80 + 40);
    const status = await cli(["experiment", "status", model, "--json"]);
    assert.equal(status.code, 0, status.err);
    const { report, concluded, experiment } = JSON.parse(status.out);
    assert.equal(concluded, true);
    assert.equal(experiment.status, "concluded");
    assert.equal(report.budget.reached, true);
    const labelled = report.variants.map((v: { labelled: number }) => v.labelled);
    assert.deepEqual(labelled, [counts.get("1"), counts.get("2")]);
    for (const v of report.variants) {
      assert.ok(v.quality.value >= 0 && v.quality.value <= 1);
      assert.ok(v.quality.interval[0] <= v.quality.value && v.quality.value <= v.quality.interval[1]);
      assert.ok(v.requests >= v.labelled);
      assert.equal(v.errorRate.value, 0);
    }
    assert.equal(report.comparisons[0].quality.test, "two-proportion-z");
    assert.ok(report.recommendation.winner === 1 || report.recommendation.winner === 2);
    const events = await listEvents(tiny.registry, model);
    const concludedEvent = events.find((e) => e.type === "experiment-concluded");
    assert.ok(concludedEvent, "the decision is a history event");
    assert.equal((concludedEvent!.details as any).report.variants.length, 2);
    assert.ok(events.some((e) => e.type === "experiment-started"));
    // Routing ended: keyed requests go to the champion again.
    await waitFor(async () => (await predict(tiny.base, rows[0]!, { "x-user": "user-0" })).experiment === null);
    const text = await cli(["experiment", "status", model]);
    assert.match(text.out, /experiment exp-e2e of tiny-binary: concluded/);
    assert.match(text.out, /version 2 vs 1: accuracy/);
  });

  test("stop --winner ends a running experiment, records it and promotes the winner", async () => {
    const start = await cli(["experiment", "start", model, "--variants", "1,2", "--key", "feature:customer_id", "--max-duration", "2h", "--id", "exp-stop"]);
    assert.equal(start.code, 0, start.err);
    await waitFor(async () => {
      const res = await fetch(`${tiny.base}/v1/models/${model}:predict`, { method: "POST", body: JSON.stringify({ instances: [{ ...tinyRows(1, 4)[0], customer_id: "c-1" }] }), headers: { "content-type": "application/json" } });
      return res.status === 200 && res.headers.get("x-mlops-experiment") === "exp-stop";
    });
    const already = await cli(["experiment", "start", model, "--variants", "1,2"]);
    assert.match(already.err, /experiment exp-stop is already running/);
    const wrong = await cli(["experiment", "stop", model, "--winner", "7"]);
    assert.match(wrong.err, /version 7 is not a variant of experiment exp-stop/);
    const stop = await cli(["experiment", "stop", model, "--winner", "2", "--reason", "product call"]);
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, /version 2 is now the champion/);
    assert.equal((await tiny.registry.getAliases(model)).champion, 2);
    const record = await readExperiment(tiny.registry, model, "exp-stop");
    assert.equal(record.status, "stopped");
    assert.equal(record.decision?.winner, 2);
    const events = await listEvents(tiny.registry, model);
    assert.ok(events.some((e) => e.type === "experiment-stopped" && e.version === 2));
    assert.ok(events.some((e) => e.type === "promoted" && e.version === 2 && e.actor === "cli"));
    const all = await cli(["experiment", "status", model, "--all"]);
    assert.match(all.out, /exp-e2e {2}concluded/);
    assert.match(all.out, /exp-stop {2}stopped .* winner 2/);
    const again = await cli(["experiment", "stop", model]);
    assert.match(again.err, /MLOPS_ERR_EXPERIMENT_NOT_FOUND/);
  });
});
