import { registerHooks } from "node:module";

// Preloaded (`node --import`) into processes that run the examples' programs: resolves the
// package's own name to this checkout's TypeScript sources, as an installed, built pulumi-mlops
// would resolve to dist/. Lets tests run examples/*/index.ts without `npm run build`.
const target = new URL("../../components/index.ts", import.meta.url).href;

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "pulumi-mlops") return { url: target, shortCircuit: true };
    return next(specifier, context);
  },
});
