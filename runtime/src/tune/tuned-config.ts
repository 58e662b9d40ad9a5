import type { NetworkConfig, NumericalBins } from "../data/model-config.ts";
import { mlopsError } from "../errors.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import type { VersionMetadata } from "../registry/version-metadata.ts";
import { applyParams } from "./search-space.ts";
import { listSearches, readSearch } from "./tuning-records.ts";

/** A config with a tuned network, and where the network came from. */
export interface TunedConfig {
  config: Record<string, unknown>;
  /** The search and trial whose network it is, and the version that carried it (absent when taken from the search itself). */
  from: { searchId: string; trial: number; version?: number };
}

/**
 * `version`'s config with the network (and numericalBins) of its tuning lineage: the version's
 * own `tuning` (its config is the tuned one), else the nearest ancestor's (its network and bins
 * over this version's features), else the best trial of the model's latest search that has one (its point applied to
 * this config, epochs at the search's last rung). Throws MLOPS_ERR_TUNE_NO_TUNED_CONFIG when none.
 */
export async function tunedConfig(registry: ModelRegistry, version: VersionMetadata): Promise<TunedConfig> {
  const own = version.config as Record<string, unknown> & { network: NetworkConfig };
  for (let v: VersionMetadata | undefined = version, hops = 0; v !== undefined && hops < 1000; hops++) {
    if (v.tuning) {
      const { network, numericalBins } = v.config as { network?: NetworkConfig; numericalBins?: NumericalBins };
      const tuned = { ...(network ? { network: { ...network, seed: own.network?.seed ?? network.seed } } : {}), ...(numericalBins === undefined ? {} : { numericalBins }) };
      return { config: { ...own, ...tuned }, from: { searchId: v.tuning.searchId, trial: v.tuning.trial, version: v.version } };
    }
    v = v.parent === null ? undefined : await registry.getVersion(version.model, v.parent).catch(() => undefined);
  }
  for (const id of (await listSearches(registry, version.model)).reverse()) {
    const search = await readSearch(registry, version.model, id).catch(() => undefined);
    if (!search?.best) continue;
    return { config: applyParams(own, search.best.params, search.pruning.rungs.at(-1)), from: { searchId: id, trial: search.best.trial } };
  }
  throw mlopsError("MLOPS_ERR_TUNE_NO_TUNED_CONFIG", { model: version.model, version: version.version });
}
