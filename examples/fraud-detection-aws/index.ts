import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "pulumi-mlops";

// Fraud scoring on AWS: retraining runs as Kubernetes Jobs on a spot g5.xlarge pool that exists
// only while a Job needs it (min 0 nodes); the model server stays on the CPU system pool.
const config = new pulumi.Config();
const runnerVpc = config.getObject<{ vpcId: string; cidr: string; routeTableIds: string[] }>("runnerVpc");
const platform = new MlopsPlatform("fraud", {
  cloud: "aws",
  region: config.require("region"),
  profile: config.get("profile") === "production" ? "production" : "dev",
  aws: {
    // Who may reach the Kubernetes API: your public address (dev, public endpoint), or the private
    // range of the runner VPC when profile is production (then also set fraud-detection:runnerVpc).
    authorizedCidrs: config.requireObject<string[]>("authorizedCidrs"),
    network: runnerVpc === undefined ? undefined : { runnerVpc },
    gpuPools: [{ name: "train", instanceType: "g5.xlarge", minNodes: 0, maxNodes: 2, spot: true }],
  },
  serving: { gpus: 0, minReplicas: 2, maxReplicas: 10, resources: { cpuLimit: "2", memoryLimit: "2Gi" } },
  retraining: {
    policy: {
      model: "fraud",
      // Fraud patterns move with the merchants involved; amount and hour drift alone also count.
      trigger: { datasetDrift: true, features: ["amount", "merchant_category"], persistChecks: 3 },
      // A fraud model is judged on ranking: the retrained one must beat the champion's ROC AUC.
      gate: { metric: "rocAuc", minImprovement: 0.002 },
      rollout: { steps: [0.05, 0.25, 1], dwellSeconds: 600 },
    },
    training: { trainOnGpu: true, gpus: 1, resources: { cpuRequest: "2", memoryRequest: "8Gi", cpuLimit: "4", memoryLimit: "14Gi" } },
    // Each training Job reads its data from the S3 model store; a claim for the controller's logs is optional.
    ...(config.get("trainingWorkClaim") ? { workVolume: { claimName: config.require("trainingWorkClaim") } } : {}),
  },
});

export const endpoint = platform.endpoint;
export const kubeconfig = platform.kubeconfig;
export const registryUrl = platform.registryUrl;
export const bucketUrl = platform.bucketUrl;
export const grafanaUrl = platform.grafanaUrl;
