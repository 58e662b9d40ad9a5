// Loads test/fixtures/drift/drift.json (written by make_drift_fixtures.py) and re-creates the
// generated samples with the same xorshift32 arithmetic as the script.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import type { Cell, Table } from "../../../runtime/src/data/table.ts";

/** A generated sample: loc + scale · (Σ of 12 uniforms − 6), optionally floored to 1/floor. */
export interface GenSpec {
  seed: number;
  n: number;
  loc: number;
  scale: number;
  floor?: number;
}
/** Stored values, generated values, or runs of repeated values. */
export type Sample<T = number> = T[] | { generate: GenSpec } | { runs: [T, number][] };

export const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/drift/drift.json", import.meta.url), "utf8"));

/** Uniforms k / 2³² from xorshift32 (13, 17, 5), as the fixture script draws them. */
export function xorshift32(seed: number, count: number): Float64Array {
  let x = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x / 4294967296;
  }
  return out;
}

export function generate(spec: GenSpec): Float64Array {
  const u = xorshift32(spec.seed, spec.n * 12);
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    let s = 0;
    for (let k = 0; k < 12; k++) s += u[i * 12 + k]!;
    let v = spec.loc + spec.scale * (s - 6);
    if (spec.floor) v = Math.floor(v * spec.floor) / spec.floor;
    out[i] = v;
  }
  return out;
}

export function sample<T>(s: Sample<T>): T[] {
  if (Array.isArray(s)) return s;
  if ("generate" in s) return [...generate(s.generate)] as T[];
  return s.runs.flatMap(([v, n]) => new Array<T>(n).fill(v));
}

/** A one-column in-memory table. */
export function oneColumn(name: string, values: readonly Cell[], source = "fixture"): Table {
  return { source, columns: [name], rows: values.map((v) => [v]), digest: "0" };
}

/** |actual − expected| ≤ rel·|expected| (exact equality for 0 and infinities). */
export function assertRelative(actual: number, expected: number | string | null, rel: number, what: string): void {
  const e = expected === "inf" ? Infinity : expected === "-inf" ? -Infinity : expected === null ? Number.NaN : (expected as number);
  if (Number.isNaN(e)) return assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  if (!Number.isFinite(e) || e === 0) return assert.equal(actual, e, `${what}: expected ${e}, got ${actual}`);
  assert.ok(Math.abs(actual - e) <= rel * Math.abs(e), `${what}: expected ${e}, got ${actual} (relative error ${Math.abs(actual - e) / Math.abs(e)})`);
}

/** |actual − expected| ≤ abs. */
export function assertAbsolute(actual: number, expected: number, abs: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= abs, `${what}: expected ${expected}, got ${actual} (error ${Math.abs(actual - expected)})`);
}
