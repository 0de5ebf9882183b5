// The one table from domain error codes to gRPC status codes, and the conversion of anything a
// handler throws into what the client may see. Field violations travel as google.rpc.BadRequest
// details in grpc-status-details-bin. Unknown errors become INTERNAL "internal error": their text
// stays in the server log.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Metadata } from '@grpc/grpc-js';
import { ServerError, Status } from 'nice-grpc-common';
import { BadRequest } from 'nice-grpc-error-details';
import { DomainError, type DomainErrorCode, type FieldViolation } from '../../domain/errors.js';

const STATUS_BY_DOMAIN_CODE: Readonly<Record<DomainErrorCode, Status>> = {
  INVALID: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  ILLEGAL_STATE: Status.FAILED_PRECONDITION,
  VERSION_CONFLICT: Status.ABORTED,
  UNAVAILABLE: Status.UNAVAILABLE,
  FORBIDDEN: Status.PERMISSION_DENIED,
  LIMIT_EXCEEDED: Status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  OUT_OF_RANGE: Status.OUT_OF_RANGE,
  // "Retry at a higher level": resume the stream from the last sequence received.
  FELL_BEHIND: Status.ABORTED,
};

export function statusOf(code: DomainErrorCode): Status {
  return STATUS_BY_DOMAIN_CODE[code];
}

/** The canonical name of a status code, e.g. "INVALID_ARGUMENT". */
export function statusName(code: Status): string {
  return Status[code] ?? 'UNKNOWN';
}

/** An abort (client cancel, shutdown) or a timeout signal's reason: the call is over, not failed. */
export function isAbortError(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}

export type WireStatus = Readonly<{ code: Status; details: string; trailers?: Metadata; internalCause?: unknown }>;

const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** google.rpc.Status { code, message, details: [Any(BadRequest)] }, as grpc-status-details-bin carries it. */
function badRequestTrailers(code: Status, message: string, violations: readonly FieldViolation[]): Metadata {
  const badRequest = BadRequest.encode(
    BadRequest.fromPartial({ fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })) }),
  ).finish();
  const writer = new BinaryWriter();
  writer.uint32(8).int32(code).uint32(18).string(message);
  writer.uint32(26).fork().uint32(10).string(BAD_REQUEST_TYPE).uint32(18).bytes(badRequest).join();
  const trailers = new Metadata();
  trailers.set('grpc-status-details-bin', Buffer.from(writer.finish()));
  return trailers;
}

/** What a handler's failure becomes on the wire. */
export function toStatus(error: unknown): WireStatus {
  if (error instanceof ServerError) return { code: error.code, details: error.details };
  if (error instanceof DomainError) {
    const code = statusOf(error.code);
    if (error.violations.length === 0) return { code, details: error.message };
    return { code, details: error.message, trailers: badRequestTrailers(code, error.message, error.violations) };
  }
  if (isAbortError(error)) return { code: Status.CANCELLED, details: 'cancelled' };
  return { code: Status.INTERNAL, details: 'internal error', internalCause: error };
}
