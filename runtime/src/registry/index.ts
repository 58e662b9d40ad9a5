export { FileSystemStorage, type FileSystemStorageOptions } from "./file-system-storage.ts";
export { type FeedbackRow, readFeedback, writeFeedback } from "./feedback-store.ts";
export { appendEvent, listEvents, type ModelEvent, type ModelEventType, type NewModelEvent } from "./model-history.ts";
export { DEFAULT_REGISTRY_LOCATION, ModelRegistry, type ModelRegistryOptions } from "./model-registry.ts";
export { type FeatureDriftSnapshot, type MonitorSnapshot, readMonitorSnapshots, writeMonitorSnapshot } from "./monitor-snapshot.ts";
export { NO_ROLLOUT, type Rollout, readRollout, rolloutSchema, writeRollout } from "./rollout.ts";
export { PreconditionFailedError, type PutCondition, type RegistryStorage, type StoredObject } from "./storage.ts";
export type { DatasetLineage, NewVersion, VersionFile, VersionMetadata } from "./version-metadata.ts";
