// What `pulumi-mlops synth` pretends AWS computes and answers (see platform/cloud-module.ts CloudSynth).
import type { CloudSynth } from "../platform/cloud-module.ts";

/** The AWS account synth pretends to deploy into. */
export const SYNTH_AWS_ACCOUNT = "123456789012";

const regionOf = (config: Readonly<Record<string, string>>): string => config["aws:region"] ?? "us-east-1";

export const awsSynth: CloudSynth = {
  prefix: "aws:",
  outputs(type, name, inputs, config) {
    const out = computed(type, name, inputs, regionOf(config));
    // Programs read the ARN of most AWS resources: every one gets a fake unless it has its own.
    return inputs.arn === undefined && out.arn === undefined ? { ...out, arn: `arn:aws:synth:::${name}` } : out;
  },
  invokes: {
    "aws:index/getCallerIdentity:getCallerIdentity": "account 123456789012, arn of a synth user",
    "aws:index/getRegion:getRegion": "the aws:region config, else us-east-1",
    "aws:index/getPartition:getPartition": "aws",
    "aws:index/getAvailabilityZones:getAvailabilityZones": "<region>a, b, c",
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": "user AWS and a fake token for the requested registry",
  },
  call(token, inputs, config) {
    const region = regionOf(config);
    switch (token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/synth", userId: "SYNTH", id: "123456789012" };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, id: region, description: region, endpoint: `ec2.${region}.amazonaws.com` };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const names = ["a", "b", "c"].map((s) => `${region}${s}`);
        return { names, zoneIds: names.map((_, i) => `use1-az${i + 1}`), id: region };
      }
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
        const registry = String(inputs.registryId ?? "123456789012");
        return { userName: "AWS", password: "synth-ecr-token", authorizationToken: "QVdTOnN5bnRoLWVjci10b2tlbg==", proxyEndpoint: `https://${registry}.dkr.ecr.${region}.amazonaws.com`, expiresAt: "1970-01-01T00:00:00Z", registryId: registry, region, id: region };
      }
    }
    return undefined;
  },
};

/** Outputs EKS, ECR, S3, IAM and KMS compute from a resource's inputs. */
function computed(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
  const account = SYNTH_AWS_ACCOUNT;
  switch (type) {
    case "aws:eks/cluster:Cluster":
      return {
        name: inputs.name ?? `${name}-synth`,
        endpoint: `https://${name}.gr7.${region}.eks.amazonaws.com`,
        certificateAuthority: { data: "U1lOVEgtQ0E=" },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/SYNTH${name.length}` }] }],
        vpcConfig: { ...inputs.vpcConfig, clusterSecurityGroupId: `sg-synth-${name}` },
      };
    case "aws:eks/nodeGroup:NodeGroup":
      return { resources: [{ autoscalingGroups: [{ name: `eks-${name}-synth-asg` }], remoteAccessSecurityGroupId: "" }] };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { latestVersion: 1 };
    case "aws:ecr/repository:Repository":
      return { registryId: account, repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${inputs.name ?? name}` };
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${name}-synth`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:iam/role:Role":
      return { name: inputs.name ?? `${name}-synth`, arn: `arn:aws:iam::${account}:role/${inputs.name ?? name}` };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return { arn: `arn:aws:iam::${account}:oidc-provider/${String(inputs.url ?? "oidc").replace(/^https:\/\//, "")}` };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${region}:${account}:key/${name}`, keyId: name };
  }
  return {};
}
