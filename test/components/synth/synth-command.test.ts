import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runSynth } from "../../helpers/run-cli.ts";
import { readSynthOutput } from "./synth-output.ts";

// `pulumi-mlops synth` against a tiny test-only Pulumi project (test/fixtures/synth/project).
const project = fileURLToPath(new URL("../../fixtures/synth/project", import.meta.url));
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(tmpdir(), "mlops-synth-"));
  dirs.push(d);
  return d;
};

test("synth writes every resource with its parent's logical name and inputs, and the Kubernetes manifests", async () => {
  const out = await tmp();
  const r = await runSynth(["ok", "--project", project, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const { resources, manifests } = readSynthOutput(out);
  const by = new Map(resources.map((x) => [x.name, x]));
  assert.deepEqual(by.get("web"), { type: "fixture:index:App", name: "web", parent: null, inputs: {} });
  assert.equal(by.get("web-provider")?.type, "pulumi:providers:kubernetes");
  for (const child of ["web-provider", "web-ns", "web-deploy", "web-token", "web-svc", "web-chart"]) assert.equal(by.get(child)?.parent, "web", child);
  assert.ok(!resources.some((x) => x.type === "pulumi:pulumi:Stack"));
  // Config: project default (replicas: 2), the stack's namespace, a secret replaced by the placeholder.
  assert.equal((by.get("web-deploy")?.inputs.spec as { replicas: number }).replicas, 2);
  assert.deepEqual(by.get("web-token")?.inputs.stringData, { token: "synth-secret-placeholder" });
  // A resource created inside an apply is recorded too.
  assert.deepEqual((by.get("web-svc")?.inputs.metadata as { namespace: string }).namespace, "demo");

  assert.deepEqual(manifests.map((m) => m.file), ["deployment-web-deploy.yaml", "namespace-web-ns.yaml", "secret-web-token.yaml", "service-web-svc.yaml"]);
  const deploy = manifests.find((m) => m.kind === "Deployment")!;
  assert.equal(deploy.apiVersion, "apps/v1");
  assert.deepEqual(deploy.metadata, { namespace: "demo", name: "web-deploy" });
  assert.equal(manifests.find((m) => m.kind === "Service")!.apiVersion, "v1");

  assert.match(r.stdout, /^synthesized synth-fixture\/ok: 7 resources, 4 Kubernetes manifests/);
  assert.match(r.stdout, /\n {2}kubernetes:apps\/v1:Deployment +1\n/);
  assert.match(r.stdout, /charts \(not rendered\):\n {2}web-chart: nginx 1\.2\.3 from https:\/\/charts\.example\.com; values \{"replicaCount":1\}\n/);
  assert.match(r.stdout, /invokes without a mock \(answered \{\}\): fixture:index:getNothing\n/);
});

test("invalid stack config exits 2 with the program's message naming the key, and no stack trace", async () => {
  const r = await runSynth(["bad", "--project", project, "--out", await tmp()]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "pulumi-mlops synth: stack bad: invalid configuration for stack bad:\n  - synth-fixture:namespace: must be a DNS-1123 label\n");
});

test("a ResourceError raised inside an apply exits 2 with its message", async () => {
  const r = await runSynth(["apply-error", "--project", project, "--out", await tmp()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^pulumi-mlops synth: stack apply-error: .*namespace demo: replicas must be odd\n$/);
});

test("a program that crashes exits 1 with the stack trace", async () => {
  const r = await runSynth(["crash", "--project", project, "--out", await tmp()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^pulumi-mlops synth: stack crash: TypeError: a bug in the program\n\s+at .*program\/index\.ts/);
});

test("an unknown stack exits 2 listing the stacks there are; a missing stack name is a usage error", async () => {
  const r = await runSynth(["prod", "--project", project]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown stack "prod": no Pulumi\.prod\.yaml \(stacks: apply-error, bad, crash, ok\)/);
  const none = await runSynth(["--project", project]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /the stack name is required/);
  const help = await runSynth(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: pulumi-mlops synth <stack> \[--out <dir>\]/);
});
