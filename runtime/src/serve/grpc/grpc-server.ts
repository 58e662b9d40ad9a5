import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { describeError } from "../../errors.ts";
import { openInferenceService } from "./open-inference-service.ts";
import { serviceDefinition } from "./protos.ts";
import { modelService, predictionService } from "./tf-serving-service.ts";
import type { GrpcContext } from "./unary-call.ts";

/** Service names, as clients and grpc.health.v1 name them. */
export const GRPC_SERVICES = {
  prediction: "tensorflow.serving.PredictionService",
  model: "tensorflow.serving.ModelService",
  inference: "inference.GRPCInferenceService",
} as const;

/** Where the gRPC APIs listen; null turns one off, 0 picks a free port. Equal ports serve both APIs on one listener. */
export interface GrpcOptions {
  host: string;
  /** TF Serving's PredictionService + ModelService. */
  tfServingPort: number | null;
  /** The Open Inference Protocol's GRPCInferenceService. */
  inferencePort: number | null;
  /** Largest request message accepted, in bytes (larger ones get RESOURCE_EXHAUSTED). */
  maxMessageBytes: number;
}

/** The bound addresses (`host:port`), once listening. */
export interface GrpcAddresses {
  tfServing: string | undefined;
  inference: string | undefined;
}

/** The gRPC side of the model server: one grpc-js Server per distinct port, each with grpc.health.v1. */
export interface GrpcServing {
  /** Binds the ports; resolves with the addresses. */
  listen(): Promise<GrpcAddresses>;
  /** Reports NOT_SERVING, lets in-flight calls finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the gRPC listeners. Health (grpc.health.v1.Health/Check and Watch) answers for the
 * overall server ("") and each service: SERVING once every model's default version is loaded,
 * NOT_SERVING before that and while shutting down.
 */
export function createGrpcServing(ctx: GrpcContext, options: GrpcOptions): GrpcServing {
  // Keyed by port; port 0 (any free port) is a listener of its own each time.
  const groups = new Map<number | symbol, { port: number; server: Server; services: string[] }>();
  const keys = new Map<string, number | symbol>();
  const add = (port: number | null, services: () => [string, UntypedServiceImplementation][]) => {
    if (port === null) return;
    const key = port === 0 ? Symbol("any free port") : port;
    let g = groups.get(key);
    if (!g) {
      g = { port, server: new Server({ "grpc.max_receive_message_length": options.maxMessageBytes }), services: [] };
      groups.set(key, g);
    }
    for (const [name, impl] of services()) {
      keys.set(name, key);
      g.server.addService(serviceDefinition(name), impl);
      g.services.push(name);
    }
  };
  add(options.tfServingPort, () => [
    [GRPC_SERVICES.prediction, predictionService(ctx)],
    [GRPC_SERVICES.model, modelService(ctx)],
  ]);
  add(options.inferencePort, () => [[GRPC_SERVICES.inference, openInferenceService(ctx)]]);

  const healths = [...groups.values()].map((g) => {
    const health = new HealthImplementation({ "": "NOT_SERVING", ...Object.fromEntries(g.services.map((s) => [s, "NOT_SERVING"])) });
    health.addToServer(g.server);
    return { health, services: ["", ...g.services] };
  });
  let last: boolean | undefined;
  let closing = false;
  const report = () => {
    const serving = !closing && ctx.pool.ready;
    if (serving === last) return;
    last = serving;
    for (const h of healths) for (const s of h.services) h.health.setStatus(s, serving ? "SERVING" : "NOT_SERVING");
  };
  let ticker: NodeJS.Timeout | undefined;
  const bound = new Map<number | symbol, number>();

  return {
    async listen() {
      try {
        for (const [key, { port, server }] of groups) {
          const actual = await new Promise<number>((resolve, reject) =>
            server.bindAsync(`${options.host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen for gRPC on ${options.host}:${port}: ${describeError(err)}`)) : resolve(p))),
          );
          bound.set(key, actual);
        }
      } catch (err) {
        for (const g of groups.values()) g.server.forceShutdown();
        throw err;
      }
      report();
      ticker = setInterval(report, 1000);
      ticker.unref();
      const address = (service: string) => {
        const key = keys.get(service);
        return key === undefined ? undefined : `${options.host}:${bound.get(key)}`;
      };
      return { tfServing: address(GRPC_SERVICES.prediction), inference: address(GRPC_SERVICES.inference) };
    },
    async close(graceMs = 10_000) {
      clearInterval(ticker);
      closing = true;
      report();
      await Promise.all(
        [...groups.values()].map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => server.forceShutdown(), graceMs);
              force.unref();
              server.tryShutdown(() => {
                clearTimeout(force);
                resolve();
              });
            }),
        ),
      );
    },
  };
}
