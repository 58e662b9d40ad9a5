import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "pulumi-mlops";

// Churn prediction on GKE. A retrained model earns traffic slowly: it first scores a shadow copy
// of live traffic for an hour, then serves 5 %, 20 % and 50 % of requests for a day each, and is
// rolled back at once if its error rate, p99 latency or live accuracy falls behind the champion.
const config = new pulumi.Config();
const platform = new MlopsPlatform("churn", {
  cloud: "gcp",
  region: config.require("region"),
  profile: config.get("profile") === "production" ? "production" : "dev",
  // Churn models are small: CPU only, no GPU node pool at all.
  // Who may reach the Kubernetes API (the dev profile gives GKE a public endpoint): your address.
  gcp: { gpuPools: [], authorizedCidrs: config.requireObject<string[]>("authorizedCidrs") },
  serving: { minReplicas: 2, maxReplicas: 6 },
  retraining: {
    policy: {
      model: "churn",
      trigger: { datasetDrift: true, qualityDrop: { metric: "accuracy", threshold: 0.8, minLabelled: 500 }, persistChecks: 6 },
      gate: { metric: "accuracy", minImprovement: 0.005, minHoldoutRows: 500 },
      rollout: {
        shadowSeconds: 3600,
        steps: [0.05, 0.2, 0.5, 1],
        dwellSeconds: 86_400,
        minRequestsPerStep: 2000,
        health: { maxErrorRate: 0.005, maxP99LatencyMs: 150, maxQualityDrop: 0.01, minLabelled: 200 },
      },
    },
  },
});

export const endpoint = platform.endpoint;
export const kubeconfig = platform.kubeconfig;
export const registryUrl = platform.registryUrl;
export const bucketUrl = platform.bucketUrl;
export const grafanaUrl = platform.grafanaUrl;
