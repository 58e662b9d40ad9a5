import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { checkEndpointAccess } from "../../../components/network/index.ts";

function issuesOf(a: Record<string, unknown>): Array<{ path: string; message: string }> {
  const schema = z.object({}).passthrough().superRefine((v, ctx) => checkEndpointAccess(v, ctx, ["aws"]));
  const r = schema.safeParse(a);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

test("a public endpoint without authorizedCidrs is refused, telling the user how to find their address", () => {
  for (const cidrs of [undefined, []]) {
    const [i, ...rest] = issuesOf({ publicEndpoint: true, authorizedCidrs: cidrs });
    assert.equal(rest.length, 0);
    assert.equal(i?.path, "aws.authorizedCidrs");
    assert.match(i!.message, /required when publicEndpoint is true/);
    assert.match(i!.message, /checkip/);
  }
});

test("0.0.0.0/0 on a public endpoint needs allowOpenEndpoint; on a private one it is refused outright", () => {
  const open = issuesOf({ publicEndpoint: true, authorizedCidrs: ["198.51.100.7/32", "0.0.0.0/0"] });
  assert.deepEqual(open.map((i) => i.path), ["aws.authorizedCidrs.1"]);
  assert.match(open[0]!.message, /whole internet.*allowOpenEndpoint: true/);
  assert.deepEqual(issuesOf({ publicEndpoint: true, authorizedCidrs: ["0.0.0.0/0"], allowOpenEndpoint: true }), []);
  const priv = issuesOf({ publicEndpoint: false, authorizedCidrs: ["0.0.0.0/0"], allowOpenEndpoint: true });
  assert.deepEqual(priv.map((i) => i.path), ["aws.authorizedCidrs.0"]);
});

test("a private-only endpoint needs the private ranges pulumi up runs from, and refuses public ones", () => {
  const none = issuesOf({ publicEndpoint: false });
  assert.equal(none[0]?.path, "aws.authorizedCidrs");
  assert.match(none[0]!.message, /private-only API endpoint admits nothing else/);
  const pub = issuesOf({ publicEndpoint: false, authorizedCidrs: ["10.50.0.0/16", "198.51.100.0/24"] });
  assert.deepEqual(pub.map((i) => i.path), ["aws.authorizedCidrs.1"]);
  assert.deepEqual(issuesOf({ publicEndpoint: false, authorizedCidrs: ["10.50.0.0/16"] }), []);
});
