import { mlopsError } from "../errors.ts";

/** Model, alias and artifact-file names: safe as object-store keys and URL path segments. */
export const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Name of the manifest in a version's folder; no artifact may take it. */
export const MANIFEST_FILE = "version.json";

/** True when `value` is a valid model name. */
export const isModelName = (value: string): boolean => REGISTRY_NAME.test(value);

/** Throws MLOPS_ERR_REGISTRY_NAME unless `model` matches {@link REGISTRY_NAME}. */
export function assertModelName(model: string): void {
  if (typeof model !== "string" || !REGISTRY_NAME.test(model)) throw mlopsError("MLOPS_ERR_REGISTRY_NAME", { kind: "model", value: String(model) });
}

/**
 * Throws MLOPS_ERR_REGISTRY_NAME unless `alias` matches {@link REGISTRY_NAME} and is not all
 * digits (a numeric reference always means a version number).
 */
export function assertAliasName(alias: string): void {
  if (typeof alias !== "string" || !REGISTRY_NAME.test(alias)) throw mlopsError("MLOPS_ERR_REGISTRY_NAME", { kind: "alias", value: String(alias) });
  if (/^[0-9]+$/.test(alias)) throw mlopsError("MLOPS_ERR_REGISTRY_NAME", { kind: "alias", value: alias, reason: "an alias cannot be all digits; those are version numbers" });
}

/**
 * Throws MLOPS_ERR_REGISTRY_NAME unless `file` is one or more '/'-separated segments each matching
 * {@link REGISTRY_NAME}, and is not the manifest's name.
 */
export function assertFileName(file: string): void {
  if (typeof file !== "string" || !file.split("/").every((s) => REGISTRY_NAME.test(s))) {
    throw mlopsError("MLOPS_ERR_REGISTRY_NAME", { kind: "artifact file", value: String(file) });
  }
  if (file === MANIFEST_FILE) throw mlopsError("MLOPS_ERR_REGISTRY_NAME", { kind: "artifact file", value: file, reason: `${MANIFEST_FILE} is reserved for the version manifest` });
}
