import * as aws from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";
import { isPrivateCidr } from "../network/index.ts";
import { awsPartition, managedPolicyArn } from "./aws-partition.ts";

/** Control-plane log types EKS can ship to CloudWatch; all are on. */
export const EKS_CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** Arguments for {@link createEksControlPlane}. */
export interface EksControlPlaneArgs {
  /** AWS region. */
  region: string;
  /** Kubernetes minor version (`1.36`). */
  kubernetesVersion: string;
  /** Subnets for the control plane's network interfaces (the private ones). */
  subnetIds: pulumi.Input<string>[];
  /** Reach the API server from the internet (restricted to the public ranges of `authorizedCidrs`); the private endpoint is always on. */
  publicEndpoint: boolean;
  /** Who may reach the API: public ranges through the public endpoint, private ranges (peered VPCs, VPN, Direct Connect) through the private one. */
  authorizedCidrs: string[];
  /** KMS key that envelope-encrypts Kubernetes Secrets. @default - EKS's default encryption with an AWS-owned key */
  kmsKeyArn?: pulumi.Input<string>;
  /** Stay on a version past its standard support (billed extra) instead of being upgraded. */
  extendedSupport: boolean;
  /** Keep the cluster from being deleted until this is turned off. */
  deletionProtection: boolean;
  /** IAM principals (role or user ARNs) that get cluster-admin through EKS access entries, besides the identity running Pulumi. */
  adminPrincipalArns: string[];
  /** Tags on every taggable resource. */
  tags: Record<string, string>;
}

/** What {@link createEksControlPlane} builds. */
export interface EksControlPlane {
  /** The EKS cluster. */
  cluster: aws.eks.Cluster;
  /** IAM OIDC provider for the cluster's service-account token issuer (IRSA). */
  oidcProvider: aws.iam.OpenIdConnectProvider;
  /** The issuer URL without `https://`, the prefix of IRSA condition keys. */
  issuerHost: pulumi.Output<string>;
  /** What must exist before `pulumi up` can reach the API: the security-group rules admitting the private `authorizedCidrs`. */
  apiAccess: pulumi.Resource[];
}

/** Port of the EKS API server on its endpoints. */
export const API_SERVER_PORT = 443;

/** The IAM user or role an ARN names or acts as (`assumed-role` sessions name their role without its path). */
function iamIdentity(arn: string): { account: string; kind: string; name: string } | undefined {
  const m = /^arn:[^:]+:(iam|sts)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return undefined;
  const [service, account, resource] = [m[1], m[2] as string, m[3] as string];
  const parts = resource.split("/");
  if (service === "sts" && parts[0] === "assumed-role" && parts.length >= 3) return { account, kind: "role", name: parts[1] as string };
  if (service === "iam" && (parts[0] === "user" || parts[0] === "role") && parts.length >= 2) return { account, kind: parts[0], name: parts.at(-1) as string };
  return undefined;
}

/** True when the IAM role or user `principalArn` is the identity `callerArn` (GetCallerIdentity's ARN) acts as. */
export function isCallerPrincipal(callerArn: string, principalArn: string): boolean {
  const caller = iamIdentity(callerArn);
  const principal = iamIdentity(principalArn);
  return caller !== undefined && principal !== undefined && caller.account === principal.account && caller.kind === principal.kind && caller.name === principal.name;
}

/** A trust policy that lets one AWS service assume a role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
}

/**
 * An EKS control plane: its IAM role, the cluster (access entries for authentication with the
 * creator as cluster admin, private endpoint always on, public only on request, every
 * control-plane log type, Secrets encrypted with the customer-managed key when there is one,
 * the self-managed networking add-ons left out so managed add-ons replace them), the IAM OIDC
 * provider for IRSA, cluster-admin access entries for extra principals, and an ingress rule on
 * the cluster security group (which EKS puts on the control plane's network interfaces) for port
 * 443 from each private range of `authorizedCidrs`: the security group admits nothing from outside
 * the VPC by itself, so without it a private-only endpoint is unreachable from a peered VPC or VPN.
 */
export function createEksControlPlane(name: string, args: EksControlPlaneArgs, parent: pulumi.Resource): EksControlPlane {
  const opts = { parent };
  const role = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com"), tags: args.tags }, opts);
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-cluster-role-eks`,
    { role: role.name, policyArn: managedPolicyArn(args.region, "AmazonEKSClusterPolicy") },
    opts,
  );
  const dependsOn: pulumi.Resource[] = [attachment];
  if (args.kmsKeyArn !== undefined) {
    // The default key policy delegates to IAM, so the cluster role needs the key in its own policy.
    dependsOn.push(
      new aws.iam.RolePolicy(
        `${name}-cluster-role-kms`,
        {
          role: role.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: args.kmsKeyArn }],
          }),
        },
        opts,
      ),
    );
  }

  const cluster = new aws.eks.Cluster(
    `${name}-eks`,
    {
      region: args.region,
      version: args.kubernetesVersion,
      roleArn: role.arn,
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      bootstrapSelfManagedAddons: false,
      vpcConfig: {
        subnetIds: args.subnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: args.publicEndpoint,
        // EKS opens an endpoint given no ranges to 0.0.0.0/0; the options check keeps this non-empty.
        publicAccessCidrs: args.publicEndpoint ? args.authorizedCidrs.filter((c) => !isPrivateCidr(c)) : undefined,
      },
      enabledClusterLogTypes: [...EKS_CONTROL_PLANE_LOG_TYPES],
      encryptionConfig: args.kmsKeyArn === undefined ? undefined : { resources: ["secrets"], provider: { keyArn: args.kmsKeyArn } },
      upgradePolicy: { supportType: args.extendedSupport ? "EXTENDED" : "STANDARD" },
      deletionProtection: args.deletionProtection,
      tags: args.tags,
    },
    { parent, dependsOn },
  );

  // Mocks (unit tests, `pulumi-mlops synth`) may not model the issuer; a real cluster always has one.
  const issuer = cluster.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
  // IAM trusts the issuer's certificate chain itself for EKS issuers, so no thumbprint is pinned.
  const oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuer, clientIdLists: ["sts.amazonaws.com"], tags: args.tags }, opts);

  const apiAccess = args.authorizedCidrs.filter(isPrivateCidr).map(
    (cidrIpv4, i) =>
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-api-from-${i}`,
        {
          region: args.region,
          securityGroupId: cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId),
          cidrIpv4,
          ipProtocol: "tcp",
          fromPort: API_SERVER_PORT,
          toPort: API_SERVER_PORT,
          description: `Kubernetes API from ${cidrIpv4} (authorizedCidrs)`,
          tags: args.tags,
        },
        opts,
      ),
  );

  const adminPolicyArn = `arn:${awsPartition(args.region)}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
  // EKS already gave the creator an access entry; a second one for the same principal fails with ResourceInUseException.
  const caller = args.adminPrincipalArns.length > 0 ? aws.getCallerIdentityOutput({}, { parent }) : undefined;
  args.adminPrincipalArns.forEach((admin, i) => {
    const principalArn = (caller as NonNullable<typeof caller>).arn.apply((callerArn) => {
      if (isCallerPrincipal(callerArn, admin)) {
        throw new pulumi.ResourceError(`clusterAdmins[${i}] (${admin}) is the identity running pulumi up (${callerArn}), which EKS already makes cluster admin: remove it from clusterAdmins`, parent);
      }
      return admin;
    });
    const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { region: args.region, clusterName: cluster.name, principalArn, type: "STANDARD", tags: args.tags }, opts);
    new aws.eks.AccessPolicyAssociation(
      `${name}-admin-${i}`,
      { region: args.region, clusterName: cluster.name, principalArn: entry.principalArn, policyArn: adminPolicyArn, accessScope: { type: "cluster" } },
      opts,
    );
  });

  return { cluster, oidcProvider, issuerHost: issuer.apply((u) => u.replace(/^https:\/\//, "")), apiAccess };
}
