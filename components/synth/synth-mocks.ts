import type * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { computedOutputs } from "./cloud-outputs.ts";

/** Invoke tokens {@link SynthMocks} answers, with what it answers. */
export const MOCKED_INVOKES: Readonly<Record<string, string>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": "account 123456789012, arn of a synth user",
  "aws:index/getRegion:getRegion": "the aws:region config, else us-east-1",
  "aws:index/getPartition:getPartition": "aws",
  "aws:index/getAvailabilityZones:getAvailabilityZones": "<region>a, b, c",
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": "user AWS and a fake token for the requested registry",
  "gcp:organizations/getProject:getProject": "the gcp:project config, else synth-project",
  "gcp:organizations/getClientConfig:getClientConfig": "project, region, zone from config",
  "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo": "the user synth@example.com (the identity running pulumi up)",
  "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": "the Cloud Storage service agent of project number 123456789012",
  "azure-native:authorization:getClientConfig": "fixed client, object, subscription and tenant ids",
  "azure-native:containerservice:listManagedClusterUserCredentials": "a base64 kubeconfig for https://synth.invalid (AKS user credentials)",
  "azure-native:authorization:getClientToken": "a fake Entra ID token for the requested endpoint",
  "azure-native:keyvault:getKey": "the key's URIs, version synth0002 (the current version after a rotation)",
  "kubernetes:yaml:decode": "the YAML text's documents, parsed",
  "kubernetes:helm:template": "no objects (synth does not fetch charts)",
};

/**
 * Pulumi mocks for synth: every resource's state is its inputs (plus a deterministic id, a
 * `metadata.name` for Kubernetes objects that leave it to auto-naming, the outputs the cloud
 * would compute from {@link computedOutputs}, an `arn` for AWS), and
 * the invokes in {@link MOCKED_INVOKES} get plausible answers; any other invoke returns `{}` and
 * is remembered in {@link unknownInvokes}.
 */
export class SynthMocks implements pulumi.runtime.Mocks {
  /** Invoke tokens the mocks had no answer for, in first-call order. */
  readonly unknownInvokes: string[] = [];
  readonly #config: Record<string, string>;

  constructor(config: Record<string, string>) {
    this.#config = config;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const ctx = { awsRegion: this.#config["aws:region"] ?? "us-east-1", gcpProject: this.#config["gcp:project"] ?? "synth-project", azureSubscription: "00000000-0000-0000-0000-000000000003" };
    const state: Record<string, unknown> = { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs, ctx) };
    if (args.type.startsWith("kubernetes:") && args.custom) {
      const metadata = (state.metadata ?? {}) as Record<string, unknown>;
      state.metadata = { ...metadata, name: metadata.name ?? args.name };
    }
    if (args.type.startsWith("aws:") && state.arn === undefined) state.arn = `arn:aws:synth:::${args.name}`;
    return { id: args.custom ? args.id || `${args.name}-id` : undefined, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    const region = this.#config["aws:region"] ?? "us-east-1";
    switch (args.token) {
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
      case "gcp:organizations/getProject:getProject": {
        const project = this.#config["gcp:project"] ?? "synth-project";
        return { projectId: project, number: "123456789012", name: project, id: `projects/${project}` };
      }
      case "gcp:organizations/getClientConfig:getClientConfig":
        return { project: this.#config["gcp:project"] ?? "synth-project", region: this.#config["gcp:region"] ?? "us-central1", zone: this.#config["gcp:zone"] ?? "", accessToken: "synth", id: "synth" };
      case "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo":
        return { email: "synth@example.com", id: "synth@example.com" };
      case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
        const email = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com";
        return { emailAddress: email, member: `serviceAccount:${email}`, project: inputs.project ?? this.#config["gcp:project"] ?? "synth-project", id: email };
      }
      case "azure-native:authorization:getClientConfig":
        return { clientId: "00000000-0000-0000-0000-000000000001", objectId: "00000000-0000-0000-0000-000000000002", subscriptionId: "00000000-0000-0000-0000-000000000003", tenantId: "00000000-0000-0000-0000-000000000004" };
      case "azure-native:containerservice:listManagedClusterUserCredentials": {
        const kubeconfig = [
          "apiVersion: v1",
          "kind: Config",
          "clusters: [{ name: synth, cluster: { server: \"https://synth.invalid\" } }]",
          "contexts: [{ name: synth, context: { cluster: synth, user: synth } }]",
          "current-context: synth",
          "users: [{ name: synth, user: { token: synth } }]",
          "",
        ].join("\n");
        return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
      }
      case "azure-native:authorization:getClientToken":
        return { token: `synth-token-for-${String(inputs.endpoint ?? "arm")}` };
      case "azure-native:keyvault:getKey": {
        const uri = `https://${String(inputs.vaultName)}.vault.azure.net/keys/${String(inputs.keyName)}`;
        return { name: inputs.keyName, keyUri: uri, keyUriWithVersion: `${uri}/synth0002`, id: uri, type: "Microsoft.KeyVault/vaults/keys", kty: "RSA" };
      }
      case "kubernetes:yaml:decode":
        return { result: parseAllDocuments(String(inputs.text ?? "")).map((d) => d.toJS()).filter((d) => d !== null && d !== undefined) };
      case "kubernetes:helm:template":
        return { result: [] };
      default:
        if (!this.unknownInvokes.includes(args.token)) this.unknownInvokes.push(args.token);
        return {};
    }
  }
}
