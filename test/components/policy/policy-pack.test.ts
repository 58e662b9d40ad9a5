import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

// The pack runs the way `pulumi preview --policy-pack policy` starts it: the CLI's
// pulumi-analyzer-policy shim resolves @pulumi/pulumi/cmd/run-policy-pack from the pack directory
// and runs it there with `<engine-address> .`; the pack prints its gRPC port and serves Pulumi's
// Analyzer service, which this test calls as the engine would.
const PACK_DIR = fileURLToPath(new URL("../../../policy/", import.meta.url));
const packRequire = createRequire(path.join(PACK_DIR, "package.json"));
const RUNNER = packRequire.resolve("@pulumi/pulumi/cmd/run-policy-pack");
const sdkRequire = createRequire(RUNNER);
const grpc = sdkRequire("@grpc/grpc-js");
const analyzerGrpc = sdkRequire("../../proto/analyzer_grpc_pb.js");
const analyzerPb = sdkRequire("../../proto/analyzer_pb.js");
const structPb = sdkRequire("google-protobuf/google/protobuf/struct_pb.js");

/** The SDK's sentinel for an unknown number during preview. */
const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const urn = (type: string, name: string) => `urn:pulumi:dev::pulumi-mlops::${type}::${name}`;

interface Diagnostic {
  policy: string;
  message: string;
  level: number;
}

describe("the policy pack under @pulumi/policy's own runner", () => {
  let child: ChildProcess;
  let client: any;
  let stderr = "";
  const call = (method: string, request: unknown): Promise<any> => new Promise((resolve, reject) => client[method](request, (err: unknown, resp: unknown) => (err ? reject(err) : resolve(resp))));
  const diagnostics = (resp: any): Diagnostic[] => resp.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), message: d.getMessage(), level: d.getEnforcementlevel() }));

  const analyze = async (type: string, name: string, props: Record<string, unknown>) => {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(urn(type, name));
    req.setProperties(structPb.Struct.fromJavaScript(props));
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return diagnostics(await call("analyze", req));
  };

  const resource = (type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, string[]> = {}) => {
    const r = new analyzerPb.AnalyzerResource();
    r.setType(type);
    r.setName(name);
    r.setUrn(urn(type, name));
    r.setProperties(structPb.Struct.fromJavaScript(props));
    r.setOptions(new analyzerPb.AnalyzerResourceOptions());
    for (const [key, urns] of Object.entries(propertyDependencies)) {
      const deps = new analyzerPb.AnalyzerPropertyDependencies();
      deps.setUrnsList(urns);
      r.getPropertydependenciesMap().set(key, deps);
    }
    return r;
  };

  before(async () => {
    child = spawn(process.execPath, [RUNNER, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no port within 90s; stderr: ${stderr}`)), 90_000);
      child.stdout!.on("data", (d) => {
        out += d;
        const line = out.split("\n")[0]!.trim();
        if (out.includes("\n") && /^\d+$/.test(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}; stdout: ${out}; stderr: ${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("serves the pack with its six mandatory rules", async () => {
    const info = await call("getAnalyzerInfo", new analyzerGrpc.AnalyzerService.getAnalyzerInfo.requestType());
    assert.equal(info.getName(), "pulumi-mlops-security");
    assert.equal(info.getVersion(), "0.1.0");
    assert.deepEqual(
      info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]),
      ["no-public-buckets", "storage-encrypted", "no-public-endpoint-in-production", "no-open-api-endpoint", "gpu-pools-tainted-and-scale-to-zero", "containers-non-root-with-limits"].map((n) => [n, analyzerPb.EnforcementLevel.MANDATORY]),
    );
  });

  it("blocks a GPU node group that cannot scale to zero", async () => {
    const found = await analyze("aws:eks/nodeGroup:NodeGroup", "mlops-gpu-a10g", {
      amiType: "AL2023_x86_64_NVIDIA",
      instanceTypes: ["g5.xlarge"],
      taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
      scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
    });
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]!.policy, "gpu-pools-tainted-and-scale-to-zero");
    assert.equal(found[0]!.level, analyzerPb.EnforcementLevel.MANDATORY);
    assert.match(found[0]!.message, /aws:eks\/nodeGroup:NodeGroup "mlops-gpu-a10g": scalingConfig\.minSize is 1; GPU pools must scale to zero/);
  });

  it("passes over a value that is unknown during preview instead of failing the rule", async () => {
    const found = await analyze("aws:eks/nodeGroup:NodeGroup", "gpu", {
      amiType: "AL2023_x86_64_NVIDIA",
      taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
      scalingConfig: { minSize: UNKNOWN_NUMBER, desiredSize: 0, maxSize: 2 },
    });
    assert.deepEqual(found, []);
  });

  it("checks the Kubernetes objects a program registers", async () => {
    const found = await analyze("kubernetes:apps/v1:Deployment", "serving", { spec: { template: { spec: { containers: [{ name: "runtime", image: "r:1" }] } } } });
    assert.deepEqual(
      found.map((d) => d.policy),
      Array(4).fill("containers-non-root-with-limits"),
    );
  });

  it("matches a public access block to its bucket through the engine's property dependencies during preview", async () => {
    const bucket = resource("aws:s3/bucket:Bucket", "models", { forceDestroy: false });
    const block = resource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "models-pab",
      { bucket: UNKNOWN_STRING, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { bucket: [urn("aws:s3/bucket:Bucket", "models")] },
    );
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList([bucket, block]);
    const found = diagnostics(await call("analyzeStack", req));
    assert.deepEqual(found.filter((d) => d.policy === "no-public-buckets"), []);
    assert.deepEqual(
      found.filter((d) => d.policy === "storage-encrypted").map((d) => d.message.split("\n").pop()),
      [
        'aws:s3/bucket:Bucket "models": no aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration refers to it; S3 buckets must have default encryption',
        'aws:s3/bucket:Bucket "models": no bucket policy denies requests with aws:SecureTransport "false"; S3 buckets must only be reachable over TLS',
      ],
    );

    const alone = new analyzerPb.AnalyzeStackRequest();
    alone.setResourcesList([resource("aws:s3/bucket:Bucket", "models", {})]);
    const missing = diagnostics(await call("analyzeStack", alone)).filter((d) => d.policy === "no-public-buckets");
    assert.equal(missing.length, 1);
    assert.match(missing[0]!.message, /no aws:s3\/bucketPublicAccessBlock:BucketPublicAccessBlock refers to it/);
  });

  it("blocks a dev cluster whose public API endpoint is open to 0.0.0.0/0, and passes one limited to a CIDR", async () => {
    const open = (await analyze("aws:eks/cluster:Cluster", "eks", { roleArn: "arn", vpcConfig: { subnetIds: ["a"], endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] } })).filter((d) => d.policy === "no-open-api-endpoint");
    assert.equal(open.length, 1, JSON.stringify(open));
    assert.equal(open[0]!.level, analyzerPb.EnforcementLevel.MANDATORY);
    assert.match(open[0]!.message, /vpcConfig\.publicAccessCidrs\[0\] is "0\.0\.0\.0\/0"; the public EKS API endpoint is open to every address/);
    const aks = (await analyze("azure-native:containerservice:ManagedCluster", "aks", { apiServerAccessProfile: { authorizedIPRanges: ["198.51.100.7/32"] } })).filter((d) => d.policy === "no-open-api-endpoint");
    assert.deepEqual(aks, []);
  });

  it("applies policy config sent by the engine (production: true)", async () => {
    const eks = { roleArn: "arn", vpcConfig: { subnetIds: ["a"], endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] } };
    assert.deepEqual((await analyze("aws:eks/cluster:Cluster", "eks", eks)).filter((d) => d.policy === "no-public-endpoint-in-production"), []);
    const configure = new analyzerPb.ConfigureAnalyzerRequest();
    const config = new analyzerPb.PolicyConfig();
    config.setEnforcementlevel(analyzerPb.EnforcementLevel.MANDATORY);
    config.setProperties(structPb.Struct.fromJavaScript({ production: true }));
    configure.getPolicyconfigMap().set("no-public-endpoint-in-production", config);
    await call("configure", configure);
    const found = (await analyze("aws:eks/cluster:Cluster", "eks", eks)).filter((d) => d.policy === "no-public-endpoint-in-production");
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /vpcConfig\.endpointPublicAccess is true; production EKS clusters must not expose a public API endpoint/);
  });
});
