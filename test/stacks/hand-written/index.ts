import * as azure from "@pulumi/azure-native";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

// One EKS, GKE and AKS cluster as a platform team might write them without the pulumi-mlops
// components: `access` picks the API endpoint settings — `defaults` (none: what each cloud then
// applies), `open` (0.0.0.0/0 written out) or `restricted` (one office range).
const access = new pulumi.Config().require("access");
const office = "198.51.100.0/24";
const cidrs = access === "open" ? ["0.0.0.0/0"] : [office];

new aws.eks.Cluster("eks", {
  roleArn: "arn:aws:iam::123456789012:role/eks",
  vpcConfig: {
    subnetIds: ["subnet-a", "subnet-b"],
    ...(access === "defaults" ? {} : { endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: cidrs }),
  },
});

new gcp.container.Cluster("gke", {
  location: "us-central1-a",
  initialNodeCount: 1,
  ...(access === "defaults" ? {} : { masterAuthorizedNetworksConfig: { cidrBlocks: cidrs.map((cidrBlock) => ({ cidrBlock, displayName: "office" })), gcpPublicCidrsAccessEnabled: false } }),
});

new azure.containerservice.ManagedCluster("aks", {
  resourceGroupName: "rg",
  dnsPrefix: "aks",
  identity: { type: "SystemAssigned" },
  agentPoolProfiles: [{ name: "system", mode: "System", vmSize: "Standard_D4s_v5", count: 1 }],
  ...(access === "defaults" ? {} : { apiServerAccessProfile: { authorizedIPRanges: cidrs } }),
});
