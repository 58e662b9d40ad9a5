import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type Policies, PolicyPack } from "@pulumi/policy";

// Pulumi's policy-pack runner require()s this file through ts-node, so it is CommonJS; the rules
// are ES modules of the pulumi-mlops package (its "./policy" export), hence the import(). In a
// checkout the package is the components/ workspace and its rules load from source (Node strips
// their types); installed under node_modules, where Node refuses to strip types, from the
// compiled dist/ the package ships.
const pkg = realpathSync(path.dirname(require.resolve("pulumi-mlops/package.json")));
const source = path.join(pkg, "policy", "index.ts");
const compiled = path.join(pkg, "dist", "policy", "index.js");
const installed = pkg.split(path.sep).includes("node_modules");
const entry = !installed && existsSync(source) ? source : compiled;

void import(pathToFileURL(entry).href).then((rules: { mlopsPolicies: Policies }) => {
  new PolicyPack("pulumi-mlops-security", {
    policies: rules.mlopsPolicies,
    description: "pulumi-mlops security rules: private, encrypted object stores; private production control planes, no API endpoint open to 0.0.0.0/0; tainted scale-to-zero GPU pools; non-root containers with limits.",
  });
});
