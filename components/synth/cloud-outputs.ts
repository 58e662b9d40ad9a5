/** Where synthesized cloud resources pretend to live. */
export interface SynthCloudContext {
  /** AWS region. */
  awsRegion: string;
  /** GCP project id. */
  gcpProject: string;
  /** Azure subscription id. */
  azureSubscription: string;
}

/** The AWS account synth pretends to deploy into. */
export const SYNTH_AWS_ACCOUNT = "123456789012";

/**
 * Outputs the cloud computes for a resource (ARNs, endpoints, URLs, generated names), made up
 * plausibly from its inputs so programs that read them (a kubeconfig from an EKS endpoint, an
 * image name from an ECR URL) run under synth as they would after `pulumi up`. Unknown types get
 * none. Values are fakes: never deployable, always deterministic.
 */
export function computedOutputs(type: string, name: string, inputs: Record<string, any>, ctx: SynthCloudContext): Record<string, unknown> {
  const region = ctx.awsRegion;
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
    case "gcp:serviceaccount/account:Account": {
      const email = `${inputs.accountId}@${inputs.project ?? ctx.gcpProject}.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}`, name: `projects/${inputs.project ?? ctx.gcpProject}/serviceAccounts/${email}` };
    }
    case "gcp:projects/serviceIdentity:ServiceIdentity": {
      const email = `service-123456789012@gcp-sa-${String(inputs.service).split(".")[0]}.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}` };
    }
    case "gcp:container/cluster:Cluster":
      return { name: inputs.name ?? `${name}-synth`, endpoint: "203.0.113.10", masterAuth: { clusterCaCertificate: "U1lOVEgtQ0E=" } };
    case "gcp:storage/bucket:Bucket":
      return { name: inputs.name ?? `${name}-synth`, url: `gs://${inputs.name ?? `${name}-synth`}` };
    case "gcp:artifactregistry/repository:Repository":
      return { name: inputs.repositoryId ?? name };
    case "gcp:kms/keyRing:KeyRing":
      return { name: inputs.name ?? `${name}-synth` };
    case "gcp:kms/cryptoKey:CryptoKey":
      return { name: inputs.name ?? `${name}-synth` };
  }
  if (type.startsWith("azure-native:")) return azureOutputs(type, name, inputs, ctx);
  return {};
}

function azureOutputs(type: string, name: string, i: Record<string, any>, ctx: SynthCloudContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  switch (type) {
    case "azure-native:resources:ResourceGroup":
      out.name = i.resourceGroupName ?? `${name}-synth`;
      break;
    case "azure-native:managedidentity:UserAssignedIdentity":
      Object.assign(out, { name: i.resourceName ?? name, clientId: `${name}-synth-client-id`, principalId: `${name}-synth-principal-id` });
      break;
    case "azure-native:containerservice:ManagedCluster":
      Object.assign(out, {
        name: i.resourceName ?? name,
        fqdn: `${name}.hcp.${i.location ?? "eastus"}.azmk8s.io`,
        oidcIssuerProfile: { ...i.oidcIssuerProfile, issuerURL: `https://${i.location ?? "eastus"}.oic.prod-aks.azure.com/synth/${name}/` },
        identityProfile: { kubeletidentity: { objectId: `${name}-kubelet-object-id`, clientId: `${name}-kubelet-client-id`, resourceId: `${name}-kubelet` } },
      });
      break;
    case "azure-native:containerregistry:Registry":
      Object.assign(out, { name: i.registryName ?? name, loginServer: `${i.registryName ?? name}.azurecr.io` });
      break;
    case "azure-native:storage:StorageAccount":
      out.name = i.accountName ?? name;
      break;
    case "azure-native:storage:BlobContainer":
      out.name = i.containerName ?? name;
      break;
    case "azure-native:keyvault:Vault":
      Object.assign(out, { name: i.vaultName ?? name, properties: { ...i.properties, vaultUri: `https://${i.vaultName ?? name}.vault.azure.net/` } });
      break;
    case "azure-native:keyvault:Key":
      Object.assign(out, { name: i.keyName ?? name, keyUri: `https://synth.vault.azure.net/keys/${i.keyName ?? name}`, keyUriWithVersion: `https://synth.vault.azure.net/keys/${i.keyName ?? name}/0123abcd` });
      break;
    default:
      out.name = i.name ?? name;
  }
  out.id = `/subscriptions/${ctx.azureSubscription}/resourceGroups/synth/providers/${type}/${name}`;
  return out;
}
