import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { inSection, parseArgs } from "../../../components/kubernetes/runtime-workload-args.ts";

const errorsOf = (f: () => unknown): { propertyPath: string; reason: string }[] => {
  try {
    f();
  } catch (err) {
    assert.ok(pulumi.InputPropertiesError.isInstance(err), String(err));
    return err.errors.map((e) => ({ propertyPath: e.propertyPath, reason: e.reason }));
  }
  assert.fail("no error");
};

test("parseArgs reports each unknown key at its own path, however deep", () => {
  const schema = z.object({ a: z.number(), nested: z.object({ b: z.string() }).strict() }).strict();
  assert.deepEqual(errorsOf(() => parseArgs("C", schema, { a: 1, typo: 2, other: 3, nested: { b: "x", bb: 1 } })).sort((x, y) => x.propertyPath.localeCompare(y.propertyPath)), [
    { propertyPath: "nested.bb", reason: "unknown key" },
    { propertyPath: "other", reason: "unknown key" },
    { propertyPath: "typo", reason: "unknown key" },
  ]);
});

test("inSection puts the section in front of a child's argument errors, except for the keys that come from elsewhere", () => {
  const child = (errors: { propertyPath: string; reason: string }[]) => () => {
    throw new pulumi.InputPropertiesError({ message: "invalid Child arguments", errors });
  };
  const errors = errorsOf(() =>
    inSection("Parent", "monitoring", child([
      { propertyPath: "retention", reason: "bad" },
      { propertyPath: "pools[1].size", reason: "bad" },
      { propertyPath: "[0]", reason: "bad" },
      { propertyPath: "(args)", reason: "bad" },
      { propertyPath: "region", reason: "required" },
      { propertyPath: "tags.team", reason: "too long" },
    ]), ["region", "tags"]),
  );
  assert.deepEqual(errors.map((e) => e.propertyPath), ["monitoring.retention", "monitoring.pools[1].size", "monitoring[0]", "monitoring", "region", "tags.team"]);
  // Anything else passes through untouched, and so does a child that succeeds.
  assert.throws(() => inSection("Parent", "s", () => { throw new TypeError("boom"); }), TypeError);
  assert.equal(inSection("Parent", "s", () => 42), 42);
});
