export { basePlatformConfig, CLOUDS, type PlatformConfig, type PlatformConfigInput, platformConfig } from "./platform-config.ts";
export { MlopsPlatform, type MlopsPlatformArgs } from "./mlops-platform.ts";
export { applyProfile, PROFILE_DEFAULTS, PROFILES, type Profile } from "./profiles.ts";
