// What `pulumi-mlops synth` pretends GCP computes and answers (see platform/cloud-module.ts CloudSynth).
import type { CloudSynth } from "../platform/cloud-module.ts";

const projectOf = (config: Readonly<Record<string, string>>): string => config["gcp:project"] ?? "synth-project";

export const gcpSynth: CloudSynth = {
  prefix: "gcp:",
  outputs(type, name, inputs, config) {
    const project = projectOf(config);
    switch (type) {
      case "gcp:serviceaccount/account:Account": {
        const email = `${inputs.accountId}@${inputs.project ?? project}.iam.gserviceaccount.com`;
        return { email, member: `serviceAccount:${email}`, name: `projects/${inputs.project ?? project}/serviceAccounts/${email}` };
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
    return {};
  },
  invokes: {
    "gcp:organizations/getProject:getProject": "the gcp:project config, else synth-project",
    "gcp:organizations/getClientConfig:getClientConfig": "project, region, zone from config",
    "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo": "the user synth@example.com (the identity running pulumi up)",
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": "the Cloud Storage service agent of project number 123456789012",
  },
  call(token, inputs, config) {
    const project = projectOf(config);
    switch (token) {
      case "gcp:organizations/getProject:getProject": {
        return { projectId: project, number: "123456789012", name: project, id: `projects/${project}` };
      }
      case "gcp:organizations/getClientConfig:getClientConfig":
        return { project, region: config["gcp:region"] ?? "us-central1", zone: config["gcp:zone"] ?? "", accessToken: "synth", id: "synth" };
      case "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo":
        return { email: "synth@example.com", id: "synth@example.com" };
      case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
        const email = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com";
        return { emailAddress: email, member: `serviceAccount:${email}`, project: inputs.project ?? project, id: email };
      }
    }
    return undefined;
  },
};
