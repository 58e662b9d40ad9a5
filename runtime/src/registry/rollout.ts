import { z } from "zod";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { registryLayout as keys } from "./registry-layout.ts";
import { assertModelName } from "./registry-names.ts";

/**
 * How servers split a model's unlabelled traffic: all to the champion (`none`), a copy to the
 * challenger whose answers are discarded (`shadow`), or a share answered by the challenger
 * (`canary`, weight 0..1).
 */
export const rolloutSchema = z.object({
  mode: z.enum(["none", "shadow", "canary"]),
  challenger: z.number().int().positive().nullable(),
  weight: z.number().min(0).max(1),
  updatedAt: z.string(),
  reason: z.string(),
});

/** A model's traffic split. */
export type Rollout = z.output<typeof rolloutSchema>;

/** The split when none was ever written: everything to the champion. */
export const NO_ROLLOUT: Rollout = { mode: "none", challenger: null, weight: 0, updatedAt: new Date(0).toISOString(), reason: "" };

/** Reads a model's traffic split and its etag (for compare-and-swap). */
export async function readRollout(registry: ModelRegistry, model: string): Promise<{ rollout: Rollout; etag: string | undefined }> {
  assertModelName(model);
  const key = keys.rollout(model);
  const object = await registry.storage.get(key);
  if (!object) return { rollout: NO_ROLLOUT, etag: undefined };
  let json: unknown;
  try {
    json = JSON.parse(object.data.toString("utf8"));
  } catch (err) {
    throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: (err as Error).message });
  }
  const parsed = rolloutSchema.safeParse(json);
  if (!parsed.success) throw mlopsError("MLOPS_ERR_REGISTRY_CORRUPT", { key, reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
  return { rollout: parsed.data, etag: object.etag };
}

/** Writes a model's traffic split atomically (each put replaces the whole object). */
export async function writeRollout(registry: ModelRegistry, model: string, rollout: Omit<Rollout, "updatedAt">, now: Date = new Date()): Promise<Rollout> {
  assertModelName(model);
  // An experiment and a canary/shadow must never both route the model.
  if (rollout.mode !== "none" && (await registry.storage.get(keys.activeExperiment(model))) !== undefined) {
    throw mlopsError("MLOPS_ERR_EXPERIMENT_CONFLICT", { model, reason: `cannot start a ${rollout.mode} rollout while an experiment routes its traffic` });
  }
  const full: Rollout = { ...rollout, updatedAt: now.toISOString() };
  rolloutSchema.parse(full);
  await registry.storage.put(keys.rollout(model), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}
