// A consumer's `tsc --noEmit` pays for every declaration file the package's .d.ts files reach.
// The cloud and Kubernetes SDK roots reach all of their modules, so the components import those
// SDKs module by module through one facade each (components/{aws,gcp,azure,kubernetes}/sdk.ts).
// The built .d.ts files are checked on the packed package by installed-package.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sdkRootImports } from "../helpers/sdk-root-imports.ts";

const components = fileURLToPath(new URL("../../components/", import.meta.url));
const facades = ["aws/sdk.ts", "gcp/sdk.ts", "azure/sdk.ts", "kubernetes/sdk.ts", "kubernetes/sdk-helm.ts"];

test("no file under components/ imports a cloud or Kubernetes SDK package root (or a Kubernetes module that imports every API group)", () => {
  const found = sdkRootImports(components, [".ts", ".js", ".mjs", ".cjs"], path.dirname(components), ["dist", "image"]);
  assert.deepEqual(
    found,
    [],
    `these import an SDK package root, which makes every consumer's tsc load all of that SDK's modules; import the facade instead (e.g. import * as aws from "../aws/sdk.ts") and add the module there:\n  ${found.join("\n  ")}`,
  );
});

test("every module a facade re-exports has, at run time, every export its CommonJS index defines", async () => {
  // The SDKs are CommonJS with lazily loaded members; an ESM namespace of a CommonJS module holds
  // only the names Node's export detection finds, so a miss would be undefined at run time.
  const require = createRequire(import.meta.url);
  for (const facade of facades) {
    const ns = (await import(path.join(components, facade))) as Record<string, Record<string, unknown>>;
    const source = readFileSync(path.join(components, facade), "utf8");
    const reexports = [...source.matchAll(/^export \* as (\w+) from "([^"]+)";$/gm)];
    assert.ok(reexports.length > 0, `${facade} re-exports modules`);
    for (const [, name, specifier] of reexports) {
      if (specifier!.startsWith(".")) continue; // another facade, checked on its own
      const cjs = require(specifier!) as Record<string, unknown>;
      const missing = Object.keys(cjs).filter((k) => k !== "__esModule" && ns[name!]?.[k] === undefined);
      assert.deepEqual(missing, [], `components/${facade}: ${name} (${specifier}) lacks at run time: ${missing.join(", ")}`);
    }
    for (const [name, value] of Object.entries(ns)) assert.notEqual(value, undefined, `components/${facade}: ${name} is defined at run time`);
  }
});
