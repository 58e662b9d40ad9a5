import { controllerPolicy, type ControllerPolicy } from "@pulumi-mlops/contract";
import { parseWith, readConfigFile } from "../validation.ts";

export {
  controllerPolicy,
  executorPolicy,
  gatePolicy,
  healthPolicy,
  leadershipPolicy,
  promotionPolicy,
  qualityDropTrigger,
  rolloutPolicy,
  trainingPolicy,
  triggerPolicy,
} from "@pulumi-mlops/contract";
export type { ControllerPolicy, ControllerPolicyInput, GatePolicy, HealthPolicy, TrainingPolicy, TriggerPolicy } from "@pulumi-mlops/contract";

/** Validates a policy object; every problem is reported at once with its path (MLOPS_ERR_CONFIG_INVALID). */
export function parsePolicy(value: unknown, source = "controller policy"): ControllerPolicy {
  return Object.freeze(parseWith(controllerPolicy, value, source));
}

/** Reads and validates a policy file (JSON by extension, YAML otherwise). */
export async function loadPolicy(file: string): Promise<ControllerPolicy> {
  return Object.freeze(await readConfigFile(controllerPolicy, file));
}

/** The longest a canary step may wait for minRequestsPerStep, in seconds. */
export function maxStepSeconds(policy: ControllerPolicy): number {
  return policy.rollout.maxStepSeconds ?? Math.max(600, 10 * policy.rollout.dwellSeconds);
}
