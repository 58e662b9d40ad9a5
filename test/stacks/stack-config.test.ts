import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { platformConfig } from "../../components/platform/platform-config.ts";
import { SECRET_PLACEHOLDER } from "../../components/synth/index.ts";
import { type Run, runSynth } from "../helpers/run-cli.ts";
import { readSynthOutput } from "../components/synth/synth-output.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const engine = fileURLToPath(new URL("../../../shared/tools/pulumi-engine.mjs", import.meta.url));

const stackFiles = readdirSync(`${root}/stacks`).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

test("every shipped stack's config is valid and namespaced under the project or a provider", () => {
  assert.deepEqual(
    ["aws-dev", "aws-prod", "azure-dev", "gcp-dev", "local"].filter((s) => !stackFiles.includes(`Pulumi.${s}.yaml`)),
    [],
    "the stacks the README documents exist",
  );
  for (const file of stackFiles) {
    const doc = parse(readFileSync(`${root}/stacks/${file}`, "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config)) {
      assert.match(key, /^(pulumi-mlops|aws|gcp|azure-native|kubernetes):/, `${file}: ${key} must be in the project's namespace or a provider's`);
      if (key.startsWith("pulumi-mlops:")) raw[key.slice("pulumi-mlops:".length)] = value;
    }
    const result = platformConfig.safeParse(raw);
    assert.ok(result.success, `${file}: ${JSON.stringify(result.error?.issues)}`);
  }
});

test("invalid stack config is reported with every bad field's path", () => {
  const result = platformConfig.safeParse({ cloud: "aws", namespace: "ML_Ops", size: 3 });
  assert.equal(result.success, false);
  const issues = result.error!.issues.map((i) => i.path.join(".") || i.message);
  assert.ok(issues.includes("namespace"));
  assert.ok(issues.some((i) => /size/.test(i)));
  const aws = platformConfig.safeParse({ cloud: "aws" });
  assert.deepEqual(
    aws.error!.issues.map((i) => [i.path.join("."), i.message.split(":")[0]]),
    [
      ["region", "required when cloud is aws"],
      ["aws.authorizedCidrs", "required when publicEndpoint is true (the dev profile's default)"],
    ],
  );
});

// The stack program itself under the SDK's mocks (`pulumi-mlops synth`), with stack files of our own in a
// project beside the real one whose `main` is this checkout's stacks/index.ts.
const dirs: string[] = [];
let project = "";
const synths = new Map<string, { run: Run; out: string }>();
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The local stack's config with `edit` applied. */
function localConfig(edit: (config: Record<string, any>) => void): { config: Record<string, any> } {
  const local = parse(readFileSync(path.join(root, "stacks/Pulumi.local.yaml"), "utf8")) as { config: Record<string, any> };
  edit(local.config);
  return local;
}

const VARIANTS: Record<string, (config: Record<string, any>) => void> = {
  // A misspelt top-level key: before, the program read a fixed list of keys and ignored this one.
  "top-typo": (c) => (c["pulumi-mlops:servng"] = { minReplicas: 2 }),
  // Misspelt keys inside sections, two levels deep too.
  "nested-typo": (c) => {
    c["pulumi-mlops:monitoring"] = { ...c["pulumi-mlops:monitoring"], retentoin: "7d" };
    c["pulumi-mlops:existing"] = { ...c["pulumi-mlops:existing"], modelStore: { size: "20Gi", sise: "30Gi" } };
  },
  // A bad value the section accepts but the Monitoring component rejects: before, `pulumi-mlops:retention`.
  "bad-retention": (c) => (c["pulumi-mlops:monitoring"] = { ...c["pulumi-mlops:monitoring"], retention: "7 days" }),
  // The kubeconfig is a secret of the project's namespace, not a platform setting.
  kubeconfig: (c) => (c["pulumi-mlops:kubeconfig"] = { secure: "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" }),
};

before(async () => {
  project = await mkdtemp(path.join(tmpdir(), "mlops-stack-config-"));
  dirs.push(project);
  const projectFile = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  await writeFile(path.join(project, "Pulumi.yaml"), stringify({ ...projectFile, main: path.join(root, "stacks/index.ts"), stackConfigDir: "." }));
  await Promise.all(
    Object.entries(VARIANTS).map(async ([stack, edit]) => {
      await writeFile(path.join(project, `Pulumi.${stack}.yaml`), stringify(localConfig(edit)));
      const out = await mkdtemp(path.join(tmpdir(), `mlops-stack-config-${stack}-`));
      dirs.push(out);
      synths.set(stack, { run: await runSynth([stack, "--project", project, "--out", out], { cwd: root }), out });
    }),
  );
});

/** The `- <key>: <reason>` lines of a failed synth's message. */
const reported = (stack: string): string[] => {
  const { run } = synths.get(stack)!;
  assert.equal(run.code, 2, `${stack} must fail as invalid config: ${run.stderr}`);
  return [...run.stderr.matchAll(/^\s*- (pulumi-mlops:\S+): (.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
};

test("a misspelt top-level stack config key fails the program, naming the key", () => {
  assert.deepEqual(reported("top-typo"), ["pulumi-mlops:servng unknown key"]);
});

test("a misspelt key inside a config section is reported under the section's path", () => {
  assert.deepEqual(reported("nested-typo").sort(), ["pulumi-mlops:existing.modelStore.sise unknown key", "pulumi-mlops:monitoring.retentoin unknown key"]);
});

test("a bad value a child component rejects names the section it came from (monitoring.retention)", () => {
  assert.deepEqual(reported("bad-retention"), ["pulumi-mlops:monitoring.retention must be a Prometheus duration like 15d"]);
});

test("the secret pulumi-mlops:kubeconfig still reaches the existing cluster's provider", () => {
  const { run, out } = synths.get("kubeconfig")!;
  assert.equal(run.code, 0, run.stderr);
  const providers = readSynthOutput(out).resources.filter((r) => r.type === "pulumi:providers:kubernetes");
  assert.deepEqual(providers.map((p) => p.inputs.kubeconfig), [SECRET_PLACEHOLDER]);
});

test("a preview of a stack with bad config fails and names the key", { skip: !existsSync(engine) && "the engine tool is not beside this checkout" }, () => {
  const preview = (...config: string[]) => spawnSync(process.execPath, [engine, root, "local", ...config.flatMap((c) => ["--config", c])], { encoding: "utf8", timeout: 120_000 });
  const mars = preview("pulumi-mlops:cloud=mars");
  assert.notEqual(mars.status, 0);
  assert.match(mars.stdout + mars.stderr, /pulumi-mlops:cloud: Invalid option: expected one of "aws"\|"gcp"\|"azure"\|"existing"/);
  // Under the engine, object config arrives as JSON like any other value; a misspelt key is named.
  const typo = preview('pulumi-mlops:servng={"minReplicas":2}');
  assert.notEqual(typo.status, 0);
  assert.match(typo.stdout + typo.stderr, /pulumi-mlops:servng: unknown key/);
});
