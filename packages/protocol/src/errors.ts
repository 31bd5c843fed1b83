import * as grpc from '@grpc/grpc-js';
import { SiloError, grpcStatusOf, isSiloErrorCode, toSiloError } from '@silo/common';

/** Metadata key carrying the Silo error code across the wire. */
export const ERROR_CODE_METADATA_KEY = 'silo-error-code';

/**
 * Longest status message sent. Messages quote what the peer sent (a key id, a run id), and a
 * Node HTTP/2 client refuses trailers over its header-list limit (about 64 KiB, after
 * percent-encoding): the call then ends in a bare deadline and the Silo code is lost.
 */
export const MAX_STATUS_DETAILS_CHARS = 1024;

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Turns any error into a gRPC status that carries the Silo code in its metadata. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const siloError = toSiloError(err);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, siloError.code);
  const message = siloError.message;
  const short =
    message.length > MAX_STATUS_DETAILS_CHARS
      ? `${message.slice(0, MAX_STATUS_DETAILS_CHARS - 3)}...`
      : message;
  // grpc-js percent-encodes the message with encodeURI, which throws on a lone surrogate, and
  // throws it out of the server, killing the process. A peer can put one in any string field
  // (protobufjs decodes ill-formed UTF-8 into them), and truncation can split a pair.
  const details = short.replace(LONE_SURROGATE, '\uFFFD');
  return { code: grpcStatusOf(siloError.code), details, metadata };
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
    // grpc-js itself answers a message over the receiver's limit, before any handler runs.
    case grpc.status.RESOURCE_EXHAUSTED:
      return new SiloError('ERR_TOO_LARGE', details, { cause: err });
    default:
      return new SiloError('ERR_INTERNAL', details, { cause: err });
  }
}
