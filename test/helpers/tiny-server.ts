import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ModelRegistry } from "../../runtime/src/registry/index.ts";
import { type ModelServer, type ServerOptionsInput, createModelServer } from "../../runtime/src/serve/server.ts";
import { trainTinyModels } from "./tiny-models.ts";

/** A server on free localhost ports (HTTP and both gRPC APIs) over a fresh registry holding the three tiny models. */
export interface TinyServer {
  dir: string;
  registryDir: string;
  registry: ModelRegistry;
  server: ModelServer;
  base: string;
  names: Awaited<ReturnType<typeof trainTinyModels>>;
  /** Closes the server and deletes the directory. */
  stop(): Promise<void>;
}

/** Trains the tiny models into a temp registry and starts a server on it with `options`. */
export async function startTinyServer(prefix: string, options: ServerOptionsInput): Promise<TinyServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const registryDir = path.join(dir, "registry");
  const names = await trainTinyModels(registryDir);
  const registry = ModelRegistry.open(registryDir);
  const server = createModelServer(registry, { port: 0, grpcPort: 0, inferenceGrpcPort: 0, feedbackLogDir: path.join(dir, "feedback-log"), ...options });
  const base = await server.listen();
  return {
    dir,
    registryDir,
    registry,
    server,
    base,
    names,
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 25 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not met in time");
}
