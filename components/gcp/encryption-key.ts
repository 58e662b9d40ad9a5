import * as gcp from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";

/** What {@link createEncryptionKey} needs. */
export interface EncryptionKeyArgs {
  project: pulumi.Input<string>;
  /** Key ring location; must equal the region of the cluster, bucket and repository it protects. */
  region: string;
  /** Days between automatic key rotations. */
  rotationPeriodDays: number;
  labels: Record<string, string>;
  /** Resources the ring, key and grants wait for (the enabled APIs). */
  dependsOn: pulumi.Resource[];
}

/** A Cloud KMS key and the grants that let Google service agents use it. */
export interface EncryptionKey {
  /** The key's id (`projects/<p>/locations/<r>/keyRings/<k>/cryptoKeys/<c>`). */
  keyId: pulumi.Output<string>;
  /** Grants `roles/cloudkms.cryptoKeyEncrypterDecrypter` on this key only to the service agent `member` (`agent` names the grant), after `dependsOn` (the API that creates the agent); depend on it before using the key. */
  grant(agent: string, member: pulumi.Input<string>, dependsOn?: pulumi.Resource[]): gcp.kms.CryptoKeyIAMMember;
}

/**
 * A regional key ring with one symmetric ENCRYPT_DECRYPT key, rotated automatically. Key rings
 * cannot be deleted in Cloud KMS, so both are auto-named: a destroy and re-create gets fresh names
 * instead of colliding with the ring left behind.
 */
export function createEncryptionKey(name: string, parent: pulumi.Resource, args: EncryptionKeyArgs): EncryptionKey {
  const ring = new gcp.kms.KeyRing(`${name}-keyring`, { project: args.project, location: args.region }, { parent, dependsOn: args.dependsOn });
  const key = new gcp.kms.CryptoKey(
    `${name}-key`,
    {
      keyRing: ring.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: `${args.rotationPeriodDays * 86400}s`,
      versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
      labels: args.labels,
    },
    { parent, dependsOn: args.dependsOn },
  );
  return {
    keyId: key.id,
    grant: (agent, member, dependsOn = []) =>
      new gcp.kms.CryptoKeyIAMMember(`${name}-key-${agent}`, { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member }, { parent, dependsOn: [...args.dependsOn, ...dependsOn] }),
  };
}
