import assert from "node:assert/strict";
import { test } from "node:test";
import { SynthMocks } from "../../../components/synth/synth-mocks.ts";

test("the mocks answer the invokes stack programs need, and remember the ones they cannot", () => {
  const mocks = new SynthMocks({ "aws:region": "eu-west-1", "gcp:project": "acme-ml" });
  assert.equal(mocks.call({ token: "aws:index/getCallerIdentity:getCallerIdentity", inputs: {}, provider: "" }).accountId, "123456789012");
  assert.equal(mocks.call({ token: "aws:index/getRegion:getRegion", inputs: {}, provider: "" }).name, "eu-west-1");
  assert.deepEqual(mocks.call({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {}, provider: "" }).names, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
  assert.equal(mocks.call({ token: "gcp:organizations/getProject:getProject", inputs: {}, provider: "" }).projectId, "acme-ml");
  assert.deepEqual(mocks.call({ token: "kubernetes:yaml:decode", inputs: { text: "kind: A\n---\n---\nkind: B\n" }, provider: "" }).result, [{ kind: "A" }, { kind: "B" }]);
  assert.deepEqual(mocks.call({ token: "acme:index:getThing", inputs: {}, provider: "" }), {});
  mocks.call({ token: "acme:index:getThing", inputs: {}, provider: "" });
  assert.deepEqual(mocks.unknownInvokes, ["acme:index:getThing"]);
});

test("a resource's state is its inputs with a deterministic id; auto-named Kubernetes objects get their logical name", () => {
  const mocks = new SynthMocks({});
  const r = mocks.newResource({ type: "kubernetes:core/v1:Service", name: "web", inputs: { spec: { ports: [] } }, provider: "", id: "", custom: true });
  assert.equal(r.id, "web-id");
  assert.deepEqual(r.state, { spec: { ports: [] }, metadata: { name: "web" } });
  const named = mocks.newResource({ type: "kubernetes:core/v1:Namespace", name: "ns", inputs: { metadata: { name: "mlops" } }, provider: "", custom: true });
  assert.deepEqual(named.state.metadata, { name: "mlops" });
  assert.equal(mocks.newResource({ type: "mlops:x:Y", name: "c", inputs: {}, provider: "", custom: false }).id, undefined);
});
