import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { type Log, silentLog } from "../log.ts";
import type { ModelRegistry } from "../registry/index.ts";
import { registerConsoleRoutes } from "./console-routes.ts";

/** Options of {@link createConsoleServer}. */
export interface ConsoleServerOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number;
}

/** A console server, not yet listening. */
export interface ConsoleServer {
  app: FastifyInstance;
  /** Starts listening; resolves with the console's URL (`http://host:port/ui/`). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The stand-alone console of `mlops ui`: the console routes, and `/` redirecting to `/ui/`. */
export function createConsoleServer(registry: ModelRegistry, options: ConsoleServerOptions = {}, log: Log = silentLog): ConsoleServer {
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), routerOptions: { ignoreTrailingSlash: false }, forceCloseConnections: true });
  registerConsoleRoutes(app, registry, log);
  app.get("/", (_req, reply) => reply.redirect("/ui/", 302));
  return {
    app,
    async listen() {
      const url = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8080 });
      return `${url}/ui/`;
    },
    close: () => app.close(),
  };
}
