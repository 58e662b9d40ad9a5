import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { evaluatePolicies, formatViolations, mlopsPolicies, type PolicyInputResource } from "../../../components/policy/index.ts";
import { runSynth } from "../../helpers/run-cli.ts";
import { readSynthOutput, type ResourceRecord } from "../../components/synth/synth-output.ts";

describe("evaluatePolicies over pulumi-mlops synth output", () => {
  let dir: string;
  let resources: ResourceRecord[];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mlops-policy-"));
    const run = await runSynth(["local", "--out", dir]);
    assert.equal(run.code, 0, run.stderr);
    resources = readSynthOutput(dir).resources;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds no violation in the shipped local stack", () => {
    assert.ok(resources.some((r) => r.type === "kubernetes:apps/v1:Deployment"), "the local stack synthesizes Deployments");
    const violations = evaluatePolicies(resources);
    assert.deepEqual(violations, [], formatViolations(violations));
  });

  it("catches a container stripped of its limits in that output", () => {
    const broken = structuredClone(resources);
    const deployment = broken.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    const spec = (deployment.inputs.spec as { template: { spec: { containers: { resources?: unknown }[] } } }).template.spec;
    delete spec.containers[0]!.resources;
    const violations = evaluatePolicies(broken);
    assert.deepEqual(
      violations.map((v) => [v.policy, v.resource]),
      [
        ["containers-non-root-with-limits", deployment.name],
        ["containers-non-root-with-limits", deployment.name],
      ],
    );
    assert.match(violations[0]!.message, /containers\[0\]\.resources\.limits\.cpu is not set/);
  });
});

describe("evaluatePolicies", () => {
  it("hands resource rules the engine's arguments: URN with the parent type chain, parent option, isType by token", () => {
    const seen: unknown[] = [];
    const probe: ResourceValidationPolicy = {
      name: "probe",
      description: "records its arguments",
      validateResource: (args) => {
        const fakeClass = Object.assign(function Bucket() {}, { __pulumiType: "aws:s3/bucket:Bucket" });
        seen.push({ name: args.name, urn: args.urn, parent: args.opts.parent, isBucket: args.isType(fakeClass as never), tag: args.stackTags.get("team"), config: args.getConfig() });
      },
    };
    const resources: PolicyInputResource[] = [
      { type: "mlops:aws:ObjectStore", name: "store", parent: null, inputs: {} },
      { type: "aws:s3/bucket:Bucket", name: "models", parent: "store", inputs: {} },
    ];
    evaluatePolicies(resources, { probe: { answer: 42 } }, { policies: [probe], stack: "dev", project: "p", stackTags: { team: "ml" } });
    assert.deepEqual(seen, [
      { name: "store", urn: "urn:pulumi:dev::p::mlops:aws:ObjectStore::store", parent: undefined, isBucket: false, tag: "ml", config: { answer: 42 } },
      { name: "models", urn: "urn:pulumi:dev::p::mlops:aws:ObjectStore$aws:s3/bucket:Bucket::models", parent: "urn:pulumi:dev::p::mlops:aws:ObjectStore::store", isBucket: true, tag: "ml", config: { answer: 42 } },
    ]);
  });

  it("maps a stack rule's URN back to the resource name, and leaves it out for stack-wide violations", () => {
    const stackRule: StackValidationPolicy = {
      name: "stack-rule",
      description: "blames the first resource and the stack",
      validateStack: (args, report) => {
        report("first", args.resources[0]!.urn);
        report("whole stack");
      },
    };
    const violations = evaluatePolicies([{ type: "t:m:R", name: "r1", inputs: {} }], {}, { policies: [stackRule] });
    assert.deepEqual(violations, [
      { policy: "stack-rule", resource: "r1", message: "first" },
      { policy: "stack-rule", message: "whole stack" },
    ]);
  });

  it("treats notApplicable as no violation and reports a crashing rule with its name", () => {
    const skip: ResourceValidationPolicy = { name: "skip", description: "d", validateResource: (args) => args.notApplicable("never") };
    assert.deepEqual(evaluatePolicies([{ type: "t:m:R", name: "r1", inputs: {} }], {}, { policies: [skip] }), []);
    const crash: ResourceValidationPolicy = { name: "crash", description: "d", validateResource: () => { throw new Error("boom"); } };
    assert.throws(() => evaluatePolicies([{ type: "t:m:R", name: "r1", inputs: {} }], {}, { policies: [crash] }), /policy crash on r1 failed: boom/);
  });

  it("ships six mandatory rules with unique names", () => {
    assert.deepEqual(
      mlopsPolicies.map((p) => [p.name, p.enforcementLevel]),
      [
        ["no-public-buckets", "mandatory"],
        ["storage-encrypted", "mandatory"],
        ["no-public-endpoint-in-production", "mandatory"],
        ["no-open-api-endpoint", "mandatory"],
        ["gpu-pools-tainted-and-scale-to-zero", "mandatory"],
        ["containers-non-root-with-limits", "mandatory"],
      ],
    );
  });

  it("documents the config defaults the rules apply", () => {
    const defaults = Object.fromEntries(mlopsPolicies.filter((p) => p.configSchema).map((p) => [p.name, Object.fromEntries(Object.entries(p.configSchema!.properties).map(([k, v]) => [k, v.default]))]));
    assert.deepEqual(defaults, {
      "storage-encrypted": { requireCustomerManagedKeys: false },
      "no-public-endpoint-in-production": { production: false },
      "no-open-api-endpoint": { allowOpenEndpoint: false },
      "containers-non-root-with-limits": { checkHelmChartResources: false },
    });
    const resources: PolicyInputResource[] = [
      { type: "aws:eks/cluster:Cluster", name: "eks", inputs: { vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] }, encryptionConfig: { resources: ["secrets"], provider: { keyArn: "k" } } } },
      { type: "gcp:storage/bucket:Bucket", name: "b", inputs: { publicAccessPrevention: "enforced", uniformBucketLevelAccess: true } },
    ];
    assert.deepEqual(evaluatePolicies(resources, defaults), evaluatePolicies(resources));
    assert.deepEqual(evaluatePolicies(resources), []);
  });

  it("formats violations one per line", () => {
    assert.equal(formatViolations([]), "no policy violations");
    assert.equal(formatViolations([{ policy: "a", resource: "r", message: "m1" }, { policy: "b", message: "m2" }]), "[a] m1\n[b] m2");
  });
});
