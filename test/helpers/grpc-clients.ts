/**
 * gRPC clients for tests, built the way a Node application builds them from .proto files:
 * @grpc/proto-loader over runtime/protos (and grpc.health.v1 from grpc-health-check), then
 * grpc.loadPackageDefinition. Nothing here shares code with the server's own protobufjs setup.
 */
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProto } from "grpc-health-check";

/** runtime/protos in this checkout. */
export const PROTOS = path.resolve(import.meta.dirname, "../../runtime/protos");

const definition = protoLoader.loadSync(
  ["tensorflow_serving/apis/prediction_service.proto", "tensorflow_serving/apis/model_service.proto", "kserve/open_inference_grpc.proto", healthProto],
  { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTOS] },
);
const pkg = grpc.loadPackageDefinition(definition) as any;

/** A unary call's outcome: the response, or the gRPC error; plus the response headers. */
export interface CallResult<T = any> {
  response?: T;
  error?: grpc.ServiceError;
  headers: grpc.Metadata;
}

type Client = grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: unknown) => void) => grpc.ClientUnaryCall>;

/** Calls `method` on `client`; never rejects, so tests can assert on error codes. */
export function call<T = any>(client: Client, method: string, request: unknown): Promise<CallResult<T>> {
  return new Promise((resolve) => {
    let headers = new grpc.Metadata();
    const c = client[method]!(request, new grpc.Metadata(), (error, response) => resolve({ response: (response ?? undefined) as T | undefined, error: error ?? undefined, headers }));
    c.on("metadata", (md: grpc.Metadata) => (headers = md));
  });
}

const options = { "grpc.max_send_message_length": 64 * 1024 * 1024 };

/** Clients for every service at `address` (host:port). */
export function grpcClients(address: string) {
  const creds = grpc.credentials.createInsecure();
  return {
    prediction: new pkg.tensorflow.serving.PredictionService(address, creds, options) as Client,
    model: new pkg.tensorflow.serving.ModelService(address, creds, options) as Client,
    inference: new pkg.inference.GRPCInferenceService(address, creds, options) as Client,
    health: new pkg.grpc.health.v1.Health(address, creds) as Client,
    close() {
      for (const c of [this.prediction, this.model, this.inference, this.health]) c.close();
    },
  };
}
