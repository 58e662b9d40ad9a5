import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Arguments for {@link createIrsaRole}. */
export interface IrsaRoleArgs {
  /** ARN of the cluster's IAM OIDC provider. */
  oidcProviderArn: pulumi.Input<string>;
  /** The cluster's OIDC issuer without `https://`. */
  issuerHost: pulumi.Input<string>;
  /** Exactly the ServiceAccounts that may assume the role, as `system:serviceaccount:<namespace>:<name>`. */
  subjects: string[];
  /** The role's inline permissions (an IAM policy document). @default - none */
  policy?: pulumi.Input<string>;
  /** ARNs of managed policies attached to the role. @default [] */
  managedPolicyArns?: string[];
  /** Tags on the role. */
  tags: Record<string, string>;
}

/** The `sub` of a Kubernetes ServiceAccount's projected token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * An IRSA trust policy: web identity from the cluster's OIDC provider, only for tokens whose
 * audience is STS and whose subject is one of `subjects` (StringEquals, no wildcards).
 */
export function irsaTrustPolicy(oidcProviderArn: pulumi.Input<string>, issuerHost: pulumi.Input<string>, subjects: string[]): pulumi.Output<string> {
  return pulumi.all([oidcProviderArn, issuerHost]).apply(([arn, host]) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: arn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${host}:aud`]: "sts.amazonaws.com", [`${host}:sub`]: subjects.length === 1 ? subjects[0] : subjects } },
        },
      ],
    }),
  );
}

/** An IRSA role and the policies that give it its permissions (whatever uses the role waits for them). */
export interface IrsaRole {
  /** The role. */
  role: aws.iam.Role;
  /** Its inline policy and managed-policy attachments. */
  permissions: pulumi.Resource[];
}

/** An IAM role for Kubernetes ServiceAccounts (IRSA) with an inline policy and/or managed policies. */
export function createIrsaRole(name: string, args: IrsaRoleArgs, parent: pulumi.Resource): IrsaRole {
  const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: irsaTrustPolicy(args.oidcProviderArn, args.issuerHost, args.subjects), tags: args.tags }, { parent });
  const permissions: pulumi.Resource[] = (args.managedPolicyArns ?? []).map(
    (policyArn) => new aws.iam.RolePolicyAttachment(`${name}-${policyArn.split("/").pop()}`, { role: role.name, policyArn }, { parent }),
  );
  if (args.policy !== undefined) permissions.push(new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: args.policy }, { parent }));
  return { role, permissions };
}

/**
 * The runtime's permissions: read, write, delete and list objects of the model store bucket only,
 * and use of the key that encrypts it. Image pulls need nothing here (the nodes pull).
 */
export function runtimePolicy(bucketArn: pulumi.Input<string>, kmsKeyArn: pulumi.Input<string> | undefined): pulumi.Output<string> {
  const statements: unknown[] = [
    { Sid: "ModelStoreObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: pulumi.interpolate`${bucketArn}/*` },
    { Sid: "ModelStoreList", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
  ];
  if (kmsKeyArn !== undefined) statements.push({ Sid: "ModelStoreKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: kmsKeyArn });
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}
