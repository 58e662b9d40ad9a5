/** Parses an IPv4 CIDR (`10.0.0.0/16`); undefined when malformed or when host bits are set. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (base % hostBits !== 0) return undefined;
  return { base, prefix };
}

/**
 * The `index`-th subnet of `cidr` with `newBits` more prefix bits, like Terraform's `cidrsubnet`
 * (`cidrSubnet("10.0.0.0/16", 2, 1)` is `10.0.64.0/18`).
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const prefix = parsed.prefix + newBits;
  if (prefix > 32 || index < 0 || index >= 2 ** newBits) throw new Error(`${cidr} has no subnet ${index} of /${prefix}`);
  const base = parsed.base + index * 2 ** (32 - prefix);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}
