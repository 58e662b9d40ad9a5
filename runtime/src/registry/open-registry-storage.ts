import path from "node:path";
import { fileURLToPath } from "node:url";
import { mlopsError } from "../errors.ts";
import { AzureBlobStorage } from "./azure-blob-storage.ts";
import { FileSystemStorage } from "./file-system-storage.ts";
import { GcsStorage } from "./gcs-storage.ts";
import { parseObjectStoreUrl } from "./object-store-location.ts";
import { S3Storage } from "./s3-storage.ts";
import type { RegistryStorage } from "./storage.ts";

/**
 * The {@link RegistryStorage} for a registry location: a directory path or `file://` URL
 * ({@link FileSystemStorage}), `s3://bucket[/prefix]` ({@link S3Storage}),
 * `gs://bucket[/prefix]` ({@link GcsStorage}) or `az://account/container[/prefix]`
 * ({@link AzureBlobStorage}). Throws MLOPS_ERR_CONFIG_INVALID naming the location and what is
 * wrong with it. Nothing is contacted (and no cloud SDK loaded) until the first operation.
 */
export function openRegistryStorage(location: string): RegistryStorage {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return new FileSystemStorage(path.resolve(location));
  if (scheme === "file") {
    let dir: string;
    try {
      dir = fileURLToPath(location);
    } catch (err) {
      throw mlopsError("MLOPS_ERR_CONFIG_INVALID", { source: "registry location", issues: [`${location}: ${(err as Error).message}`] });
    }
    return new FileSystemStorage(dir);
  }
  if (scheme !== "s3" && scheme !== "gs" && scheme !== "az") {
    throw mlopsError("MLOPS_ERR_CONFIG_INVALID", {
      source: "registry location",
      issues: [`${location}: ${scheme}:// is not a registry storage; use a directory path, file://, s3://, gs:// or az://`],
    });
  }
  const parsed = parseObjectStoreUrl(location);
  if (parsed.scheme === "s3") return new S3Storage(parsed);
  if (parsed.scheme === "gs") return new GcsStorage(parsed);
  return new AzureBlobStorage(parsed);
}
