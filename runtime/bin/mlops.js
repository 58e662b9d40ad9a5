#!/usr/bin/env node
// Entry point of the `mlops` CLI. In a checkout, Node (>= 22.18 / 23.6) runs the TypeScript
// sources directly; Node will not strip types under node_modules, so an installed package runs
// the compiled dist/ that `npm pack` builds.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const installed = here.split(/[\\/]/).includes("node_modules");
const compiled = new URL("../../dist/runtime/src/cli/main.js", import.meta.url);
const entry = installed && existsSync(fileURLToPath(compiled)) ? compiled : new URL("../src/cli/main.ts", import.meta.url);
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command is over: a store request abandoned at its deadline (MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT)
// may still hold a socket or a retry timer, which must not keep the process alive.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write("", resolve))));
process.exit(code);
