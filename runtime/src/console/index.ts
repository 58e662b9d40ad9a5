export { CONSOLE_HEADERS, CONSOLE_ROUTES, registerConsoleRoutes } from "./console-routes.ts";
export { type ConsoleServer, type ConsoleServerOptions, createConsoleServer } from "./console-server.ts";
export { readModelList, readModelView, readVersionView, type ModelSummary, type ModelView, type VersionView, type Experiment, type LearningCurve, type Importance } from "./console-data.ts";
export { modelCardPage, modelListPage, modelPage, notFoundPage, versionPage } from "./console-pages.ts";
export { modelCardSection, modelCardHref } from "./model-card-section.ts";
