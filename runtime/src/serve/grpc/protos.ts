import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";

/**
 * The gRPC protocol definitions under runtime/protos (TF Serving's PredictionService and
 * ModelService, the Open Inference Protocol's GRPCInferenceService), loaded once with protobufjs.
 * Messages decode to protobufjs message objects with the proto's own (snake_case) field names;
 * 64-bit integers arrive as Long (see {@link toNumber}).
 */

const here = path.dirname(fileURLToPath(import.meta.url));

/** runtime/protos, from the source tree (runtime/src/serve/grpc) or a build (dist/runtime/src/serve/grpc). */
export const PROTO_DIR: string =
  [path.resolve(here, "../../../protos"), path.resolve(here, "../../../../../runtime/protos")].find((d) => existsSync(path.join(d, "README.md"))) ??
  path.resolve(here, "../../../protos");

/** The service files the server loads; each imports what it needs from PROTO_DIR. */
export const SERVICE_PROTOS = [
  "tensorflow_serving/apis/prediction_service.proto",
  "tensorflow_serving/apis/model_service.proto",
  "kserve/open_inference_grpc.proto",
] as const;

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // google/protobuf/* (Any, Int64Value) come bundled with protobufjs.
  root.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : path.join(PROTO_DIR, target));
  root.loadSync([...SERVICE_PROTOS], { keepCase: true });
  root.resolveAll();
  return root;
}

let cached: protobuf.Root | undefined;
/** The loaded definitions (loaded on first use). */
export function protoRoot(): protobuf.Root {
  cached ??= loadRoot();
  return cached;
}

/** A message type by its full name (`tensorflow.serving.SignatureDefMap`). */
export const messageType = (name: string): protobuf.Type => protoRoot().lookupType(name);

/** A grpc-js service definition for `service` (`tensorflow.serving.PredictionService`), encoding with protobufjs. */
export function serviceDefinition(service: string): ServiceDefinition {
  const svc = protoRoot().lookupService(service);
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${service}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v) => Buffer.from(req.encode(v as protobuf.Message).finish()),
      requestDeserialize: (b) => req.decode(b),
      responseSerialize: (v) => {
        const bytes = res.encode(v as protobuf.Message).finish();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      responseDeserialize: (b) => res.decode(b),
      originalName: m.name,
    };
  }
  return def;
}

/** A protobuf int64 (Long, or a number when protobufjs runs without long support) as a number. */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v !== null && typeof v === "object" && "toNumber" in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}
