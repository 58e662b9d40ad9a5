#!/usr/bin/env node
// Entry point of the `mlops` CLI. In a checkout and in the runtime image, Node (>= 22.18 / 23.6)
// runs the TypeScript sources directly, and the workspace packages (@pulumi-mlops/contract)
// resolve to their sources too; Node will not strip types under node_modules, so an installed
// package runs the compiled dist/ that `npm pack` builds.
import { existsSync, realpathSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

const here = realpathSync(fileURLToPath(new URL(".", import.meta.url)));
const compiled = new URL("../dist/cli/main.js", import.meta.url);
const installed = here.split(/[\\/]/).includes("node_modules") && existsSync(fileURLToPath(compiled));
if (!installed && !process.execArgv.includes("--conditions=pulumi-mlops-source")) {
  module.registerHooks({
    resolve: (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, "pulumi-mlops-source"] }),
  });
}
const { main } = await import((installed ? compiled : new URL("../src/cli/main.ts", import.meta.url)).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command is over: a store request abandoned at its deadline (MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT)
// may still hold a socket or a retry timer, which must not keep the process alive.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write("", resolve))));
process.exit(code);
