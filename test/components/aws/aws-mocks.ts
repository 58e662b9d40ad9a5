import * as pulumi from "@pulumi/pulumi";
import { recordDependencies, setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";

export { valueOf } from "../../helpers/pulumi-mocks.ts";

/** A public endpoint limited to one (non-placeholder) address: the least an AwsCluster needs to be reachable. */
export const REACHABLE = { publicEndpoint: true, authorizedCidrs: ["52.94.0.7/32"] };

/** A runner VPC to peer with (its range outside the default 10.0.0.0/16). */
export const RUNNER_VPC = { vpcId: "vpc-0abc1234def567890", cidr: "10.100.0.0/16", routeTableIds: ["rtb-0abc1234def567890"] };

/** The identity the mocked `getCallerIdentity` answers: an SSO-style assumed-role session. */
export const FAKE_CALLER_ARN = "arn:aws:sts::123456789012:assumed-role/platform-deployer/ci-session";

/** A fake ECR token the mocked `getAuthorizationToken` answers. */
export const FAKE_ECR_TOKEN = { userName: "AWS", password: "ecr-token-password" };

/**
 * Pulumi mocks for the AWS layer: resources echo their inputs, plus the outputs AwsCluster reads
 * that AWS computes (ARNs, the EKS issuer/endpoint/CA, node group ASGs, the ECR URL, bucket
 * names, launch template versions, the cluster security group); `getAuthorizationToken` answers
 * {@link FAKE_ECR_TOKEN}, `getCallerIdentity` {@link FAKE_CALLER_ARN}.
 */
export function setupAwsMocks() {
  const mocks = setupPulumiMocks({
    cloud: {
      outputs(args: pulumi.runtime.MockResourceArgs, state: Record<string, any>) {
        const [pkg, mod] = args.type.split(":");
        if (pkg === "aws") state.arn ??= `arn:aws:${mod?.split("/")[0]}:us-east-1:123456789012:${args.name}`;
        switch (args.type) {
          case "aws:eks/cluster:Cluster":
            state.name ??= `${args.name}-cluster`;
            state.endpoint = `https://${args.name}.gr7.us-east-1.eks.amazonaws.com`;
            state.certificateAuthority = { data: "Q0EtREFUQQ==" };
            state.identities = [{ oidcs: [{ issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123" }] }];
            state.vpcConfig = { ...state.vpcConfig, clusterSecurityGroupId: `sg-${args.name}` };
            break;
          case "aws:eks/nodeGroup:NodeGroup":
            state.resources = [{ autoscalingGroups: [{ name: `eks-${args.name}-asg` }], remoteAccessSecurityGroupId: "" }];
            break;
          case "aws:ec2/launchTemplate:LaunchTemplate":
            state.latestVersion = 1;
            break;
          case "aws:ecr/repository:Repository":
            state.registryId = "123456789012";
            state.repositoryUrl = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${args.inputs.name}`;
            break;
          case "aws:s3/bucket:Bucket":
            state.bucket ??= `${args.name}-bucket`;
            state.arn = `arn:aws:s3:::${state.bucket}`;
            break;
          case "aws:iam/role:Role":
            state.name ??= `${args.name}-name`;
            state.arn = `arn:aws:iam::123456789012:role/${args.name}`;
            break;
          case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            state.arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123";
            break;
          case "aws:kms/key:Key":
            state.arn = `arn:aws:kms:us-east-1:123456789012:key/${args.name}`;
            break;
        }
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
          return { ...FAKE_ECR_TOKEN, authorizationToken: "QVdTOmVjci10b2tlbg==", expiresAt: "2026-11-24T00:00:00Z", proxyEndpoint: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", id: "us-east-1", region: "us-east-1" };
        }
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: "123456789012", arn: FAKE_CALLER_ARN, userId: "AROAEXAMPLE:ci-session", id: "123456789012" };
        return args.inputs;
      },
    },
  });
  return { ...mocks, ...recordDependencies(mocks) };
}
