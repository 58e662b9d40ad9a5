import type { PolicyViolation } from "./evaluate-policies.ts";

/** Violations as text, one per line (`[policy] message`), for assertion messages and CLI output; "no policy violations" when empty. */
export function formatViolations(violations: readonly PolicyViolation[]): string {
  if (violations.length === 0) return "no policy violations";
  return violations.map((v) => `[${v.policy}] ${v.message}`).join("\n");
}
