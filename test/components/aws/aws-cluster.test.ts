import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { beforeEach, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { FAKE_ECR_TOKEN, REACHABLE, RUNNER_VPC, setupAwsMocks, valueOf } from "./aws-mocks.ts";

const mocks = setupAwsMocks();
const { AwsCluster, awsClusterOptions } = await import("../../../components/aws/index.ts");
const { GPU_NODE_LABEL, GPU_TAINT, RUNTIME_SERVICE_ACCOUNTS } = await import("../../../components/kubernetes/cluster-handle.ts");

beforeEach(() => mocks.reset());

const T = {
  cluster: "aws:eks/cluster:Cluster",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  asgTag: "aws:autoscaling/tag:Tag",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  key: "aws:kms/key:Key",
  repo: "aws:ecr/repository:Repository",
  release: "kubernetes:helm.sh/v3:Release",
} as const;

async function build(name: string, extra: Record<string, unknown> = {}) {
  const c = new AwsCluster(name, { region: "us-east-1", namespace: "mlops", tags: { "mlops-profile": "dev" }, ...REACHABLE, ...extra });
  await mocks.settle();
  return c;
}

const policyOf = (name: string) => JSON.parse(mocks.named(name, T.rolePolicy).inputs.policy);
const trustOf = (name: string) => JSON.parse(mocks.named(name, T.role).inputs.assumeRolePolicy);

test("a default GPU pool scales from zero on the NVIDIA AMI, labelled and tainted for GPU pods only", async () => {
  await build("c");
  const gpu = mocks.named("c-gpu-gpu", T.nodeGroup).inputs;
  assert.deepEqual(gpu.scalingConfig, { minSize: 0, maxSize: 2, desiredSize: 0 });
  assert.equal(gpu.amiType, "AL2023_x86_64_NVIDIA");
  assert.deepEqual(gpu.instanceTypes, ["g5.xlarge"]);
  assert.equal(gpu.capacityType, "ON_DEMAND");
  assert.deepEqual(gpu.labels, { ...GPU_NODE_LABEL, "mlops.dev/node-pool": "gpu", "k8s.amazonaws.com/accelerator": "nvidia-a10g" });
  assert.deepEqual(gpu.taints, [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }]);
  assert.deepEqual(gpu.subnetIds, ["c-private-us-east-1a-id", "c-private-us-east-1b-id"]);
  const lt = mocks.named("c-gpu-gpu-lt", T.launchTemplate).inputs;
  assert.deepEqual(lt.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
  assert.deepEqual(lt.blockDeviceMappings[0].ebs, { volumeSize: 100, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" });
  assert.deepEqual(gpu.launchTemplate, { id: "c-gpu-gpu-lt-id", version: "1" });

  const system = mocks.named("c-system", T.nodeGroup).inputs;
  assert.equal(system.amiType, "AL2023_x86_64_STANDARD");
  assert.deepEqual(system.scalingConfig, { minSize: 1, maxSize: 3, desiredSize: 1 });
  assert.deepEqual(system.taints, []);
});

test("every node group's Auto Scaling group carries the auto-discovery tags, GPU ones also the node-template tags", async () => {
  await build("c");
  const tagsOf = (prefix: string) => {
    const tags = mocks.ofType(T.asgTag).filter((r) => r.name.startsWith(prefix)).map((r) => r.inputs);
    assert.ok(tags.every((t) => t.tag.propagateAtLaunch === false));
    return tags;
  };
  const gpu = tagsOf("c-gpu-gpu-");
  assert.ok(gpu.every((t) => t.autoscalingGroupName === "eks-c-gpu-gpu-asg"));
  assert.deepEqual(Object.fromEntries(gpu.map((t) => [t.tag.key, t.tag.value])), {
    "k8s.io/cluster-autoscaler/enabled": "true",
    "k8s.io/cluster-autoscaler/c-eks-cluster": "owned",
    "k8s.io/cluster-autoscaler/node-template/label/mlops.dev/gpu": "true",
    "k8s.io/cluster-autoscaler/node-template/label/mlops.dev/node-pool": "gpu",
    "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator": "nvidia-a10g",
    "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "present:NoSchedule",
    "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "1",
  });
  const system = tagsOf("c-system-");
  assert.ok(system.every((t) => t.autoscalingGroupName === "eks-c-system-asg"));
  assert.deepEqual(Object.fromEntries(system.map((t) => [t.tag.key, t.tag.value])), {
    "k8s.io/cluster-autoscaler/enabled": "true",
    "k8s.io/cluster-autoscaler/c-eks-cluster": "owned",
  });
});

test("deploys a Cluster Autoscaler matching the Kubernetes minor with an IRSA role limited to scaling this cluster", async () => {
  await build("c");
  const rel = mocks.named("c-cluster-autoscaler", T.release).inputs;
  assert.equal(rel.chart, "cluster-autoscaler");
  assert.equal(rel.version, "9.59.0");
  assert.equal(rel.repositoryOpts.repo, "https://kubernetes.github.io/autoscaler");
  assert.equal(rel.namespace, "kube-system");
  assert.equal(rel.values.image.tag, "v1.36.1");
  assert.equal(rel.values.autoDiscovery.clusterName, "c-eks-cluster");
  assert.equal(rel.values.rbac.serviceAccount.name, "cluster-autoscaler");
  assert.equal(rel.values.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/c-cluster-autoscaler-role");
  const trust = trustOf("c-cluster-autoscaler-role");
  assert.deepEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123:sub"], "system:serviceaccount:kube-system:cluster-autoscaler");
  const policy = policyOf("c-cluster-autoscaler-policy");
  const scale = policy.Statement.find((s: any) => s.Action.includes("autoscaling:SetDesiredCapacity"));
  assert.deepEqual(scale.Condition, { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/c-eks-cluster": "owned" } });
  const describe = policy.Statement.find((s: any) => s.Sid === "Describe");
  assert.ok(describe.Action.every((a: string) => /^(autoscaling|ec2|eks):(Describe|Get)/.test(a)), "the unconditioned statement is read-only");
});

test("the cluster is private by default, logs every control-plane component and encrypts Secrets with the component's key", async () => {
  const c = await build("c", { publicEndpoint: undefined, authorizedCidrs: ["10.100.0.0/16"], network: { runnerVpc: RUNNER_VPC } });
  const eks = mocks.named("c-eks", T.cluster).inputs;
  assert.equal(eks.version, "1.36");
  assert.equal(eks.vpcConfig.endpointPrivateAccess, true);
  assert.equal(eks.vpcConfig.endpointPublicAccess, false);
  assert.equal(eks.vpcConfig.publicAccessCidrs, undefined);
  assert.deepEqual(eks.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
  assert.deepEqual(eks.encryptionConfig, { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:us-east-1:123456789012:key/c-key" } });
  assert.deepEqual(eks.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
  assert.deepEqual(eks.upgradePolicy, { supportType: "STANDARD" });
  assert.equal(eks.deletionProtection, false);
  const key = mocks.named("c-key", T.key).inputs;
  assert.equal(key.enableKeyRotation, true);
  assert.deepEqual(
    mocks.ofType("aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort(),
    ["aws-ebs-csi-driver", "coredns", "kube-proxy", "metrics-server", "vpc-cni"],
  );
  const kubeconfig = JSON.parse(await valueOf(c.kubeconfig));
  assert.equal(kubeconfig.clusters[0].cluster.server, "https://c-eks.gr7.us-east-1.eks.amazonaws.com");
  assert.deepEqual(kubeconfig.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "c-eks-cluster", "--region", "us-east-1", "--output", "json"]);
  assert.equal(kubeconfig.users[0].user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
  assert.equal(await (c.kubeconfig as any).isSecret, true);
  assert.equal(mocks.named("c-k8s", "pulumi:providers:kubernetes").inputs.kubeconfig !== undefined, true);
});

test("publicEndpoint opens the API to the authorized CIDRs only", async () => {
  await build("c", { publicEndpoint: true, authorizedCidrs: ["52.94.0.0/24"] });
  const vpc = mocks.named("c-eks", T.cluster).inputs.vpcConfig;
  assert.equal(vpc.endpointPublicAccess, true);
  assert.equal(vpc.endpointPrivateAccess, true);
  assert.deepEqual(vpc.publicAccessCidrs, ["52.94.0.0/24"]);
});

test("the model store is private, KMS-encrypted, versioned, TLS-only, owner-enforced and expires old feedback", async () => {
  const c = await build("c", { modelStore: { feedbackModels: ["churn"], feedbackRetentionDays: 30 } });
  const pab = mocks.named("c-model-store", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
  assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
  const sse = mocks.named("c-model-store", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs;
  assert.deepEqual(sse.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/c-key" }, bucketKeyEnabled: true }]);
  assert.equal(mocks.named("c-model-store", "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status, "Enabled");
  assert.equal(mocks.named("c-model-store", "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule.objectOwnership, "BucketOwnerEnforced");
  const policy = JSON.parse(mocks.named("c-model-store", "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
  assert.deepEqual(policy.Statement, [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::c-model-store-bucket", "arn:aws:s3:::c-model-store-bucket/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
  const rules = mocks.named("c-model-store", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
  const feedback = rules.find((r: any) => r.id === "expire-feedback-churn");
  assert.deepEqual(feedback.filter, { prefix: "registry/models/churn/feedback/" });
  assert.deepEqual(feedback.expiration, { days: 30 });
  assert.deepEqual(feedback.noncurrentVersionExpiration, { noncurrentDays: 30 });
  assert.equal(mocks.named("c-model-store", "aws:s3/bucket:Bucket").inputs.forceDestroy, false);
  assert.equal(await valueOf(c.bucketUrl), "s3://c-model-store-bucket/registry");
});

test("the registry scans on push, has immutable KMS-encrypted tags and keeps the newest keepImages images", async () => {
  const c = await build("c", { registry: { keepImages: 12, repositoryPrefix: "team-ml" } });
  const repo = mocks.named("c-runtime-repo", T.repo).inputs;
  assert.equal(repo.name, "team-ml/mlops-runtime");
  assert.equal(repo.imageTagMutability, "IMMUTABLE");
  assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
  assert.deepEqual(repo.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:123456789012:key/c-key" }]);
  const lifecycle = JSON.parse(mocks.named("c-runtime-repo", "aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy);
  assert.deepEqual(lifecycle.rules[0].selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 12 });
  assert.deepEqual(lifecycle.rules[0].action, { type: "expire" });
  assert.equal(await valueOf(c.registryUrl), "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-ml");
  const nodeRolePolicies = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((r) => r.name.startsWith("c-node-role-")).map((r) => r.inputs.policyArn);
  assert.ok(nodeRolePolicies.includes("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"), "nodes can pull");
});

test("the repository prefix defaults to the component and stack names", async () => {
  await build("Mlops");
  assert.equal(mocks.named("Mlops-runtime-repo", T.repo).inputs.name, "mlops-test/mlops-runtime");
});

test("the runtime role trusts exactly the two runtime ServiceAccounts and reaches only the model store bucket and its key", async () => {
  await build("c", { namespace: "ml-prod" });
  const trust = trustOf("c-runtime-role");
  assert.equal(trust.Statement.length, 1);
  const st = trust.Statement[0];
  assert.deepEqual(st.Principal, { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123" });
  assert.equal(st.Action, "sts:AssumeRoleWithWebIdentity");
  assert.deepEqual(Object.keys(st.Condition), ["StringEquals"]);
  assert.deepEqual(st.Condition.StringEquals, {
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123:aud": "sts.amazonaws.com",
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123:sub": [
      `system:serviceaccount:ml-prod:${RUNTIME_SERVICE_ACCOUNTS.serving}`,
      `system:serviceaccount:ml-prod:${RUNTIME_SERVICE_ACCOUNTS.retraining}`,
    ],
  });
  const policy = policyOf("c-runtime-policy");
  assert.deepEqual(policy.Statement, [
    { Sid: "ModelStoreObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: "arn:aws:s3:::c-model-store-bucket/*" },
    { Sid: "ModelStoreList", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::c-model-store-bucket" },
    { Sid: "ModelStoreKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "arn:aws:kms:us-east-1:123456789012:key/c-key" },
  ]);
  assert.equal(mocks.named("c-oidc", "aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs.url, "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE123");
  assert.deepEqual(mocks.named("c-oidc", "aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs.clientIdLists, ["sts.amazonaws.com"]);
});

test("the handle carries GPU facts matching the pools, the registry, the bucket, the identity and the region", async () => {
  const c = await build("c");
  const h = c.handle;
  assert.ok(h.gpu);
  assert.deepEqual(h.gpu.nodeSelector, GPU_NODE_LABEL);
  assert.deepEqual(h.gpu.taints, [GPU_TAINT]);
  assert.equal(h.gpu.resourceName, "nvidia.com/gpu");
  assert.equal(h.gpu.driverInstalled, true);
  assert.equal(h.gpu.devicePluginInstalled, false);
  // Every taint a GPU node carries is one the handle tells GPU pods to tolerate, and the selector matches its labels.
  for (const ng of mocks.ofType(T.nodeGroup).filter((r) => r.name.startsWith("c-gpu-"))) {
    assert.deepEqual(
      ng.inputs.taints,
      h.gpu.taints.map((t) => ({ key: t.key, value: t.value, effect: "NO_SCHEDULE" })),
    );
    for (const [k, v] of Object.entries(h.gpu.nodeSelector)) assert.equal(ng.inputs.labels[k], v);
  }
  assert.equal(await valueOf(h.name), "c-eks-cluster");
  assert.equal(await valueOf(h.registryUrl as pulumi.Input<string>), await valueOf(c.registryUrl));
  assert.deepEqual(h.modelStore.kind, "bucket");
  if (h.modelStore.kind === "bucket") assert.equal(await valueOf(h.modelStore.url), await valueOf(c.bucketUrl));
  assert.equal(await valueOf(h.workloadIdentity.annotations["eks.amazonaws.com/role-arn"] as pulumi.Input<string>), "arn:aws:iam::123456789012:role/c-runtime-role");
  assert.deepEqual(h.workloadIdentity.serviceAccounts, RUNTIME_SERVICE_ACCOUNTS);
  assert.deepEqual(h.runtimeEnv, { AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1" });
  assert.equal(await valueOf(h.registryAuth?.username as pulumi.Input<string>), FAKE_ECR_TOKEN.userName);
  assert.equal(await valueOf(h.registryAuth?.password as pulumi.Input<string>), FAKE_ECR_TOKEN.password);
  const tokenCall = mocks.invokes.find((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken");
  assert.equal(tokenCall?.inputs.registryId, "123456789012");
});

test("no GPU pools means no GPU node groups and no GPU facts in the handle", async () => {
  const c = await build("c", { gpuPools: [] });
  assert.equal(c.handle.gpu, undefined);
  assert.deepEqual(mocks.ofType(T.nodeGroup).map((r) => r.name), ["c-system"]);
  assert.ok(mocks.ofType(T.asgTag).every((t) => t.name.startsWith("c-system-")));
});

test("spot and Graviton GPU pools get SPOT capacity and the ARM NVIDIA AMI", async () => {
  await build("c", { gpuPools: [{ name: "train", instanceType: "g5g.2xlarge", spot: true, minNodes: 0, maxNodes: 4 }, { name: "big", instanceType: "p5.48xlarge" }] });
  const train = mocks.named("c-gpu-train", T.nodeGroup).inputs;
  assert.equal(train.amiType, "AL2023_ARM_64_NVIDIA");
  assert.equal(train.capacityType, "SPOT");
  assert.equal(train.scalingConfig.maxSize, 4);
  assert.equal(mocks.named("c-gpu-big", T.nodeGroup).inputs.amiType, "AL2023_x86_64_NVIDIA");
  const bigGpus = mocks.ofType(T.asgTag).find((t) => t.name === "c-gpu-big-resources-nvidia-com-gpu");
  assert.equal(bigGpus?.inputs.tag.value, "8");
});

test("dev: two zones and one NAT gateway; highAvailability: three zones, a NAT per zone and deletion protection", async () => {
  await build("dev");
  assert.equal(mocks.ofType(T.subnet).length, 4);
  assert.equal(mocks.ofType(T.nat).length, 1);
  const privateCidrs = mocks.ofType(T.subnet).filter((s) => s.name.includes("private")).map((s) => s.inputs.cidrBlock);
  assert.deepEqual(privateCidrs, ["10.0.0.0/18", "10.0.64.0/18"]);
  const publicSubnets = mocks.ofType(T.subnet).filter((s) => s.name.includes("public"));
  assert.deepEqual(publicSubnets.map((s) => s.inputs.cidrBlock), ["10.0.192.0/22", "10.0.196.0/22"]);
  assert.ok(publicSubnets.every((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1" && s.inputs.mapPublicIpOnLaunch === false));
  assert.equal(mocks.named("dev-eks", T.cluster).inputs.deletionProtection, false);

  mocks.reset();
  await build("prod", { highAvailability: true, systemPool: { minNodes: 3, maxNodes: 6 } });
  assert.deepEqual(mocks.ofType(T.subnet).filter((s) => s.name.includes("private")).map((s) => s.inputs.availabilityZone), ["us-east-1a", "us-east-1b", "us-east-1c"]);
  assert.equal(mocks.ofType(T.nat).length, 3);
  const routes = mocks.ofType("aws:ec2/routeTable:RouteTable").filter((r) => r.name.startsWith("prod-private-rt-"));
  assert.deepEqual(routes.map((r) => r.inputs.routes[0].natGatewayId), ["prod-nat-us-east-1a-id", "prod-nat-us-east-1b-id", "prod-nat-us-east-1c-id"]);
  assert.equal(mocks.named("prod-eks", T.cluster).inputs.deletionProtection, true);
  assert.deepEqual(mocks.named("prod-system", T.nodeGroup).inputs.scalingConfig, { minSize: 3, maxSize: 6, desiredSize: 3 });
});

test("a bring-your-own network creates no VPC and puts nodes and control plane in the given subnets", async () => {
  await build("c", { network: { existing: { privateSubnetIds: ["subnet-01", "subnet-02"] } } });
  assert.equal(mocks.ofType("aws:ec2/vpc:Vpc").length, 0);
  assert.equal(mocks.ofType(T.nat).length, 0);
  assert.deepEqual(mocks.named("c-eks", T.cluster).inputs.vpcConfig.subnetIds, ["subnet-01", "subnet-02"]);
  assert.deepEqual(mocks.named("c-system", T.nodeGroup).inputs.subnetIds, ["subnet-01", "subnet-02"]);
});

test("without a customer-managed key the store and registry use AES-256 and the runtime gets no KMS rights", async () => {
  await build("c", { encryption: { customerManagedKey: false } });
  assert.equal(mocks.ofType(T.key).length, 0);
  assert.equal(mocks.named("c-eks", T.cluster).inputs.encryptionConfig, undefined);
  assert.deepEqual(mocks.named("c-runtime-repo", T.repo).inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
  const sse = mocks.named("c-model-store", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs;
  assert.deepEqual(sse.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
  assert.ok(policyOf("c-runtime-policy").Statement.every((s: any) => !String(s.Action).includes("kms:")));
});

test("tags reach every taggable AWS resource", async () => {
  await build("c");
  const taggable = mocks.resources.filter((r) => r.type.startsWith("aws:") && "tags" in r.inputs);
  assert.ok(taggable.length > 20);
  for (const r of taggable) assert.equal(r.inputs.tags["mlops-profile"], "dev", `${r.type} ${r.name}`);
  const untagged = mocks.resources.filter(
    (r) => ["aws:eks/nodeGroup:NodeGroup", "aws:eks/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository", "aws:kms/key:Key", "aws:ec2/vpc:Vpc", "aws:iam/role:Role"].includes(r.type) && !("tags" in r.inputs),
  );
  assert.deepEqual(untagged, []);
});

test("invalid options report every bad path at once", () => {
  assert.throws(
    () =>
      new AwsCluster("bad", {
        namespace: "mlops",
        kubernetesVersion: "1.20",
        network: { cidr: "10.0.0.0/8" },
        systemPool: { minNodes: 3, maxNodes: 2 },
        gpuPools: [
          { name: "a", instanceType: "g5.xlarge" },
          { name: "b", instanceType: "m5.large" },
          { name: "a", instanceType: "p5.48xlarge", minNodes: 3, maxNodes: 1 },
        ],
        authorizedCidrs: ["everyone"],
        clusterAdmins: ["arn:aws:sts::123456789012:assumed-role/admins/alice", "arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"],
      } as never),
    (e: unknown) => {
      assert.ok(pulumi.InputPropertiesError.isInstance(e));
      const errors = (e as pulumi.InputPropertiesError).errors;
      const paths = errors.map((x) => x.propertyPath).sort();
      assert.deepEqual(paths, [
        "authorizedCidrs[0]",
        "clusterAdmins[0]",
        "clusterAdmins[1]",
        "gpuPools[1].instanceType",
        "gpuPools[2].maxNodes",
        "gpuPools[2].name",
        "kubernetesVersion",
        "network.cidr",
        "region",
        "systemPool.maxNodes",
      ]);
      const reason = (p: string) => errors.find((x) => x.propertyPath === p)?.reason ?? "";
      assert.match(reason("gpuPools[1].instanceType"), /^"m5\.large" is not a GPU instance type \(g4dn, g5, g5g, g6, .*p5.*\)$/);
      assert.match(reason("gpuPools[2].maxNodes"), /must be >= minNodes \(3\)/);
      assert.match(reason("gpuPools[2].name"), /duplicate pool name "a" \(also gpuPools\[0\]\)/);
      // EKS access entries name an IAM principal, never an STS session, and no service-linked role
      // (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
      assert.match(reason("clusterAdmins[0]"), /no STS session ARN/);
      assert.match(reason("clusterAdmins[1]"), /service-linked role/);
      assert.match(reason("kubernetesVersion"), /"1\.20" is not a supported EKS Kubernetes minor \(1\.33, 1\.34, 1\.35, 1\.36\)/);
      assert.match((e as Error).message, /gpuPools\[1\]\.instanceType: "m5\.large" is not a GPU instance type/);
      return true;
    },
  );
});

test("awsClusterOptions is a plain object schema the platform can omit fields from", () => {
  const section = awsClusterOptions.omit({ region: true });
  assert.equal(section.safeParse({ gpuPools: [{ name: "x", instanceType: "t3.large" }] }).success, false);
  assert.equal(section.safeParse({ unknownField: 1 }).success, false, "strict");
  assert.equal(section.safeParse({}).success, true);
});

test("the options' defaults are cheap and secure and match their documented @default values", () => {
  const d = awsClusterOptions.parse({ region: "eu-west-1" });
  assert.deepEqual(d, {
    region: "eu-west-1",
    kubernetesVersion: "1.36",
    network: { cidr: "10.0.0.0/16" },
    publicEndpoint: false,
    allowOpenEndpoint: false,
    highAvailability: false,
    systemPool: { instanceType: "t3.large", minNodes: 1, maxNodes: 3, diskSizeGb: 50 },
    gpuPools: [{ name: "gpu", instanceType: "g5.xlarge", minNodes: 0, maxNodes: 2, spot: false, diskSizeGb: 100 }],
    registry: { keepImages: 30, forceDelete: false },
    modelStore: { feedbackRetentionDays: 90, feedbackModels: [], forceDestroy: false },
    encryption: { customerManagedKey: true },
    clusterAdmins: [],
    extendedSupport: false,
    clusterAutoscaler: { enabled: true, chartVersion: "9.59.0" },
  });

  // Each `@default <literal>` in the schema's docs equals the value the code applies at that path.
  const source = readFileSync(new URL("../../../components/aws/options.ts", import.meta.url), "utf8").split("\n");
  let prefix: (string | number)[] | undefined;
  const stack: { indent: number; key: string }[] = [];
  let checked = 0;
  source.forEach((line, i) => {
    if (line.startsWith("const gpuPool = ")) prefix = ["gpuPools", 0];
    else if (line.startsWith("export const awsClusterOptions")) prefix = [];
    else if (/^\S/.test(line)) prefix = undefined;
    const m = /^( +)(\w+): /.exec(line);
    if (prefix === undefined || !m) return;
    const indent = (m[1] as string).length;
    while (stack.length > 0 && (stack.at(-1) as { indent: number }).indent >= indent) stack.pop();
    stack.push({ indent, key: m[2] as string });
    const doc = /@default (.+?) \*\/\s*$/.exec(source[i - 1] ?? "");
    if (!doc || (doc[1] as string).startsWith("-")) return;
    const path = [...prefix, ...stack.map((s) => s.key)];
    const documented = new Function(`return (${(doc[1] as string).replace(/ \(.*\)$/, "")});`)();
    let actual: any = d;
    for (const p of path) actual = actual?.[p];
    assert.deepEqual(actual, documented, `@default of ${path.join(".")}`);
    checked++;
  });
  assert.ok(checked >= 20, `checked ${checked} documented defaults`);
});

test("the Cluster Autoscaler release sets only values the pinned chart reads", async () => {
  // kubernetes/autoscaler charts/cluster-autoscaler at 9.59.0 (values.yaml; templates/deployment.yaml
  // renders cloudProvider, awsRegion into AWS_REGION, autoDiscovery.clusterName into
  // --node-group-auto-discovery=asg:tag=..., image.tag, extraArgs as --key=value, resources,
  // containerSecurityContext and securityContext; templates/serviceaccount.yaml the rbac.serviceAccount
  // keys). The chart has no Helm hooks, and helm.v3.Release would run them anyway.
  const CHART_KEYS = new Set([
    "cloudProvider",
    "awsRegion",
    "autoDiscovery.clusterName",
    "image.tag",
    "rbac.serviceAccount.create",
    "rbac.serviceAccount.name",
    "rbac.serviceAccount.annotations",
    "extraArgs",
    "containerSecurityContext",
    "securityContext",
    "resources",
  ]);
  await build("c");
  const values = mocks.named("c-cluster-autoscaler", T.release).inputs.values;
  const leaves = (o: Record<string, unknown>, prefix = ""): string[] =>
    Object.entries(o).flatMap(([k, v]) => {
      const key = `${prefix}${k}`;
      if (CHART_KEYS.has(key)) return [key];
      return typeof v === "object" && v !== null && !Array.isArray(v) ? leaves(v as Record<string, unknown>, `${key}.`) : [key];
    });
  assert.deepEqual(leaves(values).filter((k) => !CHART_KEYS.has(k)), []);
  // extraArgs become flags of this autoscaler release (FAQ.md, "What are the parameters to CA?").
  assert.deepEqual(Object.keys(values.extraArgs).sort(), ["balance-similar-node-groups", "expander", "skip-nodes-with-system-pods"]);
});

test("no node group label uses a prefix EKS managed node groups reject", async () => {
  // EKS refuses labels containing kubernetes.io/, k8s.io/ or eks.amazonaws.com/ ("Label cannot contain
  // reserved prefixes", eksctl-io/eksctl#4007, aws/containers-roadmap#1451); k8s.amazonaws.com/ is allowed.
  await build("c", { gpuPools: [{ name: "a", instanceType: "g5.xlarge" }, { name: "b", instanceType: "p5.48xlarge" }] });
  for (const ng of mocks.ofType(T.nodeGroup)) {
    for (const key of Object.keys(ng.inputs.labels)) assert.ok(!/kubernetes\.io\/|k8s\.io\/|eks\.amazonaws\.com\//.test(key), `${ng.name}: ${key}`);
  }
});
