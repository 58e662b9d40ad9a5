import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { type ChartSummary, type KubernetesManifest, helmCharts, kubernetesManifests } from "./manifests.ts";
import type { SynthResult } from "./synthesize.ts";

/** What {@link writeSynthOutput} wrote. */
export interface SynthOutput {
  /** `<dir>/resources.json`. */
  resourcesFile: string;
  manifests: KubernetesManifest[];
  charts: ChartSummary[];
  /** Resource count per type token, sorted by type. */
  counts: [string, number][];
}

/**
 * Writes `<dir>/resources.json` (the resources, `{type, name, parent, inputs}` each) and
 * `<dir>/manifests/<kind>-<name>.yaml` per Kubernetes object; a previous manifests/ is replaced.
 */
export async function writeSynthOutput(result: SynthResult, dir: string): Promise<SynthOutput> {
  const manifests = kubernetesManifests(result.resources, result.custom);
  const manifestDir = path.join(dir, "manifests");
  await rm(manifestDir, { recursive: true, force: true });
  await mkdir(manifestDir, { recursive: true });
  const resourcesFile = path.join(dir, "resources.json");
  await writeFile(resourcesFile, `${JSON.stringify(result.resources, null, 2)}\n`);
  for (const m of manifests) await writeFile(path.join(manifestDir, m.file), stringify(m.object, { aliasDuplicateObjects: false }));
  const counts = new Map<string, number>();
  for (const r of result.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return { resourcesFile, manifests, charts: helmCharts(result.resources), counts: [...counts].sort(([a], [b]) => a.localeCompare(b)) };
}
