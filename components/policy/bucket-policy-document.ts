import { UNKNOWN } from "./resource-property.ts";

/** One statement of an IAM policy document (the fields the rules read). */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The statements of an S3 bucket policy given as a JSON string or a plain policy-document object
 * (read it with `plainAt`); empty when it is missing or not valid JSON, {@link UNKNOWN} when it is
 * not known yet.
 */
export function policyStatements(policy: unknown): PolicyStatement[] | typeof UNKNOWN {
  if (policy === UNKNOWN) return UNKNOWN;
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return [];
    }
  }
  if (doc === null || typeof doc !== "object") return [];
  const statement = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statement) ? statement : statement ? [statement] : [];
  return list.filter((s): s is PolicyStatement => s !== null && typeof s === "object");
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Whether a statement's principal is everyone (`"*"` or `{"AWS": "*"}`). */
export function isAnyonePrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal === null || typeof principal !== "object") return false;
  return asList((principal as Record<string, unknown>).AWS).includes("*");
}

/** Whether a statement lets anyone in with no condition narrowing it: a public bucket policy. */
export function isPublicAllow(s: PolicyStatement): boolean {
  return s.Effect === "Allow" && isAnyonePrincipal(s.Principal) && (s.Condition === undefined || Object.keys(s.Condition).length === 0);
}

/** Whether a statement denies requests not sent over TLS (`Bool: {"aws:SecureTransport": "false"}`). */
export function deniesInsecureTransport(s: PolicyStatement): boolean {
  if (s.Effect !== "Deny") return false;
  const bool = s.Condition?.Bool ?? s.Condition?.BoolIfExists;
  if (!bool) return false;
  return asList(bool["aws:SecureTransport"]).some((v) => v === false || v === "false");
}
