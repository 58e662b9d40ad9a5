import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { platformConfig } from "../../components/index.ts";

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

test("a preview of a stack with bad config fails and names the key", { skip: !existsSync(engine) && "the engine tool is not beside this checkout" }, () => {
  const r = spawnSync(process.execPath, [engine, root, "local", "--config", "pulumi-mlops:cloud=mars"], { encoding: "utf8", timeout: 120_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /pulumi-mlops:cloud: Invalid option: expected one of "aws"\|"gcp"\|"azure"\|"existing"/);
});
