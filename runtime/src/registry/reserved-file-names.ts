import { randomBytes } from "node:crypto";

/** Name prefix of the temporary files {@link FileSystemStorage} writes before renaming them into place. */
export const TEMP_PREFIX = ".tmp-";

/** Name prefix of the per-key lock files {@link FileSystemStorage} takes for compare-and-swap. */
export const LOCK_PREFIX = ".lock-";

/** A fresh temporary file name, `.tmp-<pid>-<random>`, unique across processes. */
export const tempFileName = (): string => `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString("hex")}`;

/** True for file names the filesystem storage uses internally (never listed, never valid in a key). */
export const isReservedFileName = (name: string): boolean => name.startsWith(TEMP_PREFIX) || name.startsWith(LOCK_PREFIX);
