import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "pulumi-mlops";

// Spam filtering on AKS. Spammers change their messages every day, so besides drift-triggered
// retraining a CronJob runs one retraining pass every night at 02:00 on the latest user reports
// ("not spam" / "spam" feedback), trained on a spot T4 node that scales back to zero afterwards.
const config = new pulumi.Config();
const platform = new MlopsPlatform("spam", {
  cloud: "azure",
  region: config.require("region"),
  profile: config.get("profile") === "production" ? "production" : "dev",
  azure: {
    // Who may reach the Kubernetes API (the dev profile gives AKS a public endpoint): your address.
    authorizedCidrs: config.requireObject<string[]>("authorizedCidrs"),
    gpuPools: [{ name: "t4", vmSize: "Standard_NC4as_T4_v3", minNodes: 0, maxNodes: 1, spot: true }],
  },
  serving: { minReplicas: 2, maxReplicas: 8 },
  retraining: {
    schedule: "0 2 * * *",
    policy: {
      model: "spam",
      trigger: { datasetDrift: true, persistChecks: 2 },
      // Recent reports matter most: train on the newest 20k labelled messages on top of the reference.
      training: { includeReference: true, recentRows: 20_000, holdoutRows: 1000 },
      gate: { metric: "rocAuc", minImprovement: 0 },
    },
    training: { trainOnGpu: true },
  },
});

export const endpoint = platform.endpoint;
export const kubeconfig = platform.kubeconfig;
export const registryUrl = platform.registryUrl;
export const bucketUrl = platform.bucketUrl;
export const grafanaUrl = platform.grafanaUrl;
