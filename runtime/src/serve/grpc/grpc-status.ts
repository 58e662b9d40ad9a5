import { Metadata, type ServiceError, status as Status } from "@grpc/grpc-js";
import { MlopsError } from "../../errors.ts";

/**
 * gRPC status for an error the server reports. Both protocols map errors the way their reference
 * servers do (TF Serving returns its tensorflow::Status code, which shares gRPC's numbering;
 * Triton maps its error kinds the same way): a bad request is INVALID_ARGUMENT, an unknown model,
 * version or label NOT_FOUND ("Servable not found for request: ..."), a model not loaded yet or a
 * full batching queue UNAVAILABLE (clients retry those), a conflict ABORTED, a body over the limit
 * RESOURCE_EXHAUSTED, anything else INTERNAL.
 */
export function grpcCode(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
    case 422:
      return Status.INVALID_ARGUMENT;
    case 404:
      return Status.NOT_FOUND;
    case 405:
      return Status.UNIMPLEMENTED;
    case 409:
      return Status.ABORTED;
    case 413:
      return Status.RESOURCE_EXHAUSTED;
    case 503:
      return Status.UNAVAILABLE;
    case 504:
      return Status.DEADLINE_EXCEEDED;
    default:
      return httpStatus >= 200 && httpStatus < 300 ? Status.OK : Status.INTERNAL;
  }
}

/** The error as a grpc-js ServiceError carrying the error code in `mlops-error-code` trailing metadata. */
export function serviceError(err: MlopsError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set("mlops-error-code", err.code);
  return { code: grpcCode(err.status), details: err.message, metadata };
}
