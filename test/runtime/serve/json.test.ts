import assert from "node:assert/strict";
import { test } from "node:test";
import { numbersJson, parseJson, rowsJson, stringifyJson } from "../../../runtime/src/serve/json.ts";

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

test("numbersJson and rowsJson write what stringifyJson writes for the same numbers, float32 outputs included", () => {
  const y = new Float32Array([28.434497833251953, 0.1, -0, 1e-7, 3e38, Number.NaN, Number.POSITIVE_INFINITY, -2]);
  assert.equal(numbersJson(y), stringifyJson(Array.from(y)));
  const rows = [Array.from(y.subarray(0, 4)), Array.from(y.subarray(4, 8))];
  assert.equal(rowsJson(y, 2, 4), stringifyJson(rows));
  assert.equal(rowsJson(y, 0, 4), "[]");
  assert.equal(numbersJson(y, 2, 0), "[]");
  assert.deepEqual(parseJson(rowsJson(new Float32Array([0.5, 1.25]), 2, 1)), [[0.5], [1.25]]);
});
