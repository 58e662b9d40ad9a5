import { awsCloud } from "../aws/cloud.ts";
import { azureCloud } from "../azure/cloud.ts";
import { gcpCloud } from "../gcp/cloud.ts";

/**
 * The clouds a platform deploys onto, by the name `cloud:` takes. Adding a cloud is its folder
 * under components/ (options, cluster, a `cloud.ts` CloudModule) and its line here; the config
 * schema, profiles and MlopsPlatform read this table.
 */
export const CLOUD_MODULES = Object.freeze({ aws: awsCloud, gcp: gcpCloud, azure: azureCloud });

/** A cloud of {@link CLOUD_MODULES}. */
export type CloudName = keyof typeof CLOUD_MODULES;

/** The names in {@link CLOUD_MODULES}. */
export const CLOUD_NAMES = Object.keys(CLOUD_MODULES) as CloudName[];

/** True when `cloud` names a cloud of {@link CLOUD_MODULES} (not `existing`). */
export const isCloudName = (cloud: unknown): cloud is CloudName => typeof cloud === "string" && Object.hasOwn(CLOUD_MODULES, cloud);
