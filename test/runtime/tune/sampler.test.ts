import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../../../runtime/src/model/random.ts";
import { type Observation, RandomSampler, type Sampler } from "../../../runtime/src/tune/sampler.ts";
import { type ParamSpec, type Params, type TunableConfig, applyParams, defaultPoint, defaultSearchSpace, hiddenLayersOf } from "../../../runtime/src/tune/search-space.ts";
import { promotable, rungEpochs } from "../../../runtime/src/tune/successive-halving.ts";
import { TpeSampler } from "../../../runtime/src/tune/tpe-sampler.ts";
import { modelConfig, networkConfig } from "../../../runtime/src/data/model-config.ts";

// A mixed space like tune's: integers, a log-scaled float, a plain float, categoricals.
const space: ParamSpec[] = [
  { name: "layers", type: "int", low: 1, high: 4 },
  { name: "width", type: "int", low: 8, high: 512, log: true },
  { name: "learningRate", type: "float", low: 1e-5, high: 1e-1, log: true },
  { name: "dropout", type: "float", low: 0, high: 0.6 },
  { name: "batchSize", type: "categorical", choices: [16, 32, 64, 128, 256] },
  { name: "shape", type: "categorical", choices: ["constant", "funnel"] },
];

// A known deterministic objective, minimum 0 at layers 2, width 128, lr 3e-3, dropout 0.2, batch 64, funnel.
function objective(p: Params): number {
  return (
    (Math.log10(Number(p.learningRate)) - Math.log10(3e-3)) ** 2 +
    (Math.log2(Number(p.width)) - 7) ** 2 / 4 +
    0.5 * (Number(p.layers) - 2) ** 2 +
    4 * (Number(p.dropout) - 0.2) ** 2 +
    (p.batchSize === 64 ? 0 : 0.3) +
    (p.shape === "funnel" ? 0 : 0.2)
  );
}

function bestAfter(sampler: Sampler, trials: number, seed: number): number {
  const history: Observation[] = [];
  for (let i = 0; i < trials; i++) {
    const params = sampler.suggest(space, history, seededRandom(seed * 100_003 + i));
    history.push({ params, value: objective(params), rung: 0 });
  }
  return Math.min(...history.map((h) => h.value));
}

test("TPE finds the optimum of a known function faster than random search, over 30 seeds (sign test)", () => {
  const seeds = 30;
  let tpeWins = 0;
  const tpe: number[] = [];
  const rnd: number[] = [];
  for (let s = 1; s <= seeds; s++) {
    const a = bestAfter(new TpeSampler(), 50, s);
    const b = bestAfter(new RandomSampler(), 50, s + 10_000);
    tpe.push(a);
    rnd.push(b);
    if (a < b) tpeWins++;
  }
  // Under H0 (no difference) wins ~ Binomial(30, 0.5): P(X >= 21) = 0.021.
  assert.ok(tpeWins >= 21, `TPE beat random on ${tpeWins}/${seeds} seeds (need >= 21 for p < 0.025)`);
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(mean(tpe) < 0.75 * mean(rnd), `mean best: TPE ${mean(tpe).toFixed(3)}, random ${mean(rnd).toFixed(3)}`);
});

test("TPE's first trials are random, and every proposal stays in the space with the right types", () => {
  const tpe = new TpeSampler({ startupTrials: 5 });
  const history: Observation[] = [];
  for (let i = 0; i < 40; i++) {
    const p = tpe.suggest(space, history, seededRandom(i + 1));
    for (const spec of space) {
      const v = p[spec.name];
      if (spec.type === "categorical") assert.ok(spec.choices.includes(v as never), `${spec.name}=${v}`);
      else {
        assert.equal(typeof v, "number");
        assert.ok((v as number) >= spec.low && (v as number) <= spec.high, `${spec.name}=${v} outside [${spec.low}, ${spec.high}]`);
        if (spec.type === "int") assert.ok(Number.isInteger(v), `${spec.name}=${v} is not an integer`);
      }
    }
    history.push({ params: p, value: objective(p), rung: 0 });
  }
  // Same history, same random stream: the same proposal (the sampler is a pure function).
  assert.deepEqual(tpe.suggest(space, history, seededRandom(7)), tpe.suggest(space, history, seededRandom(7)));
});

test("TPE ranks trials that survived more rungs first and failed trials last", () => {
  // Every good trial (rung 2) has batchSize 64; pruned (rung 0) and failed (rung -1) ones have 256. With 24 candidates the ratio picks 64.
  const history: Observation[] = [];
  for (let i = 0; i < 30; i++) history.push({ params: { batchSize: i < 8 ? 64 : 256 }, value: i < 8 ? 5 : i < 20 ? 0.1 : Number.POSITIVE_INFINITY, rung: i < 8 ? 2 : i < 20 ? 0 : -1 });
  const only: ParamSpec[] = [{ name: "batchSize", type: "categorical", choices: [16, 64, 256] }];
  const picks = Array.from({ length: 20 }, (_, i) => new TpeSampler().suggest(only, history, seededRandom(i + 1)).batchSize);
  assert.ok(picks.filter((b) => b === 64).length >= 18, `picked ${picks.join(",")}`);
});

test("successive halving: rungs at epochs/9, /3 and all of them; a third of each rung goes on", () => {
  assert.deepEqual(rungEpochs(100), [12, 34, 100]);
  assert.deepEqual(rungEpochs(30), [10, 30]);
  assert.deepEqual(rungEpochs(8), [8]);
  assert.equal(promotable(1, [1]), true);
  assert.equal(promotable(2, [1, 2]), false, "fewer than eta values: only the best goes on");
  assert.equal(promotable(1, [1, 2]), true);
  assert.equal(promotable(3, [1, 2, 3, 4, 5, 6]), false, "top floor(6/3) = 2");
  assert.equal(promotable(2, [1, 2, 3, 4, 5, 6]), true);
  assert.equal(promotable(Number.NaN, [1]), false);
});

test("successive halving over simulated learning curves stops bad trials early and keeps a near-best one", () => {
  // Loss after e epochs: final + gap/e; the final values and gaps are known, so the best trial is known.
  const random = seededRandom(11);
  const curves = Array.from({ length: 60 }, () => ({ final: random(), gap: 2 * random() }));
  const rungs = rungEpochs(90);
  const recorded: number[][] = rungs.map(() => []);
  let epochs = 0;
  const reached: number[] = [];
  curves.forEach((c) => {
    let r = 0;
    for (; r < rungs.length; r++) {
      const v = c.final + c.gap / rungs[r]!;
      epochs += rungs[r]!; // a promoted trial retrains from scratch at the next budget
      recorded[r]!.push(v);
      if (r === rungs.length - 1 || !promotable(v, recorded[r]!)) break;
    }
    reached.push(r);
  });
  const completed = reached.filter((r) => r === rungs.length - 1).length;
  assert.ok(completed < curves.length / 3, `${completed} of ${curves.length} trials ran every epoch`);
  assert.ok(epochs < 0.5 * curves.length * 90, `successive halving used ${epochs} epochs vs ${curves.length * 90} without it`);
  const bestFinal = curves.reduce((b, c, i) => (c.final + c.gap / 90 < curves[b]!.final + curves[b]!.gap / 90 ? i : b), 0);
  // The best trial by its final loss is among those that completed or were cut by a trial genuinely ahead at that rung.
  const finishers = curves.map((c, i) => ({ i, v: c.final + c.gap / 90 })).filter((x) => reached[x.i] === rungs.length - 1);
  const bestFinisher = Math.min(...finishers.map((f) => f.v));
  const truth = curves[bestFinal]!.final + curves[bestFinal]!.gap / 90;
  assert.ok(bestFinisher - truth < 0.1, `best finisher ${bestFinisher.toFixed(3)} vs true best ${truth.toFixed(3)}`);
});

test("a point of the space becomes a network config that the schema accepts", () => {
  const p: Params = { layers: 3, width: 128, shape: "funnel", dropout: 0.25, learningRate: 0.003, batchSize: 64, weightDecay: 1e-4, patience: 20 };
  assert.deepEqual(hiddenLayersOf(p), [128, 64, 32]);
  const applied = applyParams({ network: networkConfig.parse({}) }, p, 34);
  assert.deepEqual(networkConfig.parse(applied.network), { ...networkConfig.parse({}), hiddenLayers: [128, 64, 32], dropout: 0.25, learningRate: 0.003, batchSize: 64, weightDecay: 1e-4, patience: 20, epochs: 34 });
  const names = defaultSearchSpace("binary").map((s) => s.name);
  for (const n of ["layers", "width", "dropout", "learningRate", "batchSize", "weightDecay", "patience", "classWeights", "numericalBins"]) assert.ok(names.includes(n), n);
  // numericalBins is a top-level field of the model config, which the schema accepts.
  const bare: TunableConfig = { network: networkConfig.parse({}) };
  assert.equal(applyParams(bare, { numericalBins: 32 }).numericalBins, 32);
  assert.equal(applyParams(bare, { numericalBins: "auto" }).numericalBins, "auto");
  assert.equal(applyParams(bare, {}).numericalBins, undefined, "unsampled: the config's own");
  assert.equal(modelConfig.parse({ target: "y", ...applyParams({ network: networkConfig.parse({}) }, { numericalBins: 0 }) }).numericalBins, 0);
});

test("class weights are a dimension for classifiers (issue 13) and reach the network config; regression has none", () => {
  assert.deepEqual(defaultSearchSpace("multiclass").find((s) => s.name === "classWeights"), { name: "classWeights", type: "categorical", choices: ["none", "balanced"] });
  assert.equal(defaultSearchSpace("regression").some((s) => s.name === "classWeights"), false);
  for (const cw of ["none", "balanced"] as const) {
    const applied = applyParams({ network: networkConfig.parse({}) }, { classWeights: cw });
    assert.equal(networkConfig.parse(applied.network).classWeights, cw);
  }
  assert.equal(applyParams({ network: networkConfig.parse({}) }, {}).network.classWeights, undefined, "unsampled: the default rule (balanced below 30 % minority)");
});

test("a search's first trial is the config's own network, the nearest point of the space to it (so tuning has the default to beat)", () => {
  const net = { ...networkConfig.parse({}), patience: 20, weightDecay: 0 };
  const point = defaultPoint(defaultSearchSpace("binary"), { network: net });
  // [64, 32] is a funnel of width 64; weightDecay 0 is the log range's low end; default class weights are left to the config; bins "auto" as the config's default.
  assert.deepEqual(point, { layers: 2, width: 64, shape: "funnel", dropout: 0, learningRate: 0.001, batchSize: 32, weightDecay: 1e-7, patience: 20, numericalBins: "auto" });
  assert.equal(defaultPoint(defaultSearchSpace("binary"), { network: net, numericalBins: 8 }).numericalBins, 8);
  assert.equal(defaultPoint(defaultSearchSpace("binary"), { network: net, numericalBins: 5 }).numericalBins, 8, "a count not offered becomes the nearest one");
  const applied = applyParams({ network: net }, point).network;
  assert.deepEqual(applied.hiddenLayers, net.hiddenLayers);
  assert.equal(applied.classWeights, undefined);
  // Hidden layers the space cannot express keep the config's; a patience not offered becomes the nearest choice.
  const odd = defaultPoint(defaultSearchSpace("regression"), { network: { ...net, hiddenLayers: [10, 40], patience: 12 } });
  assert.equal(odd.layers, undefined);
  assert.equal(odd.patience, 10);
  assert.deepEqual(applyParams({ network: net }, odd).network.hiddenLayers, net.hiddenLayers);
});
