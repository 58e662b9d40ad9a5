import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, with the inputs it was given. */
export interface RecordedResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Logical name. */
  name: string;
  /** Inputs, fully resolved. */
  inputs: Record<string, any>;
}

/** One invoke the program made. */
export interface RecordedInvoke {
  token: string;
  inputs: Record<string, any>;
}

/** What {@link setupPulumiMocks} hands back. */
export interface PulumiMocks {
  /** Every resource registered so far, in order. */
  readonly resources: RecordedResource[];
  /** Every invoke made so far, in order. */
  readonly invokes: RecordedInvoke[];
  /** Resources of one type token. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this logical name (and type, when names repeat across types); throws when absent. */
  named(name: string, type?: string): RecordedResource;
  /** Forgets the recorded resources and invokes (between tests). */
  reset(): void;
  /** Waits until no new resource has been registered for a few turns of the event loop. */
  settle(): Promise<void>;
}

/** How a cloud's test mocks extend the echoing defaults of {@link setupPulumiMocks}. */
export interface MockCloud {
  /** Adds the outputs the cloud computes to `state` (the echoed inputs); may return an id to use instead of `<name>-id`. */
  outputs?(args: pulumi.runtime.MockResourceArgs, state: Record<string, any>): string | void;
  /** Answers an invoke. @default - echoes its inputs */
  call?(args: pulumi.runtime.MockCallArgs): Record<string, any>;
}

/**
 * Installs Pulumi's mocks for this process: every resource is recorded with its inputs and gets
 * them back as outputs (Kubernetes objects also get `metadata.name` = their logical name when
 * none was set, as autonaming would, and `cloud.outputs` adds what a cloud computes); invokes are
 * recorded and echo their arguments unless `cloud.call` answers them.
 */
export function setupPulumiMocks(opts: { project?: string; stack?: string; preview?: boolean; config?: Record<string, string>; cloud?: MockCloud } = {}): PulumiMocks {
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  for (const [k, v] of Object.entries(opts.config ?? {})) pulumi.runtime.setConfig(k, v);
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, any> = { ...args.inputs };
        if (args.type.startsWith("kubernetes:") && typeof state.metadata === "object" && state.metadata !== null) {
          state.metadata = { ...state.metadata, name: state.metadata.name ?? args.name };
        }
        const id = opts.cloud?.outputs?.(args, state);
        return { id: id ?? `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        invokes.push({ token: args.token, inputs: args.inputs });
        return opts.cloud?.call ? opts.cloud.call(args) : args.inputs;
      },
    },
    opts.project ?? "pulumi-mlops",
    opts.stack ?? "test",
    opts.preview ?? false,
  );
  return {
    resources,
    invokes,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(name, type) {
      const r = resources.find((x) => x.name === name && (type === undefined || x.type === type));
      if (!r) throw new Error(`no resource named ${name}${type ? ` of type ${type}` : ""}; have: ${resources.map((x) => `${x.type}::${x.name}`).join(", ")}`);
      return r;
    },
    reset() {
      resources.length = 0;
      invokes.length = 0;
    },
    async settle() {
      let last = -1;
      let stable = 0;
      while (stable < 5) {
        await new Promise((r) => setTimeout(r, 5));
        if (resources.length === last) stable++;
        else {
          stable = 0;
          last = resources.length;
        }
      }
    },
  };
}

/**
 * What each resource waits for, as the SDK tells the engine (explicit `dependsOn` and the
 * resources its inputs come from), by logical name: the mock monitor's `newResource` does not see
 * it, so the gRPC request is read on the way in, as `mlops synth` reads parents. Call right after
 * {@link setupPulumiMocks}; the returned `reset` also forgets the mocks' records.
 */
export function recordDependencies(mocks: { reset(): void }) {
  type Req = { getType(): string; getName(): string; getDependenciesList(): string[] };
  type Resp = { getUrn(): string };
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Req, cb: (err: unknown, resp?: Resp) => void): void };
  const names = new Map<string, string>();
  const deps: { type: string; name: string; urns: string[] }[] = [];
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    deps.push({ type: req.getType(), name: req.getName(), urns: req.getDependenciesList() });
    original(req, (err, resp) => {
      if (resp) names.set(resp.getUrn(), req.getName());
      cb(err, resp);
    });
  };
  const reset = mocks.reset.bind(mocks);
  return {
    /** Logical names of the resources the one named `name` (of `type`, when names repeat) waits for. */
    dependenciesOf(name: string, type?: string): string[] {
      const found = deps.filter((d) => d.name === name && (type === undefined || d.type === type));
      if (found.length !== 1) throw new Error(`${found.length} resources named ${name}${type ? ` of type ${type}` : ""}`);
      return (found[0] as (typeof deps)[number]).urns.map((u) => names.get(u) ?? u);
    },
    reset() {
      reset();
      deps.length = 0;
    },
  };
}

/** The value of an Output (under mocks every Output resolves). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** GPU facts of a typical tainted GPU pool, for tests. */
export const TEST_GPU = {
  nodeSelector: { "mlops.dev/gpu": "true" },
  taints: [
    { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" as const },
    { key: "mlops.dev/spot", effect: "NoExecute" as const },
  ],
  resourceName: "nvidia.com/gpu",
  driverInstalled: true,
  devicePluginInstalled: false,
};

/**
 * A ClusterHandle for tests (call after {@link setupPulumiMocks}): a mocked Kubernetes provider,
 * a bucket model store and a workload-identity annotation; `gpu: true` adds {@link TEST_GPU}.
 */
export async function testClusterHandle(opts: { gpu?: boolean; pvc?: boolean } = {}) {
  const k8s = await import("@pulumi/kubernetes");
  const provider = new k8s.Provider("test-provider", {});
  return {
    provider,
    name: "test",
    gpu: opts.gpu ? TEST_GPU : undefined,
    registryUrl: "registry.example.com/mlops",
    modelStore: opts.pvc ? { kind: "pvc" as const, claimName: "models", mountPath: "/var/lib/mlops/registry" } : { kind: "bucket" as const, url: "s3://models-bucket" },
    workloadIdentity: {
      annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123:role/mlops" },
      labels: { "azure.workload.identity/use": "true" },
      podLabels: { "azure.workload.identity/use": "true" },
    },
    runtimeEnv: { AWS_REGION: "us-east-1" },
  };
}
