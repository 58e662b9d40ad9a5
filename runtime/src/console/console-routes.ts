import type { FastifyInstance, FastifyReply } from "fastify";
import { describeError } from "../errors.ts";
import { type Log, silentLog } from "../log.ts";
import type { ModelRegistry } from "../registry/index.ts";
import { parseVersionNumber } from "../registry/registry-layout.ts";
import { isModelName } from "../registry/registry-names.ts";
import { readModelList, readModelView, readVersionView } from "./console-data.ts";
import { CONSOLE_CSS } from "./console-css.ts";
import { type PageFrame, modelCardPage, modelListPage, modelPage, notFoundPage, page, versionPage } from "./console-pages.ts";
import { html } from "./html.ts";

/**
 * Headers of every console response: nothing but the console's own origin may be loaded (no
 * inline script or style, no CDN), the page cannot be framed, and nothing is cached (the
 * registry changes under it).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
});

/** A small chart-like icon, so browsers do not ask for /favicon.ico. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#16202e"/><polyline points="2,12 6,7 9,9 14,3" fill="none" stroke="#ffbf47" stroke-width="2"/></svg>`;

/** The console's routes, all GET (and HEAD) under `/ui/`. */
export const CONSOLE_ROUTES = ["/ui/", "/ui/console.css", "/ui/favicon.svg", "/ui/models/:model", "/ui/models/:model/versions/:version", "/ui/models/:model/versions/:version/card"] as const;

/**
 * Adds the read-only console to a fastify app: `/ui/` (models), `/ui/models/<m>` (a model),
 * `/ui/models/<m>/versions/<v>` (a version) and `.../card` (its model card), with
 * `/ui/console.css`. Pages are rendered per request from the registry; the console never writes it.
 */
export function registerConsoleRoutes(app: FastifyInstance, registry: ModelRegistry, log: Log = silentLog): void {
  const send = (reply: FastifyReply, status: number, body: string, type = "text/html; charset=utf-8") => reply.code(status).headers(CONSOLE_HEADERS).type(type).send(body);
  const frame = async (current?: string): Promise<PageFrame> => ({ registry: registry.storage.url, models: await registry.listModels(), ...(current === undefined ? {} : { current }) });
  const guarded = async (reply: FastifyReply, render: () => Promise<[number, string]>) => {
    try {
      const [status, body] = await render();
      return send(reply, status, body);
    } catch (err) {
      log.error({ err: describeError(err) }, "console page failed");
      const body = page({ registry: registry.storage.url, models: [] }, "Registry unavailable", [["Models", "/ui/"], ["error"]], html`<h1>The registry could not be read</h1><section class="problems"><p>${describeError(err)}</p><p>Reload to try again.</p></section>`);
      return send(reply, 503, body);
    }
  };
  const notFound = async (what: string): Promise<[number, string]> => [404, notFoundPage(await frame(), what)];
  const version = (raw: string) => parseVersionNumber(raw);

  app.get("/ui/favicon.svg", (_req, reply) => send(reply, 200, FAVICON, "image/svg+xml"));
  app.get("/ui/console.css", (_req, reply) => send(reply, 200, CONSOLE_CSS, "text/css; charset=utf-8"));
  app.get("/ui/", (_req, reply) => guarded(reply, async () => [200, modelListPage(await frame(), await readModelList(registry))]));
  // An app that ignores trailing slashes already answers /ui with the list.
  if (!app.hasRoute({ method: "GET", url: "/ui" })) app.get("/ui", (_req, reply) => reply.redirect("/ui/", 302));
  app.get<{ Params: { model: string } }>("/ui/models/:model", (req, reply) =>
    guarded(reply, async () => {
      const { model } = req.params;
      const view = isModelName(model) ? await readModelView(registry, model) : undefined;
      return view ? [200, modelPage(await frame(model), view)] : notFound(`Model ${JSON.stringify(model)}`);
    }),
  );
  for (const card of [false, true]) {
    app.get<{ Params: { model: string; version: string } }>(`/ui/models/:model/versions/:version${card ? "/card" : ""}`, (req, reply) =>
      guarded(reply, async () => {
        const { model } = req.params;
        const n = version(req.params.version);
        const view = isModelName(model) && n !== undefined ? await readVersionView(registry, model, n) : undefined;
        if (!view) return notFound(`Version ${JSON.stringify(req.params.version)} of model ${JSON.stringify(model)}`);
        return [200, card ? modelCardPage(await frame(model), view) : versionPage(await frame(model), view)];
      }),
    );
  }
  app.get("/ui/*", (req, reply) => guarded(reply, () => notFound(`The page ${JSON.stringify(req.url)}`)));
}
