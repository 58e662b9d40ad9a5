export { CLOUDS, type PlatformConfig, platformConfig } from "./platform-config.ts";
