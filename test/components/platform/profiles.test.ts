import assert from "node:assert/strict";
import { test } from "node:test";
import { applyProfile, mergeDefaults, PROFILE_DEFAULTS } from "../../../components/platform/profiles.ts";

test("the profile's defaults lie under what the user wrote, field by field", () => {
  const out = applyProfile({ cloud: "aws", profile: "production", serving: { maxReplicas: 40 }, aws: { systemPool: { instanceType: "m7i.xlarge" } } }) as any;
  assert.deepEqual(out.serving, { minReplicas: 3, maxReplicas: 40, profile: "production" });
  assert.deepEqual(out.aws, { publicEndpoint: false, highAvailability: true, systemPool: { minNodes: 3, maxNodes: 6, instanceType: "m7i.xlarge" } });
  assert.deepEqual(out.monitoring, PROFILE_DEFAULTS.production.platform.monitoring);
});

test("dev is the default profile; an explicit user value beats it, even false", () => {
  const out = applyProfile({ cloud: "gcp", gcp: { publicEndpoint: false } }) as any;
  assert.equal(out.gcp.publicEndpoint, false);
  assert.equal(out.gcp.highAvailability, false);
  assert.equal(out.serving.minReplicas, 1);
});

test("only the chosen cloud's section gets cluster defaults; existing clusters get none", () => {
  const out = applyProfile({ cloud: "existing" }) as any;
  assert.equal(out.aws, undefined);
  assert.equal(out.existing, undefined);
  assert.equal(out.serving.maxReplicas, 3);
});

test("what it cannot interpret is left for the schema to report", () => {
  assert.equal(applyProfile("nope"), "nope");
  assert.deepEqual(applyProfile({ cloud: "aws", profile: "staging" }), { cloud: "aws", profile: "staging" });
  assert.equal((applyProfile({ cloud: "aws", serving: 5 }) as any).serving, 5);
});

test("arrays and scalars replace; nested objects merge; the inputs are not mutated", () => {
  const under = { a: { b: 1, c: [1, 2] }, d: 1 };
  const over = { a: { c: [3] }, e: 2 };
  assert.deepEqual(mergeDefaults(under, over), { a: { b: 1, c: [3] }, d: 1, e: 2 });
  assert.deepEqual(under, { a: { b: 1, c: [1, 2] }, d: 1 });
});

test("the profile reaches the servers: serving.profile follows it, the console needs an explicit opt-in in production", async () => {
  const { platformConfig } = await import("../../../components/platform/platform-config.ts");
  const base = { cloud: "existing", image: { ref: "registry.example.com/mlops/runtime:1" }, existing: {} };
  assert.equal(platformConfig.parse({ ...base }).serving.profile, "dev");
  assert.equal(platformConfig.parse({ ...base, profile: "production" }).serving.profile, "production");
  const mismatch = platformConfig.safeParse({ ...base, profile: "production", serving: { profile: "dev" } });
  assert.ok(!mismatch.success && mismatch.error.issues.some((i) => i.path.join(".") === "serving.profile" && /must match the platform's profile \(production\)/.test(i.message)));
});

test("production makes the retraining controller wait for approval before promotion; dev and an explicit false do not", () => {
  const prod = applyProfile({ cloud: "aws", profile: "production", retraining: { policy: { model: "fraud" } } }) as any;
  assert.deepEqual(prod.retraining.policy, { promotion: { requireApproval: true }, model: "fraud" });
  assert.equal((applyProfile({ cloud: "aws", profile: "production" }) as any).retraining, undefined);
  assert.equal((applyProfile({ cloud: "aws", retraining: { policy: { model: "fraud" } } }) as any).retraining.policy.promotion, undefined);
  const optOut = applyProfile({ cloud: "aws", profile: "production", retraining: { policy: { model: "fraud", promotion: { requireApproval: false } } } }) as any;
  assert.equal(optOut.retraining.policy.promotion.requireApproval, false);
});
