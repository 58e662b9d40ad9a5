import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { deniesInsecureTransport, policyStatements } from "./bucket-policy-document.ts";
import { arrayAt, isUnset, plainAt, propertyAt, type PropertyPath, UNKNOWN } from "./resource-property.ts";
import { referencedBy } from "./resource-references.ts";
import { S3_BUCKET_TYPES, S3_ENCRYPTION_TYPES, TYPES } from "./resource-types.ts";
import { resourceLabel, violationMessage } from "./violation-message.ts";

/** Configuration of {@link storageEncrypted} (`--policy-pack-config`, key `storage-encrypted`). */
export interface StorageEncryptedConfig {
  /**
   * Require customer-managed keys (KMS / Cloud KMS / Key Vault) instead of provider-managed
   * encryption: S3 SSE-KMS with a key id, ECR KMS with a key, GCS `encryption.defaultKmsKeyName`,
   * Azure `keySource: Microsoft.Keyvault`. Off by default because every cloud already encrypts
   * these stores at rest with its own keys; customer keys are a compliance choice that brings key
   * rings, rotation and grants to the storage service agents. EKS secrets and GKE etcd always need a key.
   * @default false
   */
  requireCustomerManagedKeys?: boolean;
}

const S3_ALGORITHMS: readonly string[] = ["AES256", "aws:kms", "aws:kms:dsse"];
const S3_KMS_ALGORITHMS: readonly string[] = ["aws:kms", "aws:kms:dsse"];
const AZURE_TLS: readonly string[] = ["TLS1_2", "TLS1_3"];

/**
 * `storage-encrypted`: data at rest is encrypted and reached only over TLS.
 *
 * - S3: every bucket has default encryption (a BucketServerSideEncryptionConfiguration pointing
 *   at it, or the deprecated inline setting) and a bucket policy denying `aws:SecureTransport` false.
 * - ECR repositories set `encryptionConfigurations`; EKS clusters encrypt Kubernetes secrets with a
 *   KMS key (`encryptionConfig`); GKE clusters encrypt etcd (`databaseEncryption.state` ENCRYPTED).
 * - Azure storage accounts: HTTPS only, minimum TLS 1.2, blob encryption (or infrastructure encryption) on.
 * - With `requireCustomerManagedKeys`: customer-managed keys everywhere (see {@link StorageEncryptedConfig}).
 */
export const storageEncrypted: StackValidationPolicy = {
  name: "storage-encrypted",
  description: "Buckets, registries and cluster secrets must be encrypted at rest, and storage reachable only over TLS 1.2+.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      requireCustomerManagedKeys: { type: "boolean", default: false, description: "Require customer-managed keys (KMS, Cloud KMS, Key Vault) for every store." },
    },
  },
  validateStack: (args, reportViolation) => checkStorageEncrypted(args.resources, args.getConfig<StorageEncryptedConfig>().requireCustomerManagedKeys === true, reportViolation),
};

interface DefaultEncryption {
  holder: PolicyResource;
  path: PropertyPath;
  algorithm: unknown;
  kmsKey: unknown;
}

/** Every default-encryption setting (`applyServerSideEncryptionByDefault`) that applies to each S3 bucket, inline or from a separate resource. */
function s3DefaultEncryption(resources: readonly PolicyResource[], buckets: readonly PolicyResource[]): Map<string, DefaultEncryption[]> {
  const out = new Map<string, DefaultEncryption[]>(buckets.map((b) => [b.urn, []]));
  const add = (bucketUrn: string, holder: PolicyResource, path: PropertyPath, setting: unknown) =>
    out.get(bucketUrn)?.push({ holder, path, algorithm: propertyAt(setting, ["sseAlgorithm"]), kmsKey: propertyAt(setting, ["kmsMasterKeyId"]) });
  for (const b of buckets) {
    const inline = propertyAt(b.props, ["serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault"]);
    if (!isUnset(inline) && inline !== UNKNOWN) add(b.urn, b, ["serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault"], inline);
    const configs = arrayAt(b.props, ["serverSideEncryptionConfigurations"]);
    if (configs === UNKNOWN) continue;
    configs.forEach((c, i) => {
      const rules = arrayAt(c, ["rules"]);
      if (rules === UNKNOWN) return;
      rules.forEach((rule, j) => {
        const defaults = arrayAt(rule, ["applyServerSideEncryptionByDefaults"]);
        if (defaults === UNKNOWN) return;
        defaults.forEach((d, k) => add(b.urn, b, ["serverSideEncryptionConfigurations", i, "rules", j, "applyServerSideEncryptionByDefaults", k], d));
      });
    });
  }
  for (const r of resources.filter((x) => S3_ENCRYPTION_TYPES.includes(x.type))) {
    const rules = arrayAt(r.props, ["rules"]);
    const targets = referencedBy(r, "bucket", buckets);
    if (rules === UNKNOWN) {
      for (const t of targets) out.get(t.urn)?.push({ holder: r, path: ["rules"], algorithm: UNKNOWN, kmsKey: UNKNOWN });
      continue;
    }
    rules.forEach((rule, i) => {
      const setting = propertyAt(rule, ["applyServerSideEncryptionByDefault"]);
      if (isUnset(setting)) return;
      for (const t of targets) add(t.urn, r, ["rules", i, "applyServerSideEncryptionByDefault"], setting);
    });
  }
  return out;
}

/** Whether some bucket policy (inline or a BucketPolicy pointing at it) denies non-TLS requests; undefined when a policy is not known yet. */
function s3TlsEnforced(bucket: PolicyResource, policies: readonly PolicyResource[], buckets: readonly PolicyResource[]): boolean | undefined {
  const documents = [plainAt(bucket.props, ["policy"]), ...policies.filter((p) => referencedBy(p, "bucket", buckets).includes(bucket)).map((p) => plainAt(p.props, ["policy"]))];
  let unknown = false;
  for (const doc of documents) {
    const statements = policyStatements(doc);
    if (statements === UNKNOWN) unknown = true;
    else if (statements.some(deniesInsecureTransport)) return true;
  }
  return unknown ? undefined : false;
}

function checkStorageEncrypted(resources: readonly PolicyResource[], cmk: boolean, report: ReportViolation): void {
  const buckets = resources.filter((r) => S3_BUCKET_TYPES.includes(r.type));
  const bucketPolicies = resources.filter((r) => r.type === TYPES.s3BucketPolicy);
  const encryption = s3DefaultEncryption(resources, buckets);
  const cmkRule = "requireCustomerManagedKeys is on: use a customer-managed key";

  for (const r of resources) {
    const flag = (path: PropertyPath, value: unknown, rule: string) => report(violationMessage(r, path, value, rule), r.urn);
    const at = (path: PropertyPath) => propertyAt(r.props, path);
    if (S3_BUCKET_TYPES.includes(r.type)) {
      const settings = encryption.get(r.urn) ?? [];
      if (settings.length === 0) {
        report(`${resourceLabel(r.type, r.name)}: no ${TYPES.s3Encryption} refers to it; S3 buckets must have default encryption`, r.urn);
      }
      for (const s of settings) {
        const where = (path: PropertyPath, value: unknown, rule: string) => report(violationMessage(s.holder, path, value, rule), s.holder.urn);
        if (s.algorithm === UNKNOWN) continue;
        if (typeof s.algorithm !== "string" || !S3_ALGORITHMS.includes(s.algorithm)) where([...s.path, "sseAlgorithm"], s.algorithm, `sseAlgorithm must be one of ${S3_ALGORITHMS.join(", ")}`);
        else if (cmk && !S3_KMS_ALGORITHMS.includes(s.algorithm)) where([...s.path, "sseAlgorithm"], s.algorithm, `${cmkRule} (aws:kms with kmsMasterKeyId)`);
        else if (cmk && (isUnset(s.kmsKey) || s.kmsKey === "")) where([...s.path, "kmsMasterKeyId"], s.kmsKey, `${cmkRule} (aws:kms with kmsMasterKeyId)`);
      }
      if (s3TlsEnforced(r, bucketPolicies, buckets) === false) {
        report(`${resourceLabel(r.type, r.name)}: no bucket policy denies requests with aws:SecureTransport "false"; S3 buckets must only be reachable over TLS`, r.urn);
      }
    } else if (r.type === TYPES.ecrRepository) {
      const configs = arrayAt(r.props, ["encryptionConfigurations"]);
      if (configs === UNKNOWN) continue;
      if (configs.length === 0) flag(["encryptionConfigurations"], at(["encryptionConfigurations"]), 'ECR repositories must set encryptionConfigurations (encryptionType "AES256" or "KMS")');
      configs.forEach((c, i) => {
        const type = propertyAt(c, ["encryptionType"]);
        const key = propertyAt(c, ["kmsKey"]);
        if (cmk && type !== "KMS" && type !== UNKNOWN) flag(["encryptionConfigurations", i, "encryptionType"], type, `${cmkRule} (encryptionType "KMS" with kmsKey)`);
        else if (cmk && (isUnset(key) || key === "")) flag(["encryptionConfigurations", i, "kmsKey"], key, `${cmkRule} (encryptionType "KMS" with kmsKey)`);
      });
    } else if (r.type === TYPES.eksCluster) {
      const kinds = arrayAt(r.props, ["encryptionConfig", "resources"]);
      if (kinds !== UNKNOWN && !kinds.includes("secrets")) flag(["encryptionConfig", "resources"], at(["encryptionConfig", "resources"]), 'EKS clusters must encrypt Kubernetes secrets with KMS (encryptionConfig.resources ["secrets"])');
      const key = at(["encryptionConfig", "provider", "keyArn"]);
      if (isUnset(key) || key === "") flag(["encryptionConfig", "provider", "keyArn"], key, "EKS secrets encryption needs a KMS key ARN");
    } else if (r.type === TYPES.gkeCluster) {
      const state = at(["databaseEncryption", "state"]);
      if (state !== "ENCRYPTED" && state !== UNKNOWN) flag(["databaseEncryption", "state"], state, 'GKE clusters must encrypt etcd secrets with Cloud KMS (databaseEncryption.state "ENCRYPTED")');
      else if (state === "ENCRYPTED") {
        const key = at(["databaseEncryption", "keyName"]);
        if (isUnset(key) || key === "") flag(["databaseEncryption", "keyName"], key, "GKE application-layer secrets encryption needs a Cloud KMS key");
      }
    } else if (r.type === TYPES.gcsBucket) {
      const key = at(["encryption", "defaultKmsKeyName"]);
      if (cmk && (isUnset(key) || key === "")) flag(["encryption", "defaultKmsKeyName"], key, `${cmkRule} (a Cloud KMS key)`);
    } else if (r.type === TYPES.azureStorageAccount) {
      const https = at(["enableHttpsTrafficOnly"]);
      if (https !== true && https !== UNKNOWN) flag(["enableHttpsTrafficOnly"], https, "storage accounts must accept HTTPS only");
      const tls = at(["minimumTlsVersion"]);
      if (tls !== UNKNOWN && !(typeof tls === "string" && AZURE_TLS.includes(tls))) flag(["minimumTlsVersion"], tls, 'storage accounts must require TLS 1.2 or later (minimumTlsVersion "TLS1_2")');
      const blob = at(["encryption", "services", "blob", "enabled"]);
      const infra = at(["encryption", "requireInfrastructureEncryption"]);
      if (blob !== true && infra !== true && blob !== UNKNOWN && infra !== UNKNOWN) flag(["encryption", "services", "blob", "enabled"], blob, "storage accounts must enable blob encryption (or requireInfrastructureEncryption)");
      if (cmk) {
        const source = at(["encryption", "keySource"]);
        if (source !== UNKNOWN && !(typeof source === "string" && source.toLowerCase() === "microsoft.keyvault")) flag(["encryption", "keySource"], source, `${cmkRule} (keySource "Microsoft.Keyvault" with keyVaultProperties)`);
        else if (source !== UNKNOWN && isUnset(at(["encryption", "keyVaultProperties", "keyName"]))) flag(["encryption", "keyVaultProperties", "keyName"], undefined, `${cmkRule} (a Key Vault key)`);
      }
    }
  }
}
