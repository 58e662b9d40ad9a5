import * as pulumi from "@pulumi/pulumi";
import { recordDependencies, setupPulumiMocks } from "../../helpers/pulumi-mocks.ts";

/** Project and number the GCP invokes answer with. */
export const TEST_PROJECT = { id: "test-project", number: "123456789012" };

/** The identity the mocked `getClientOpenIdUserInfo` answers: the one running `pulumi up`. */
export const TEST_RUNNER_EMAIL = "deployer@example.com";

/**
 * Pulumi mocks for the GCP components: resources echo their inputs plus the outputs GCP computes
 * that the component reads (service-account emails and members, cluster endpoint and CA, bucket
 * names), and the GCP invokes the component calls get fixed answers; any other invoke throws.
 * `dependenciesOf(name)` lists what a resource waits for.
 */
export function setupGcpMocks(opts: { config?: Record<string, string>; runnerEmail?: string } = {}) {
  // Like `pulumi-mlops synth`: nothing reaches Google (no registry readiness probe); tests of the
  // live path set it to "0" themselves.
  process.env.PULUMI_MLOPS_SYNTH = "1";
  const mocks = setupPulumiMocks({
    config: opts.config,
    cloud: {
      outputs(args: pulumi.runtime.MockResourceArgs, s: Record<string, any>) {
        const project = s.project ?? TEST_PROJECT.id;
        switch (args.type) {
          case "gcp:serviceaccount/account:Account": {
            s.email = `${s.accountId}@${project}.iam.gserviceaccount.com`;
            s.member = `serviceAccount:${s.email}`;
            s.name = `projects/${project}/serviceAccounts/${s.email}`;
            break;
          }
          case "gcp:projects/serviceIdentity:ServiceIdentity": {
            s.email = `service-${TEST_PROJECT.number}@gcp-sa-${String(s.service).split(".")[0]}.iam.gserviceaccount.com`;
            s.member = `serviceAccount:${s.email}`;
            break;
          }
          case "gcp:container/cluster:Cluster":
            s.name = s.name ?? `${args.name}-1234567`;
            s.endpoint = "203.0.113.10";
            s.masterAuth = { clusterCaCertificate: "Q0EtUEVN" };
            break;
          case "gcp:storage/bucket:Bucket":
            s.name = s.name ?? `${args.name}-abcdef`;
            break;
          case "gcp:artifactregistry/repository:Repository":
            s.name = s.repositoryId;
            break;
        }
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "gcp:organizations/getClientConfig:getClientConfig":
            return { project: TEST_PROJECT.id, region: "us-central1", zone: "", accessToken: "ya29.test-token", id: "client" };
          case "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo":
            return { email: opts.runnerEmail ?? TEST_RUNNER_EMAIL, id: opts.runnerEmail ?? TEST_RUNNER_EMAIL };
          case "gcp:organizations/getProject:getProject":
            return { projectId: args.inputs.projectId ?? TEST_PROJECT.id, number: TEST_PROJECT.number, name: "test", id: `projects/${TEST_PROJECT.id}` };
          case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
            const email = `service-${TEST_PROJECT.number}@gs-project-accounts.iam.gserviceaccount.com`;
            return { emailAddress: email, member: `serviceAccount:${email}`, project: args.inputs.project ?? TEST_PROJECT.id, id: email };
          }
          default:
            throw new Error(`unmocked invoke ${args.token}`);
        }
      },
    },
  });
  return { ...mocks, ...recordDependencies(mocks) };
}
