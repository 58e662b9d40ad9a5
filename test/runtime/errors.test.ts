import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { ERRORS, MlopsError, mlopsError } from "../../runtime/src/errors.ts";
import { renderErrorsDoc } from "../../runtime/src/errors-doc.ts";

const root = new URL("../../", import.meta.url);

test("docs/errors.md lists exactly the codes in the registry, with their status and fix", async () => {
  const doc = await readFile(new URL("docs/errors.md", root), "utf8");
  assert.equal(doc, renderErrorsDoc(), "docs/errors.md is stale: run `npm run docs:errors`");
});

test("every code follows MLOPS_ERR_<AREA>_<DETAIL> and maps to an HTTP error status", () => {
  for (const [code, def] of Object.entries(ERRORS)) {
    assert.match(code, /^MLOPS_ERR_[A-Z]+_[A-Z_]+$/);
    assert.ok(def.status >= 400 && def.status < 600, `${code} status ${def.status}`);
    assert.ok(def.fix.length > 10, `${code} has a fix`);
  }
});

test("an error carries its code, status and the parameters its message names", () => {
  const err = mlopsError("MLOPS_ERR_INFER_FEATURE", { row: 3, feature: "age", reason: "expected a number" });
  assert.ok(err instanceof MlopsError);
  assert.equal(err.code, "MLOPS_ERR_INFER_FEATURE");
  assert.equal(err.status, 400);
  assert.equal(err.message, 'instance 3, feature "age": expected a number');
  assert.deepEqual(err.params, { row: 3, feature: "age", reason: "expected a number" });
});

test("every code used in the runtime sources is defined in the registry", async () => {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  await walk(new URL("runtime/src", root).pathname);
  const used = new Set<string>();
  for (const f of files) for (const m of (await readFile(f, "utf8")).matchAll(/"(MLOPS_ERR_[A-Z_]+)"/g)) used.add(m[1]!);
  for (const code of used) assert.ok(code in ERRORS, `${code} is used but not defined`);
});
