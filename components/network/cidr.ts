import { z } from "zod";

/** An IPv4 range as its first address and size. */
export interface CidrRange {
  /** First address as an unsigned 32-bit number. */
  start: number;
  /** Number of addresses. */
  size: number;
  /** Prefix length. */
  prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * The range an IPv4 CIDR covers, host bits masked off (`10.0.0.7/16` covers `10.0.0.0/16`, as
 * clouds read an address with a prefix); undefined when malformed.
 */
function rangeOf(cidr: string): (CidrRange & { hostBitsSet: boolean }) | undefined {
  const m = IPV4_CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const start = address - (address % size);
  return { start, size, prefix, hostBitsSet: start !== address };
}

/** Parses an IPv4 CIDR (`10.0.0.0/16`); undefined when malformed or when host bits are set. */
export function parseCidr(cidr: string): CidrRange | undefined {
  const r = rangeOf(cidr);
  return r === undefined || r.hostBitsSet ? undefined : { start: r.start, size: r.size, prefix: r.prefix };
}

/** zod schema of an IPv4 network CIDR (host bits zero). */
export const ipv4Cidr = z.string().refine((c) => parseCidr(c) !== undefined, "must be an IPv4 CIDR like 10.0.0.0/16 (no host bits set)");

/** zod schema of an IPv4 source range an endpoint admits (`203.0.113.0/24`; an address with host bits reads as its network). */
export const ipv4SourceCidr = z.string().refine((c) => rangeOf(c) !== undefined, "must be an IPv4 CIDR like 203.0.113.0/24");

/**
 * The `index`-th subnet of `cidr` with `newBits` more prefix bits, like Terraform's `cidrsubnet`
 * (`cidrSubnet("10.0.0.0/16", 2, 1)` is `10.0.64.0/18`).
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const prefix = parsed.prefix + newBits;
  if (prefix > 32 || index < 0 || index >= 2 ** newBits) throw new Error(`${cidr} has no subnet ${index} of /${prefix}`);
  const base = parsed.start + index * 2 ** (32 - prefix);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** True when two CIDRs share an address (false when either is malformed). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = rangeOf(a);
  const y = rangeOf(b);
  if (!x || !y) return false;
  return x.start < y.start + y.size && y.start < x.start + x.size;
}

/** True when every address of `inner` is in `outer` (false when either is malformed). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = rangeOf(outer);
  const i = rangeOf(inner);
  if (!o || !i) return false;
  return o.start <= i.start && i.start + i.size <= o.start + o.size;
}

/** RFC 1918 and shared address space (RFC 6598): ranges that are not routed on the internet. */
export const PRIVATE_RANGES: readonly string[] = Object.freeze(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);

/** Documentation ranges (RFC 5737): placeholders in examples, never a real network. */
export const DOCUMENTATION_RANGES: readonly string[] = Object.freeze(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]);

/** True when every address of `c` is in a private range. */
export const isPrivateCidr = (c: string): boolean => PRIVATE_RANGES.some((p) => cidrContains(p, c));

/** True when `c` lies in a documentation range (a placeholder someone forgot to replace). */
export const isDocumentationCidr = (c: string): boolean => DOCUMENTATION_RANGES.some((p) => cidrContains(p, c));

/** True for a range that admits every address (`0.0.0.0/0`, `::/0`). */
export const isAnyAddress = (c: string): boolean => /^(0\.0\.0\.0|::)\/0$/.test(c.trim());
