/** An object read from a {@link RegistryStorage}: its bytes and the etag a conditional write can compare against. */
export interface StoredObject {
  /** The object's bytes. */
  data: Buffer;
  /** Opaque version tag of these bytes; changes whenever the content changes. */
  etag: string;
}

/**
 * Condition for {@link RegistryStorage.put}, mirroring object-store conditional writes
 * (S3 `If-None-Match`/`If-Match`, GCS `ifGenerationMatch`, Azure Blob `If-None-Match`/`If-Match`).
 * Give at most one field. Default: no condition (last writer wins).
 */
export interface PutCondition {
  /** `"*"`: create only; fails when the key exists. */
  ifNoneMatch?: "*";
  /** Compare-and-swap: write only when the key exists with this etag. */
  ifMatch?: string;
}

/**
 * Where the model registry keeps its objects. Shaped like an object store so S3, GCS and Azure
 * Blob backends can implement it with their native conditional writes. Keys are '/'-separated
 * relative paths (see {@link assertValidKey}).
 */
export interface RegistryStorage {
  /** Location of the store as a URL, e.g. `file:///abs/path`. */
  readonly url: string;
  /** Reads an object; `undefined` when it does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Writes an object atomically (readers see the old or the new bytes, never a mix) and returns
   * its new etag. Throws {@link PreconditionFailedError} when `condition` does not hold.
   */
  put(key: string, data: Buffer | string, condition?: PutCondition): Promise<string>;
  /** Every key starting with `prefix` (string prefix, recursive), sorted by code unit. */
  list(prefix: string): Promise<string[]>;
  /** Deletes an object; no error when it does not exist. */
  delete(key: string): Promise<void>;
}

/** Thrown by {@link RegistryStorage.put} when its {@link PutCondition} does not hold. */
export class PreconditionFailedError extends Error {
  /** The key whose condition failed. */
  readonly key: string;
  /** The condition that failed. */
  readonly condition: PutCondition;
  constructor(key: string, condition: PutCondition) {
    super(`precondition failed for ${key}: ${JSON.stringify(condition)}`);
    this.name = "PreconditionFailedError";
    this.key = key;
    this.condition = condition;
  }
}

/**
 * Throws a plain Error (a programming error, not a user's) unless `key` is a well-formed storage
 * key: non-empty '/'-separated segments, no leading '/', no '.' or '..' segments, no backslashes
 * or NUL characters.
 */
export function assertValidKey(key: string): void {
  const bad = (reason: string): never => {
    throw new Error(`invalid storage key ${JSON.stringify(key)}: ${reason}`);
  };
  if (key.length === 0) bad("it is empty");
  if (key.startsWith("/")) bad("it starts with '/'");
  if (key.includes("\\")) bad("it contains a backslash");
  if (key.includes("\0")) bad("it contains a NUL character");
  for (const segment of key.split("/")) {
    if (segment === "") bad("it has an empty segment");
    if (segment === "." || segment === "..") bad(`it has a '${segment}' segment`);
  }
}

/** Throws a plain Error when a condition is malformed: both fields given, or ifNoneMatch other than "*". */
export function assertValidCondition(condition: PutCondition | undefined): void {
  if (condition === undefined) return;
  if (condition.ifNoneMatch !== undefined && condition.ifMatch !== undefined) {
    throw new Error("a put condition takes ifNoneMatch or ifMatch, not both");
  }
  if (condition.ifNoneMatch !== undefined && condition.ifNoneMatch !== "*") {
    throw new Error(`ifNoneMatch must be "*", got ${JSON.stringify(condition.ifNoneMatch)}`);
  }
}
