import assert from "node:assert/strict";
import { test } from "node:test";
import { platformConfig } from "../../../components/platform/platform-config.ts";

const paths = (raw: unknown) => {
  const r = platformConfig.safeParse(raw);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => i.path.join(".")).sort();
};

test("a cloud section's cross-field problems are reported under the section's path", () => {
  assert.deepEqual(paths({ cloud: "gcp", region: "us-central1", gcp: { authorizedCidrs: ["52.94.0.7/32"], zones: ["europe-west1-b"], network: { masterCidr: "172.16.0.0/24" } } }), ["gcp.network.masterCidr", "gcp.zones.0"]);
  assert.deepEqual(paths({ cloud: "azure", region: "eastus", azure: { authorizedCidrs: ["52.94.0.7/32"], gpuPools: [{ name: "a", vmSize: "Standard_NC4as_T4_v3" }, { name: "a", vmSize: "Standard_D4s_v5" }] } }), ["azure.gpuPools.1.name", "azure.gpuPools.1.vmSize"]);
  assert.deepEqual(paths({ cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["52.94.0.7/32"], gpuPools: [{ name: "g", instanceType: "g5.xlarge", minNodes: 3, maxNodes: 1 }] } }), ["aws.gpuPools.0.maxNodes"]);
  assert.deepEqual(paths({ cloud: "aws", region: "us-east-1", profile: "production", aws: { authorizedCidrs: ["10.100.0.0/16"] } }), ["aws.network.runnerVpc"]);
});

test("a section for another cloud, or no region for a cloud, is reported", () => {
  assert.deepEqual(paths({ cloud: "aws", region: "us-east-1", aws: { authorizedCidrs: ["52.94.0.7/32"] }, gcp: {} }), ["gcp"]);
  assert.deepEqual(paths({ cloud: "azure", azure: { authorizedCidrs: ["52.94.0.7/32"] } }), ["region"]);
  // Issue 10 item 16: a dev (public-endpoint) stack on GCP or Azure must name who may reach the API.
  assert.deepEqual(paths({ cloud: "gcp", region: "us-central1" }), ["gcp.authorizedCidrs"]);
  assert.deepEqual(paths({ cloud: "azure", region: "eastus", azure: { authorizedCidrs: ["0.0.0.0/0"] } }), ["azure.authorizedCidrs.0"]);
  assert.ok(platformConfig.safeParse({ cloud: "azure", region: "eastus", azure: { authorizedCidrs: ["0.0.0.0/0"], allowOpenEndpoint: true } }).success, "allowOpenEndpoint accepts 0.0.0.0/0");
});
