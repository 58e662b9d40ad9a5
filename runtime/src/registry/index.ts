export { FileSystemStorage, type FileSystemStorageOptions } from "./file-system-storage.ts";
export { DEFAULT_REGISTRY_LOCATION, ModelRegistry, type ModelRegistryOptions } from "./model-registry.ts";
export { PreconditionFailedError, type PutCondition, type RegistryStorage, type StoredObject } from "./storage.ts";
export type { DatasetLineage, NewVersion, VersionFile, VersionMetadata } from "./version-metadata.ts";
