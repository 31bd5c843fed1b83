import * as grpc from '@grpc/grpc-js';
import { SiloError, grpcStatusOf, isSiloErrorCode, toSiloError } from '@silo/common';

/** Metadata key carrying the Silo error code across the wire. */
export const ERROR_CODE_METADATA_KEY = 'silo-error-code';

/** Turns any error into a gRPC status that carries the Silo code in its metadata. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const siloError = toSiloError(err);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, siloError.code);
  return { code: grpcStatusOf(siloError.code), details: siloError.message, metadata };
}

/** Recovers a SiloError from a gRPC error, keeping the code the peer sent. */
export function fromServiceError(err: unknown): SiloError {
  if (err instanceof SiloError) return err;
  const serviceError = err as Partial<grpc.ServiceError> | null;
  const sent = serviceError?.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  const details = serviceError?.details ?? (err instanceof Error ? err.message : String(err));
  if (isSiloErrorCode(sent)) return new SiloError(sent, details, { cause: err });
  switch (serviceError?.code) {
    case grpc.status.UNAVAILABLE:
      return new SiloError('ERR_UNAVAILABLE', details, { cause: err });
    case grpc.status.DEADLINE_EXCEEDED:
      return new SiloError('ERR_TIMEOUT', details, { cause: err });
    case grpc.status.CANCELLED:
      return new SiloError('ERR_CANCELLED', details, { cause: err });
    default:
      return new SiloError('ERR_INTERNAL', details, { cause: err });
  }
}
