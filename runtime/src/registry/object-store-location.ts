import { describeError, type MlopsError, mlopsError } from "../errors.ts";
import { isReservedFileName } from "./reserved-file-names.ts";
import { assertValidKey, type PutCondition, PreconditionFailedError } from "./storage.ts";

/** The object-store URL schemes the registry understands. */
export type ObjectStoreScheme = "s3" | "gs" | "az";

/**
 * A registry location in an object store, parsed from `s3://bucket/prefix`, `gs://bucket/prefix`
 * or `az://account/container/prefix`.
 */
export interface ObjectStoreLocation {
  /** URL scheme. */
  scheme: ObjectStoreScheme;
  /** The URL in normal form: no trailing slash, no empty segments. */
  url: string;
  /** Azure storage account (az:// only). */
  account?: string;
  /** S3 or GCS bucket, or Azure container. */
  bucket: string;
  /** Object-name prefix every key is stored under: `""` or `"a/b/"` (always ends with '/'). */
  prefix: string;
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const AZURE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const AZURE_CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Parses an object-store registry URL. Throws MLOPS_ERR_CONFIG_INVALID naming the location and
 * every problem: a missing or malformed bucket, account or container, or a prefix with empty,
 * `.` or `..` segments.
 */
export function parseObjectStoreUrl(location: string): ObjectStoreLocation {
  const issues: string[] = [];
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^?#]*)$/.exec(location);
  const scheme = match?.[1]?.toLowerCase();
  if (match === undefined || match === null || (scheme !== "s3" && scheme !== "gs" && scheme !== "az")) {
    throw invalid(location, ["expected s3://<bucket>[/<prefix>], gs://<bucket>[/<prefix>] or az://<account>/<container>[/<prefix>] (no query or fragment)"]);
  }
  const rest = match[2] ?? "";
  const segments = rest.replace(/\/+$/, "").split("/");
  let account: string | undefined;
  if (scheme === "az") {
    account = segments.shift() ?? "";
    if (account === "") issues.push("the storage account name is missing: use az://<account>/<container>[/<prefix>]");
    else if (!AZURE_ACCOUNT.test(account)) issues.push(`storage account name ${JSON.stringify(account)} must be 3-24 lowercase letters and digits`);
  }
  const bucket = segments.shift() ?? "";
  const noun = scheme === "az" ? "container" : "bucket";
  if (bucket === "") {
    issues.push(`the ${noun} name is missing: use ${scheme === "az" ? "az://<account>/<container>" : `${scheme}://<bucket>`}[/<prefix>]`);
  } else if (scheme === "az" && !AZURE_CONTAINER.test(bucket)) {
    issues.push(`container name ${JSON.stringify(bucket)} must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit`);
  } else if (scheme === "s3" && !S3_BUCKET.test(bucket)) {
    issues.push(`bucket name ${JSON.stringify(bucket)} must be 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit`);
  } else if (scheme === "gs" && !GCS_BUCKET.test(bucket)) {
    issues.push(`bucket name ${JSON.stringify(bucket)} must be 3-63 lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit`);
  }
  for (const segment of segments) {
    if (segment === "") issues.push("the prefix has an empty segment ('//')");
    else if (segment === "." || segment === "..") issues.push(`the prefix has a '${segment}' segment`);
    else if (segment.includes("\\")) issues.push("the prefix contains a backslash");
    else if (isReservedFileName(segment)) issues.push(`the prefix segment ${JSON.stringify(segment)} is reserved`);
  }
  if (issues.length > 0) throw invalid(location, [...new Set(issues)]);
  const prefix = segments.length === 0 ? "" : `${segments.join("/")}/`;
  const url = [`${scheme}:/`, ...(account === undefined ? [] : [account]), bucket, ...segments].join("/");
  return { scheme, url, ...(account === undefined ? {} : { account }), bucket, prefix };
}

const invalid = (location: string, issues: string[]): MlopsError =>
  mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "registry location", issues: issues.map((issue) => `${location}: ${issue}`) });

/**
 * The object name of `key` under `prefix`. Throws a plain Error for a malformed key, with the same
 * rules as the filesystem storage (reserved `.tmp-`/`.lock-` segments included), so a key valid on
 * one backend is valid on all.
 */
export function objectName(prefix: string, key: string): string {
  assertValidKey(key);
  const reserved = key.split("/").find(isReservedFileName);
  if (reserved !== undefined) throw new Error(`invalid storage key ${JSON.stringify(key)}: segment ${JSON.stringify(reserved)} is reserved`);
  return prefix + key;
}

/** Throws a plain Error for a list prefix the filesystem storage would reject too. */
export function assertValidListPrefix(prefix: string): void {
  if (prefix.startsWith("/") || prefix.includes("\\") || prefix.split("/").some((s) => s === "..")) {
    throw new Error(`invalid storage key prefix ${JSON.stringify(prefix)}`);
  }
}

/**
 * Turns listed object names into registry keys: strips `prefix`, drops what the filesystem storage
 * could not hold as a file (folder markers ending in '/', empty or '.'/'..' segments, reserved
 * names), and sorts by code unit.
 */
export function keysFromObjectNames(prefix: string, names: Iterable<string>): string[] {
  const keys: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    try {
      assertValidKey(key);
    } catch {
      continue;
    }
    if (key.split("/").some(isReservedFileName)) continue;
    keys.push(key);
  }
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE for a failed store call, with the SDK's message. */
export const storageUnavailable = (url: string, operation: string, key: string, err: unknown): MlopsError =>
  mlopsError("MLOPS_ERR_REGISTRY_STORAGE_UNAVAILABLE", { url, operation, key, reason: describeError(err) }, { cause: err });

/** Metadata field every put tags its object with, so a writer can recognise its own write after an ambiguous retry. */
export const WRITE_ID_METADATA = "mlopswriteid";

/**
 * The outcome of a conditional put the store refused. An SDK that retried the request after a
 * lost response may find its own earlier, successful attempt in place: `readOwn` reads the
 * object's write id and etag, and when the id is this writer's the write succeeded with that
 * etag. Otherwise (or when the object cannot be read) the condition failed.
 */
export async function settleRefusedPut(key: string, condition: PutCondition, writeId: string, readOwn: () => Promise<{ writeId?: string; etag?: string }>): Promise<string> {
  try {
    const own = await readOwn();
    if (own.writeId === writeId && own.etag !== undefined) return own.etag;
  } catch {
    // Not ours, or unreadable: the condition failed either way.
  }
  throw new PreconditionFailedError(key, condition);
}

/** Default of `MLOPS_STORAGE_TIMEOUT_SECONDS`: how long one store call may wait for an answer. */
export const DEFAULT_STORAGE_TIMEOUT_SECONDS = 60;

/**
 * Seconds one object-store call may take before it fails with MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT:
 * `MLOPS_STORAGE_TIMEOUT_SECONDS` (a positive number) or {@link DEFAULT_STORAGE_TIMEOUT_SECONDS}.
 * Throws MLOPS_ERR_CONFIG_INVALID naming the variable when it is set to anything else.
 */
export function storageTimeoutSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.MLOPS_STORAGE_TIMEOUT_SECONDS;
  if (raw === undefined || raw === "") return DEFAULT_STORAGE_TIMEOUT_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "environment", issues: [`MLOPS_STORAGE_TIMEOUT_SECONDS must be a positive number of seconds, got ${JSON.stringify(raw)}`] });
  }
  return seconds;
}

/**
 * Runs one store call under a deadline: `call` gets an AbortSignal to hand to the SDK, which
 * aborts at `seconds` (plus one second per MiB of `bodyBytes`, so a large upload on a slow link is
 * not cut short), and the call fails with MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT naming the store, the
 * operation and the key. A store that accepts connections and never answers (a broken proxy, a
 * hung endpoint) therefore fails the command instead of hanging it. The SDK's own retries happen
 * inside the deadline.
 */
export async function withDeadline<T>(
  where: { url: string; operation: string; key: string; seconds: number; bodyBytes?: number },
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const seconds = where.seconds + (where.bodyBytes ?? 0) / (1024 * 1024);
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${seconds} s`));
      reject(mlopsError("MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT", { url: where.url, operation: where.operation, key: where.key, seconds: Math.round(seconds * 10) / 10 }));
    }, seconds * 1000);
  });
  try {
    // The race covers SDKs that ignore the signal for part of their work (credential lookups).
    return await Promise.race([call(controller.signal), deadline]);
  } catch (err) {
    if (timedOut) throw mlopsError("MLOPS_ERR_REGISTRY_STORAGE_TIMEOUT", { url: where.url, operation: where.operation, key: where.key, seconds: Math.round(seconds * 10) / 10 }, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
