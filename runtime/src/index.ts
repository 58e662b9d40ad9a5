export { ERRORS, type ErrorCode, MlopsError, mlopsError } from "./errors.ts";
export { type ModelConfig, type ModelConfigInput, type ResolvedModelConfig, modelConfig } from "./data/model-config.ts";
export { readTable } from "./data/read-table.ts";
export type { Cell, Table } from "./data/table.ts";
export { initBackend } from "./model/backend.ts";
export { LoadedModel } from "./model/loaded-model.ts";
export { type TrainOutcome, registerModel, trainModel } from "./model/train-model.ts";
export { FileSystemStorage, ModelRegistry, type RegistryStorage, type VersionMetadata } from "./registry/index.ts";
export { type ModelServer, createModelServer } from "./serve/server.ts";
