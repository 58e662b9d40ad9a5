import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJson, stringifyJson } from "../../../runtime/src/serve/json.ts";

test("reads NaN, Infinity and -Infinity literals the way TF Serving does", () => {
  const v = parseJson('{"instances": [[NaN, Infinity, -Infinity, 1.5e3, -2]]}') as { instances: number[][] };
  const row = v.instances[0]!;
  assert.ok(Number.isNaN(row[0]));
  assert.equal(row[1], Number.POSITIVE_INFINITY);
  assert.equal(row[2], Number.NEGATIVE_INFINITY);
  assert.deepEqual(row.slice(3), [1500, -2]);
});

test("leaves NaN and Infinity inside strings alone, including after escaped quotes", () => {
  const v = parseJson('{"a": "NaN", "b": "say \\"Infinity\\" NaN", "c": [NaN], "NaN": -Infinity}') as Record<string, unknown>;
  assert.equal(v.a, "NaN");
  assert.equal(v.b, 'say "Infinity" NaN');
  assert.ok(Number.isNaN((v.c as number[])[0]));
  assert.equal(v.NaN, Number.NEGATIVE_INFINITY);
});

test("still rejects malformed JSON", () => {
  assert.throws(() => parseJson("{"), SyntaxError);
  assert.throws(() => parseJson("[NaNa]"), SyntaxError);
  assert.throws(() => parseJson("[Inf]"), SyntaxError);
});

test("writes non-finite numbers as literals and round-trips them", () => {
  const text = stringifyJson({ predictions: [[Number.NaN], [Number.POSITIVE_INFINITY], [-Infinity], [0.5]], note: "NaN" });
  assert.equal(text, '{"predictions":[[NaN],[Infinity],[-Infinity],[0.5]],"note":"NaN"}');
  const back = parseJson(text) as { predictions: number[][] };
  assert.ok(Number.isNaN(back.predictions[0]![0]));
  assert.equal(back.predictions[3]![0], 0.5);
});

test("is plain JSON.stringify when every number is finite", () => {
  const v = { a: [1, 2.5, -3], b: "x", c: null };
  assert.equal(stringifyJson(v), JSON.stringify(v));
});
