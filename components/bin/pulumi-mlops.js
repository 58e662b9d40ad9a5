#!/usr/bin/env node
// Entry point of the `pulumi-mlops` command (synth). Installed, it runs the compiled dist/ that
// `npm pack` builds (Node does not strip types under node_modules); in a checkout it runs the
// TypeScript sources, resolving the workspace packages to their sources too.
import { existsSync, realpathSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

const here = realpathSync(fileURLToPath(new URL(".", import.meta.url)));
const compiled = new URL("../dist/synth/synth-command.js", import.meta.url);
const installed = here.split(/[\\/]/).includes("node_modules") && existsSync(fileURLToPath(compiled));
if (!installed) {
  module.registerHooks({
    resolve: (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, "pulumi-mlops-source"] }),
  });
}
const { main } = await import((installed ? compiled : new URL("../synth/synth-command.ts", import.meta.url)).href);
process.exitCode = await main(process.argv.slice(2));
