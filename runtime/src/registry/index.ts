export { AzureBlobStorage, type AzureBlobStorageOptions } from "./azure-blob-storage.ts";
export { type FeedbackRow, feedbackKey, feedbackRowSchema, parseFeedbackObject, readFeedback, type ReadFeedbackOptions, type UnreadableFeedback, writeFeedback, writeFeedbackLines } from "./feedback-store.ts";
export { FileSystemStorage, type FileSystemStorageOptions } from "./file-system-storage.ts";
export { GcsStorage, type GcsStorageOptions } from "./gcs-storage.ts";
export { type ChainFinding, type HistoryVerification, verifyHistory } from "./history-chain.ts";
export { appendEvent, canonicalJson, eventHash, linkTo, listEvents, type ModelEvent, type ModelEventType, type NewModelEvent, type UnreadableEvent } from "./model-history.ts";
export { DEFAULT_REGISTRY_LOCATION, ModelRegistry, type ModelRegistryOptions } from "./model-registry.ts";
export { type FeatureDriftSnapshot, type MonitorSnapshot, readMonitorSnapshots, writeMonitorSnapshot } from "./monitor-snapshot.ts";
export { type ObjectStoreLocation, type ObjectStoreScheme, parseObjectStoreUrl } from "./object-store-location.ts";
export { openRegistryStorage } from "./open-registry-storage.ts";
export { NO_ROLLOUT, type Rollout, readRollout, rolloutSchema, writeRollout } from "./rollout.ts";
export { S3Storage, type S3StorageOptions } from "./s3-storage.ts";
export { PreconditionFailedError, type PutCondition, type RegistryStorage, type StoredObject } from "./storage.ts";
export type { DatasetLineage, NewVersion, TuningLineage, VersionFile, VersionMetadata } from "./version-metadata.ts";
export { type AcquiredHow, type AcquireResult, LeaderLease, type LeaderLeaseOptions, type LeaseRecord } from "./leader-lease.ts";
export { quarantine, type QuarantineRecord } from "./quarantine.ts";
export { collectGarbage, DEFAULT_GC_AGE_MS, type GarbageOptions, type GarbageReport } from "./registry-gc.ts";
export {
  assignVariant,
  DEFAULT_EXPERIMENT_HEADER,
  type Experiment,
  experimentBucket,
  type ExperimentKey,
  experimentSchema,
  isRouting,
  listExperiments,
  newExperimentId,
  readActiveExperiment,
  readExperiment,
  readExperimentTraffic,
  type VariantTraffic,
  writeExperiment,
  writeExperimentTraffic,
} from "./experiment.ts";
