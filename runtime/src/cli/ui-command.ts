import { createLog } from "../log.ts";
import { createConsoleServer } from "../console/index.ts";
import { ModelRegistry } from "../registry/index.ts";
import { type Io, intFlag, parseFlags } from "./args.ts";

/** Help for `mlops ui`. */
export const UI_HELP = `usage: mlops ui [--registry <loc>] [--host <addr>] [--port <n>]

Serves a read-only web console over the registry at http://<host>:<port>/ui/: the models, each
model's versions with metrics, aliases and rollout, drift per feature over time from the servers'
monitoring snapshots, experiments and the history timeline; per version its metrics with
baselines and intervals, learning curve, feature importance, lineage and model card. Pages are
rendered on the server with inline SVG charts, load nothing from elsewhere and run no script.
The console never writes to the registry. Runs until SIGINT/SIGTERM.

  --registry <loc>  directory, s3://, gs:// or az:// URL (default: .mlops/registry)
  --host <addr>     interface (default: 127.0.0.1; anyone who reaches it sees every model)
  --port <n>        HTTP port (default: 8080; 0 picks a free one)
`;

const flags = { registry: { type: "string" }, host: { type: "string" }, port: { type: "string" } } as const;

/** `mlops ui`. */
export async function uiCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (values.help) {
    io.out(UI_HELP);
    return 0;
  }
  const port = intFlag(values.port, "port", 0, 65535) ?? 8080;
  const registry = ModelRegistry.open(values.registry);
  const server = createConsoleServer(registry, { host: values.host ?? "127.0.0.1", port }, createLog("mlops-ui"));
  const url = await server.listen();
  io.err(`console of ${registry.storage.url} on ${url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve, resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
