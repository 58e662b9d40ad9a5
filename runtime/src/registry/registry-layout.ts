/**
 * Where the model registry keeps each object in its storage:
 * `models/<model>/versions/<n>/<file>` (artifacts), `models/<model>/versions/<n>/version.json`
 * (manifest, written last), `models/<model>/claims/<n>` (version-number claims) and
 * `models/<model>/aliases.json`; beside them the history, rollout, feedback, monitoring snapshots,
 * the controller's trigger count and lease, quarantined objects, and hyperparameter searches
 * (`models/<model>/tuning/<searchId>/search.json` and `trials/<n>.json`); content-addressed
 * dataset copies under `datasets/`.
 */
export const registryLayout = {
  /** Prefix of every model. */
  models: "models/",
  /** Prefix of one model. */
  model: (model: string): string => `models/${model}/`,
  /** Prefix of a model's version folders. */
  versions: (model: string): string => `models/${model}/versions/`,
  /** A version's manifest. */
  manifest: (model: string, version: number): string => `models/${model}/versions/${version}/version.json`,
  /** A version's artifact. */
  artifact: (model: string, version: number, file: string): string => `models/${model}/versions/${version}/${file}`,
  /** Prefix of a model's version-number claims. */
  claims: (model: string): string => `models/${model}/claims/`,
  /** The claim that reserves a version number. */
  claim: (model: string, version: number): string => `models/${model}/claims/${version}`,
  /** A model's alias table. */
  aliases: (model: string): string => `models/${model}/aliases.json`,
  /** Prefix of a model's decision history, one object per event. */
  events: (model: string): string => `models/${model}/events/`,
  /** One event, numbered so the history sorts by key. */
  event: (model: string, seq: number): string => `models/${model}/events/${String(seq).padStart(12, "0")}.json`,
  /** The champion/challenger traffic split the servers apply. */
  rollout: (model: string): string => `models/${model}/rollout.json`,
  /** Prefix of a model's A/B experiments: `<id>.json` per experiment, and `<id>/traffic/<instance>.json` per server. */
  experiments: (model: string): string => `models/${model}/experiments/`,
  /** One experiment's record (variants, key, budget, status, decision). */
  experiment: (model: string, id: string): string => `models/${model}/experiments/${id}.json`,
  /** Prefix of the per-server traffic counts (requests, errors, latency per variant) of one experiment. */
  experimentTraffic: (model: string, id: string): string => `models/${model}/experiments/${id}/traffic/`,
  /** The running experiment the servers route by (a copy of its record); absent when none runs. */
  activeExperiment: (model: string): string => `models/${model}/experiment.json`,
  /** Prefix of the labelled rows servers collected (one JSONL object per flush). */
  feedback: (model: string): string => `models/${model}/feedback/`,
  /** Prefix of the servers' monitoring snapshots of one version (one object per server instance). */
  monitor: (model: string, version: number): string => `models/${model}/monitor/${version}/`,
  /** Prefix of the content-addressed dataset copies (training snapshots, the controller's staged training tables). */
  datasets: "datasets/",
  /** A dataset copy, named by the sha256 of its bytes. */
  dataset: (sha256: string, extension: string): string => `datasets/sha256-${sha256}${extension}`,
  /** The retraining controller's consecutive-check count for the model's trigger. */
  controllerTrigger: (model: string): string => `models/${model}/controller/trigger.json`,
  /** The lease naming the one controller that acts for the model (see `LeaderLease`). */
  controllerLease: (model: string): string => `models/${model}/controller/lease.json`,
  /** Prefix of objects set aside because they could not be read (corrupt JSON, poison rows), with why. */
  quarantine: (model: string): string => `models/${model}/quarantine/`,
  /** Prefix of a model's hyperparameter searches (`mlops tune`). */
  tuning: (model: string): string => `models/${model}/tuning/`,
  /** A search's settings, progress and best trial. */
  tuningSearch: (model: string, searchId: string): string => `models/${model}/tuning/${searchId}/search.json`,
  /** Prefix of a search's trial records. */
  tuningTrials: (model: string, searchId: string): string => `models/${model}/tuning/${searchId}/trials/`,
  /** One trial's record: its point, every rung's fold metrics, time and status. */
  tuningTrial: (model: string, searchId: string, trial: number): string => `models/${model}/tuning/${searchId}/trials/${trial}.json`,
  /** The object a writability check overwrites (outside `models/`, so no reader ever looks at it). */
  writeProbe: "probes/write-check.json",
} as const;

/** Parses a canonical version number (`1`, `42`; not `0`, `01` or `1.5`); `undefined` otherwise. */
export function parseVersionNumber(segment: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(segment)) return undefined;
  return Number(segment);
}

/** True for a positive safe integer, the only valid version numbers. */
export const isVersionNumber = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
