import assert from "node:assert/strict";
import { test } from "node:test";
import { cidrContains, cidrSubnet, cidrsOverlap, ipv4Cidr, isAnyAddress, isDocumentationCidr, isPrivateCidr, parseCidr } from "../../../components/network/index.ts";

test("parses network CIDRs and refuses host bits, bad octets and prefixes", () => {
  assert.deepEqual(parseCidr("10.0.0.0/16"), { start: 167772160, size: 65536, prefix: 16 });
  assert.deepEqual(parseCidr("0.0.0.0/0"), { start: 0, size: 2 ** 32, prefix: 0 });
  for (const bad of ["10.0.0.1/16", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0", "10.0.0/8", " 10.0.0.0/8", "::/0"]) {
    assert.equal(parseCidr(bad), undefined, bad);
    assert.equal(ipv4Cidr.safeParse(bad).success, false, bad);
  }
});

test("cidrSubnet carves like Terraform's cidrsubnet and refuses a subnet that does not exist", () => {
  assert.equal(cidrSubnet("10.0.0.0/16", 2, 1), "10.0.64.0/18");
  assert.equal(cidrSubnet("10.0.0.0/16", 8, 255), "10.0.255.0/24");
  assert.throws(() => cidrSubnet("10.0.0.0/16", 2, 4), /has no subnet 4/);
  assert.throws(() => cidrSubnet("10.0.0.0/30", 3, 0), /has no subnet/);
});

test("overlap, containment, private, documentation and any-address ranges", () => {
  assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.255.0/24"), true);
  assert.equal(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"), false);
  assert.equal(cidrContains("10.0.0.0/8", "10.20.0.0/20"), true);
  assert.equal(cidrContains("10.20.0.0/20", "10.0.0.0/8"), false);
  assert.equal(isPrivateCidr("192.168.4.0/24"), true);
  assert.equal(isPrivateCidr("100.64.0.0/10"), true);
  assert.equal(isPrivateCidr("172.32.0.0/16"), false);
  assert.equal(isPrivateCidr("0.0.0.0/0"), false);
  assert.equal(isDocumentationCidr("203.0.113.7/32"), true);
  assert.equal(isDocumentationCidr("203.0.114.0/24"), false);
  assert.equal(isAnyAddress("0.0.0.0/0"), true);
  assert.equal(isAnyAddress("::/0"), true);
  assert.equal(isAnyAddress("0.0.0.0/1"), false);
});

test("overlap and containment read an address with a prefix as its network, as the clouds do; malformed input is neither", () => {
  // GCP's and Azure's source ranges accept `10.1.2.3/16`; it covers 10.1.0.0/16.
  assert.equal(isPrivateCidr("10.1.2.3/16"), true);
  assert.equal(cidrsOverlap("10.1.2.3/16", "10.1.200.0/24"), true);
  assert.equal(cidrContains("10.1.0.0/16", "10.1.2.3/24"), true);
  assert.equal(parseCidr("10.1.2.3/16"), undefined, "a network CIDR still has no host bits");
  for (const bad of ["", "10.0.0.0", "300.0.0.0/8", "10.0.0.0/40"]) {
    assert.equal(cidrsOverlap(bad, "0.0.0.0/0"), false, bad);
    assert.equal(cidrContains("0.0.0.0/0", bad), false, bad);
    assert.equal(isPrivateCidr(bad), false, bad);
  }
});
