import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  benjaminiHochberg,
  bonferroni,
  cdfFromSorted,
  chiSquareSf,
  fillZeroes,
  histogramCounts,
  jensenShannonDistance,
  kolmogorovSf,
  ksTwoSample,
  normalCdf,
  normedWasserstein,
  populationStabilityIndex,
  smirnovSf,
  sortFloat64,
  sortedValues,
  sturgesBinEdges,
  wassersteinDistance,
} from "../../../runtime/src/drift/index.ts";
import { type Sample, assertAbsolute, assertRelative, fixtures, generate, sample } from "./fixtures.ts";

// Statistics match scipy to 1e-9 relative, p-values to 1e-6 absolute (test/fixtures/drift).
const REL = 1e-9;
const ABS = 1e-6;

describe("two-sample Kolmogorov–Smirnov matches scipy.stats.ks_2samp", () => {
  for (const c of fixtures.ks as { name: string; a: Sample; b: Sample; statistic: number; pvalue: number; method: string }[]) {
    test(c.name, () => {
      const r = ksTwoSample(sample(c.a), sample(c.b));
      assert.equal(r.method, c.method);
      assertRelative(r.statistic, c.statistic, REL, "D");
      assertAbsolute(r.pValue, c.pvalue, ABS, "p");
      // The statistic is symmetric in the samples.
      assert.equal(ksTwoSample(sample(c.b), sample(c.a)).statistic, r.statistic);
    });
  }
});

test("the KS distribution's survival function matches scipy.stats.kstwo.sf on every algorithm branch", () => {
  for (const c of fixtures.kstwo as { n: number; x: number; sf: number }[]) assertAbsolute(kolmogorovSf(c.n, c.x), c.sf, 1e-9, `kstwo.sf(${c.x}, ${c.n})`);
});

test("the one-sided Smirnov survival function matches scipy.special.smirnov", () => {
  for (const c of fixtures.smirnov as { n: number; x: number; sf: number }[]) assertAbsolute(smirnovSf(c.n, c.x), c.sf, 1e-10, `smirnov(${c.n}, ${c.x})`);
});

test("normal CDF and chi-square survival function match scipy", () => {
  for (const c of fixtures.normal as { z: number; cdf: number }[]) assertAbsolute(normalCdf(c.z), c.cdf, 1e-15, `norm.cdf(${c.z})`);
  for (const c of fixtures.chi2 as { x: number; df: number; sf: number }[]) {
    assertAbsolute(chiSquareSf(c.x, c.df), c.sf, 1e-12, `chi2.sf(${c.x}, ${c.df})`);
    if (c.sf > 1e-300) assertRelative(chiSquareSf(c.x, c.df), c.sf, 1e-9, `chi2.sf(${c.x}, ${c.df}) relative`);
  }
});

describe("Wasserstein distance matches scipy.stats.wasserstein_distance", () => {
  for (const c of fixtures.wasserstein as { name: string; u: Sample; v: Sample; distance: number; std: number }[]) {
    test(c.name, () => {
      const d = wassersteinDistance(sample(c.u), sample(c.v));
      assertRelative(d, c.distance, REL, "W1");
      assertRelative(normedWasserstein(d, c.std), c.distance / Math.max(c.std, 0.001), REL, "normed W1");
    });
  }
});

test("Sturges bin edges match numpy.histogram_bin_edges, including numpy's integer-array rule", () => {
  for (const c of fixtures.sturges as { name: string; min: number; max: number; size: number; integer: boolean; edges: number[] }[]) {
    const edges = sturgesBinEdges(c.min, c.max, c.size, c.integer);
    assert.equal(edges.length, c.edges.length, c.name);
    edges.forEach((e, i) => assertRelative(e, c.edges[i]!, 1e-15, `${c.name} edge ${i}`));
  }
});

describe("Evidently's binning, Jensen–Shannon distance and PSI match the numpy/scipy re-implementation", () => {
  for (const c of fixtures.binned as {
    name: string;
    kind: string;
    reference: Sample<number | string>;
    current: Sample<number | string>;
    jensenshannon: number;
    psi: number;
    edges?: number[];
    referenceShares?: number[];
    currentShares?: number[];
    shares?: Record<string, [number, number]>;
  }[]) {
    test(c.name, () => {
      const ref = sample(c.reference);
      const cur = sample(c.current);
      let r: number[];
      let k: number[];
      if (c.edges) {
        const refCdf = cdfFromSorted(sortedValues(ref as number[]));
        const curCdf = cdfFromSorted(sortedValues(cur as number[]));
        const all = [...(ref as number[]), ...(cur as number[])];
        const edges = sturgesBinEdges(Math.min(...all), Math.max(...all), all.length);
        assert.deepEqual([...edges], c.edges);
        r = [...histogramCounts(refCdf, edges)].map((v) => v / ref.length);
        k = [...histogramCounts(curCdf, edges)].map((v) => v / cur.length);
        assert.deepEqual(r, c.referenceShares);
        assert.deepEqual(k, c.currentShares);
      } else {
        const labels = Object.keys(c.shares!);
        const count = (xs: (number | string)[], l: string) => xs.filter((x) => (typeof x === "number" ? x === Number(l) : x === l)).length;
        r = labels.map((l) => count(ref, l) / ref.length);
        k = labels.map((l) => count(cur, l) / cur.length);
        assert.deepEqual(r, labels.map((l) => c.shares![l]![0]));
      }
      assertRelative(jensenShannonDistance(r, k), c.jensenshannon, REL, "jensenshannon");
      assertRelative(populationStabilityIndex(fillZeroes(r), fillZeroes(k)), c.psi, REL, "psi");
    });
  }
});

test("Bonferroni and Benjamini–Hochberg adjusted p-values match scipy.stats.false_discovery_control", () => {
  const c = fixtures.correction as { pvalues: number[]; bonferroni: number[]; benjaminiHochberg: number[] };
  bonferroni(c.pvalues).forEach((p, i) => assertAbsolute(p, c.bonferroni[i]!, 1e-15, `bonferroni ${i}`));
  benjaminiHochberg(c.pvalues).forEach((p, i) => assertAbsolute(p, c.benjaminiHochberg[i]!, 1e-15, `BH ${i}`));
});

test("zero filling replaces empty shares as Evidently does", () => {
  assert.deepEqual([...fillZeroes([0.5, 0, 0.5])], [0.5, 0.0001, 0.5]);
  assert.deepEqual([...fillZeroes([0.99995, 0.00005, 0])], [0.99995, 0.00005, 0.00005 / 1e6]);
});

test("the radix sort orders doubles exactly as TypedArray#sort, signed zeros and infinities included", () => {
  for (const n of [5, 3000, 70_000]) {
    const u = Array.from(generate({ seed: n, n, loc: 0, scale: 1 }));
    const values = u.map((v, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? -0 : i % 17 === 0 ? Math.round(v) : v * 10 ** ((i % 9) - 4)));
    values[1] = Infinity;
    values[2] = -Infinity;
    values[3] = Number.MIN_VALUE;
    values[4] = -Number.MAX_VALUE;
    const expected = Float64Array.from(values).sort();
    const actual = sortFloat64(values);
    assert.equal(actual.length, n);
    for (let i = 0; i < n; i++) assert.ok(Object.is(actual[i], expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
});
