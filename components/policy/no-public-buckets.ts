import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { isPublicAllow, policyStatements } from "./bucket-policy-document.ts";
import { arrayAt, isUnset, plainAt, propertyAt, UNKNOWN } from "./resource-property.ts";
import { referencedBy } from "./resource-references.ts";
import { S3_ACL_TYPES, S3_BUCKET_TYPES, TYPES } from "./resource-types.ts";
import { resourceLabel, violationMessage } from "./violation-message.ts";

/** The four S3 Block Public Access settings; all must be true. */
export const PUBLIC_ACCESS_BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
/** Canned S3 ACLs that open a bucket to everyone (or every AWS account). */
export const PUBLIC_CANNED_ACLS: readonly string[] = ["public-read", "public-read-write", "authenticated-read"];
/** GCP IAM members meaning "anyone". */
export const PUBLIC_GCP_MEMBERS: readonly string[] = ["allUsers", "allAuthenticatedUsers"];

const PUBLIC_GRANTEE = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)$/;

/**
 * `no-public-buckets`: no object store of the platform is readable from the internet.
 *
 * - S3: every bucket is covered by a BucketPublicAccessBlock (or an AccountPublicAccessBlock)
 *   with all four flags true; no public canned ACL or AllUsers/AuthenticatedUsers grant (on the
 *   bucket or a BucketAcl); no bucket policy statement allowing Principal "*" without a condition.
 * - GCS: `publicAccessPrevention: "enforced"` and `uniformBucketLevelAccess: true`; no IAM
 *   member, binding or policy granting allUsers/allAuthenticatedUsers.
 * - Azure: StorageAccount `allowBlobPublicAccess: false`; BlobContainer `publicAccess` "None" or unset.
 *
 * A stack policy because the access block is a resource of its own that must point at the bucket.
 */
export const noPublicBuckets: StackValidationPolicy = {
  name: "no-public-buckets",
  description: "Object-store buckets must not be publicly readable: S3 public access blocked, GCS public access prevention enforced, Azure blob public access disabled.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, reportViolation) => checkNoPublicBuckets(args.resources, reportViolation),
};

function checkNoPublicBuckets(resources: readonly PolicyResource[], report: ReportViolation): void {
  const buckets = resources.filter((r) => S3_BUCKET_TYPES.includes(r.type));
  const blocks = resources.filter((r) => r.type === TYPES.s3PublicAccessBlock);
  const accountBlocked = resources.some((r) => r.type === TYPES.s3AccountPublicAccessBlock && PUBLIC_ACCESS_BLOCK_FLAGS.every((f) => propertyAt(r.props, [f]) === true));
  const coveredBy = new Map<string, PolicyResource[]>();
  for (const block of blocks) {
    for (const bucket of referencedBy(block, "bucket", buckets)) coveredBy.set(bucket.urn, [...(coveredBy.get(bucket.urn) ?? []), block]);
  }

  for (const r of resources) {
    const flag = (path: (string | number)[], value: unknown, rule: string) => report(violationMessage(r, path, value, rule), r.urn);
    if (S3_BUCKET_TYPES.includes(r.type)) {
      checkS3Acl(r, flag);
      checkS3Policy(r, ["policy"], flag);
      if (!accountBlocked && !coveredBy.has(r.urn)) {
        report(`${resourceLabel(r.type, r.name)}: no ${TYPES.s3PublicAccessBlock} refers to it; add one with ${PUBLIC_ACCESS_BLOCK_FLAGS.join(", ")} all true`, r.urn);
      }
    } else if (r.type === TYPES.s3PublicAccessBlock || r.type === TYPES.s3AccountPublicAccessBlock) {
      for (const f of PUBLIC_ACCESS_BLOCK_FLAGS) {
        const v = propertyAt(r.props, [f]);
        if (v !== true && v !== UNKNOWN) flag([f], v, "all four public access block flags must be true");
      }
    } else if (S3_ACL_TYPES.includes(r.type)) {
      checkS3Acl(r, flag);
    } else if (r.type === TYPES.s3BucketPolicy) {
      checkS3Policy(r, ["policy"], flag);
    } else if (r.type === TYPES.gcsBucket) {
      const pap = propertyAt(r.props, ["publicAccessPrevention"]);
      if (pap !== "enforced" && pap !== UNKNOWN) flag(["publicAccessPrevention"], pap, 'GCS buckets must set publicAccessPrevention "enforced"');
      const ubla = propertyAt(r.props, ["uniformBucketLevelAccess"]);
      if (ubla !== true && ubla !== UNKNOWN) flag(["uniformBucketLevelAccess"], ubla, "GCS buckets must use uniform bucket-level access (no object ACLs)");
    } else if (r.type === TYPES.gcsBucketIamMember) {
      const member = propertyAt(r.props, ["member"]);
      if (typeof member === "string" && PUBLIC_GCP_MEMBERS.includes(member)) flag(["member"], member, "bucket IAM must not grant access to the public");
    } else if (r.type === TYPES.gcsBucketIamBinding) {
      const members = arrayAt(r.props, ["members"]);
      if (members !== UNKNOWN) {
        members.forEach((m, i) => {
          if (typeof m === "string" && PUBLIC_GCP_MEMBERS.includes(m)) flag(["members", i], m, "bucket IAM must not grant access to the public");
        });
      }
    } else if (r.type === TYPES.gcsBucketIamPolicy) {
      checkGcpPolicyData(r, flag);
    } else if (r.type === TYPES.azureStorageAccount) {
      const v = propertyAt(r.props, ["allowBlobPublicAccess"]);
      if (v !== false && v !== UNKNOWN) flag(["allowBlobPublicAccess"], v, "storage accounts must set allowBlobPublicAccess false");
    } else if (r.type === TYPES.azureBlobContainer) {
      const v = propertyAt(r.props, ["publicAccess"]);
      if (!isUnset(v) && v !== "None" && v !== UNKNOWN) flag(["publicAccess"], v, 'blob containers must have publicAccess "None"');
    }
  }
}

type Flag = (path: (string | number)[], value: unknown, rule: string) => void;

function checkS3Acl(r: PolicyResource, flag: Flag): void {
  const acl = propertyAt(r.props, ["acl"]);
  if (typeof acl === "string" && PUBLIC_CANNED_ACLS.includes(acl)) flag(["acl"], acl, "S3 ACLs must not grant access to everyone");
  const grantLists: [string[], string[]][] = [
    [["grants"], ["uri"]],
    [["accessControlPolicy", "grants"], ["grantee", "uri"]],
  ];
  for (const [listPath, uriPath] of grantLists) {
    const grants = arrayAt(r.props, listPath);
    if (grants === UNKNOWN) continue;
    grants.forEach((g, i) => {
      const uri = propertyAt(g, uriPath);
      if (typeof uri === "string" && PUBLIC_GRANTEE.test(uri)) flag([...listPath, i, ...uriPath], uri, "S3 ACLs must not grant access to everyone");
    });
  }
}

function checkS3Policy(r: PolicyResource, path: string[], flag: Flag): void {
  const statements = policyStatements(plainAt(r.props, path));
  if (statements === UNKNOWN) return;
  statements.forEach((s, i) => {
    if (isPublicAllow(s)) flag([...path, "Statement", i], s.Sid ?? s.Principal, 'bucket policies must not Allow Principal "*" without a Condition');
  });
}

function checkGcpPolicyData(r: PolicyResource, flag: Flag): void {
  const data = plainAt(r.props, ["policyData"]);
  if (typeof data !== "string") return;
  let bindings: unknown;
  try {
    bindings = (JSON.parse(data) as { bindings?: unknown }).bindings;
  } catch {
    return;
  }
  if (!Array.isArray(bindings)) return;
  bindings.forEach((b: { members?: unknown }, i) => {
    const members = Array.isArray(b?.members) ? (b.members as unknown[]) : [];
    for (const m of members) if (typeof m === "string" && PUBLIC_GCP_MEMBERS.includes(m)) flag(["policyData", "bindings", i, "members"], m, "bucket IAM must not grant access to the public");
  });
}
